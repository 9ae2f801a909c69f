package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/vc/netguard"
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
			p, err := NewWebhookProvider(srv.URL+"/api/", token, httpapi.Config{
				Timeout:    200 * time.Millisecond,
				MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
				MaxRetryAfter: 20 * time.Millisecond,
			})
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

// The provider's client is the guarded one: it follows no redirect away
// from the endpoint's host (the token goes to the endpoint only), does not
// retry one, and plain http is refused to anything but a loopback
// endpoint.
func TestProviderClientIsGuarded(t *testing.T) {
	const token = "guard-token-0003"
	var stolen atomic.Int64
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer thief.Close()
	srv := httptest.NewServer(http.RedirectHandler(thief.URL+"/badges", http.StatusTemporaryRedirect))
	defer srv.Close()
	p, err := NewWebhookProvider(srv.URL+"/", token, httpapi.Config{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.BadgeState(context.Background(), badge.BadgeRef{ExternalID: "b1"})
	if !errors.Is(err, netguard.ErrDenied) || !retry.IsPermanent(err) || strings.Contains(err.Error(), token) {
		t.Fatalf("a redirecting endpoint: want a refused, permanent error without the token, got %v (retryable %v)", err, !retry.IsPermanent(err))
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
	for _, ep := range []string{"http://intranet.example.org/badges/", "http://10.0.0.5/"} {
		if _, err := NewWebhookProvider(ep, token, httpapi.Config{Timeout: time.Second}); err == nil {
			t.Errorf("%s: plain http to a non-loopback endpoint accepted", ep)
		}
	}
}
