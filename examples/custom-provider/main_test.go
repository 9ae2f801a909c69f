package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
)

// TestConformance runs the plugin author's kit against the webhook
// provider, with faults injected in front of the receiving endpoint.
func TestConformance(t *testing.T) {
	const token = "conformance-token-0002"
	badgetest.Run(t, badgetest.Harness{
		New: func(t *testing.T) badgetest.Env {
			rc := NewReceiver(token, "tpl-1")
			faults := &badgetest.Faults{}
			srv := httptest.NewServer(faults.Wrap(http.StripPrefix("/api", rc)))
			t.Cleanup(srv.Close)
			p, err := NewWebhookProvider(srv.URL+"/api/", token, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			return badgetest.Env{
				Provider: p,
				Template: badge.TemplateRef{ExternalID: "tpl-1"},
				Faults:   faults,
				Count:    func(ref badge.TemplateRef, email string) int { return rc.Count(ref.ExternalID, email) },
			}
		},
		SlowDelay: 400 * time.Millisecond,
		Secrets:   []string{token},
	})
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"issued badge", "same badge: true", "state revoked", "not found: true, retryable: false", "retryable: false"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
