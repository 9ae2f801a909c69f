package accredible_test

import (
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/accredible/accrediblefake"
	"github.com/credshare/credshare/badge/badgetest"
)

const (
	testAccount = "main"
	testKey     = "acc_key_5f2b9c0d1e7a4b3c"
)

func fast() []accredible.Option {
	return []accredible.Option{
		httpapi.WithRetry(3, time.Millisecond, 5*time.Millisecond),
		httpapi.WithTimeout(time.Second),
		httpapi.WithMaxRetryAfter(20 * time.Millisecond),
		httpapi.WithLimits(badge.Limits{}), // no pacing in tests
	}
}

func newFake(t *testing.T) (*accrediblefake.Server, *accredible.Provider, accrediblefake.Group) {
	t.Helper()
	srv := accrediblefake.New(t)
	srv.AddAccount(testKey)
	g := srv.AddGroup(testKey, "Intro to Programming", "Learn to program", "https://images.example.org/g.png")
	p, err := accredible.NewProvider(accredible.StaticAccounts{testAccount: testKey},
		append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p, g
}

func TestConformance(t *testing.T) {
	badgetest.Run(t, badgetest.Harness{
		New: func(t *testing.T) badgetest.Env {
			srv, p, g := newFake(t)
			return badgetest.Env{
				Provider: p,
				Template: badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)},
				Faults:   srv.Faults,
				Count: func(ref badge.TemplateRef, email string) int {
					return srv.Count(testKey, ref.ExternalID, email)
				},
			}
		},
		SlowDelay: 2500 * time.Millisecond,
		Secrets:   []string{testKey},
	})
}
