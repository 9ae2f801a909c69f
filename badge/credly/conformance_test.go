package credly_test

import (
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
)

const (
	testOrg   = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	testToken = "tok_live_7d1c4b8e0a9f4f2e"
)

// fast keeps retry waits short in tests.
func fast() []credly.Option {
	return []credly.Option{
		httpapi.WithRetry(3, time.Millisecond, 5*time.Millisecond),
		httpapi.WithTimeout(time.Second),
		httpapi.WithMaxRetryAfter(20 * time.Millisecond),
	}
}

func newFake(t *testing.T) (*credlyfake.Server, *credly.Provider, credlyfake.Template) {
	t.Helper()
	srv := credlyfake.New(t)
	srv.PerPage = 3
	srv.AddOrg(testOrg, testToken)
	tpl := srv.AddTemplates(testOrg, 1)[0]
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: testToken},
		append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p, tpl
}

func TestConformance(t *testing.T) {
	badgetest.Run(t, badgetest.Harness{
		New: func(t *testing.T) badgetest.Env {
			srv, p, tpl := newFake(t)
			return badgetest.Env{
				Provider: p,
				Template: badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID, Name: tpl.Name},
				Faults:   srv.Faults,
				Count: func(ref badge.TemplateRef, email string) int {
					return srv.Count(ref.AccountID, ref.ExternalID, email)
				},
			}
		},
		// Credly ids are UUIDs; a malformed one is refused before any request.
		UnknownExternalID: "00000000-0000-4000-8000-000000000000",
		SlowDelay:         2500 * time.Millisecond,
		Secrets:           []string{testToken},
	})
}
