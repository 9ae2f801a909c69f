package badge_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

func TestHTTPErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		status    int
		kind      error
		retryable bool
	}{
		{400, badge.ErrInvalid, false}, {401, badge.ErrUnauthorized, false}, {403, badge.ErrUnauthorized, false},
		{404, badge.ErrNotFound, false}, {409, badge.ErrConflict, false}, {408, badge.ErrUnavailable, true},
		{422, badge.ErrInvalid, false}, {429, badge.ErrRateLimited, true}, {500, badge.ErrUnavailable, true},
		{502, badge.ErrUnavailable, true}, {503, badge.ErrUnavailable, true},
	} {
		err := badge.HTTPError("p", "op", tc.status, nil, nil, "", "")
		if !errors.Is(err, tc.kind) || !retry.IsPermanent(err) != tc.retryable {
			t.Errorf("%d: %v retryable=%v", tc.status, err, !retry.IsPermanent(err))
		}
	}
	if !errors.Is(badge.HTTPError("p", "op", 422, nil, nil, "", ""), credential.ErrInvalid) {
		t.Error("ErrInvalid does not match credential.ErrInvalid")
	}
}

func TestErrorRedactsAndBounds(t *testing.T) {
	const tok = "s3cr3t-token-value"
	body := strings.Repeat("x", 5000) + tok
	h := http.Header{"Retry-After": {"12"}}
	err := badge.HTTPError("credly", "issue", 429, h, []byte(tok+" "+body), "E1", "bad token "+tok, tok)
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Body, tok) || strings.Contains(err.Message, tok) {
		t.Errorf("token leaked: %v", err)
	}
	if len(err.Body) > badge.MaxErrorBody+8 {
		t.Errorf("body not bounded: %d bytes", len(err.Body))
	}
	if retry.Delay(err) != 12*time.Second || err.RetryAfter() != 12*time.Second {
		t.Errorf("RetryAfter = %v", retry.Delay(err))
	}
	if !strings.Contains(err.Error(), "HTTP 429 (E1)") {
		t.Errorf("message: %v", err)
	}
	// Basic-auth forms of the token are redacted too.
	if s := badge.Redact("Authorization: Basic czNjcjN0LXRva2VuLXZhbHVlOg==", tok); strings.Contains(s, "czNjcjN0") {
		t.Errorf("base64 token not redacted: %s", s)
	}
}

func TestProviderErrorVerdict(t *testing.T) {
	wrapped := fmt.Errorf("dispatch: %w", &badge.Error{Kind: badge.ErrUnauthorized})
	for err, want := range map[error]bool{
		wrapped:                  false,
		badge.ErrNotFound:        false,
		badge.ErrInvalid:         false,
		badge.ErrUnavailable:     true,
		context.DeadlineExceeded: true,
		errors.New("mystery"):    true,
		badge.TransportError("p", "op", context.Canceled): true,
	} {
		if got := !retry.IsPermanent(err); got != want {
			t.Errorf("retryable(%v) = %v, want %v", err, got, want)
		}
	}
	if !strings.Contains(wrapped.Error(), "token") {
		t.Errorf("unauthorized error does not mention the token: %v", wrapped)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "0": 0, "-3": 0, "5": 5 * time.Second, "0.25": 250 * time.Millisecond, "soon": 0,
		"Thu, 01 Jan 2026 00:01:00 GMT": time.Minute, "Wed, 31 Dec 2025 00:00:00 GMT": 0, "999999": 24 * time.Hour,
	} {
		if got := badge.ParseRetryAfter(v, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	ok := badge.IssueRequest{IdempotencyKey: "k", Template: badge.TemplateRef{ExternalID: "t"},
		Recipient: credential.Learner{UserID: 1, Email: "a@b.c"}, IssuedAt: time.Now()}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Recipient.UserID = 0
	if err := bad.Validate(); !errors.Is(err, badge.ErrInvalid) || !retry.IsPermanent(err) {
		t.Errorf("bad learner: %v", err)
	}
	if err := (badge.RevokeRequest{IdempotencyKey: "k", ExternalID: "x"}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (badge.RevokeRequest{IdempotencyKey: "k"}).Validate(); !errors.Is(err, badge.ErrInvalid) {
		t.Errorf("revoke naming nothing: %v", err)
	}
}
