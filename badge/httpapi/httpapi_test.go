package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
)

func TestPacer(t *testing.T) {
	p := newPacer(10, 3) // 100ms interval, burst 3
	now := time.Unix(1000, 0)
	var waits []time.Duration
	for range 5 {
		waits = append(waits, p.reserve(now))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits = %v, want %v", waits, want)
		}
	}
	p.penalise()
	if w := p.reserve(now); w != 400*time.Millisecond {
		t.Errorf("after a 429: wait %v, want 400ms", w)
	}
	// Idle time refills the bucket.
	if w := p.reserve(now.Add(time.Minute)); w != 0 {
		t.Errorf("after idling: wait %v", w)
	}
}

func TestValidateBaseURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://api.credly.com/v1": true, "http://127.0.0.1:9/v1/": true, "http://[::1]:9/": true, "http://localhost/x": true,
		"http://api.credly.com/v1/": false, "ftp://x/": false, "/v1/": false, "https://u:p@x/": false, "https://x/?a=1": false, "::": false,
	} {
		got, err := ValidateBaseURL(u)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v", u, err)
		}
		if err == nil && !strings.HasSuffix(got, "/") {
			t.Errorf("%q -> %q lacks the trailing slash", u, got)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for body, want := range map[string][2]string{
		`{"data":{"message":"Validation failed","errors":[{"attribute":"badge","messages":["User already has this badge"]}]}}`: {"", "Validation failed: attribute: badge; messages: User already has this badge"},
		`{"data":{"code":"E42","message":"Nope"}}`:       {"E42", "Nope"},
		`{"errors":{"course_name":["can't be blank"]}}`:  {"", "course_name: can't be blank"},
		`{"code":400,"message":"Sort order increasing"}`: {"400", "Sort order increasing"},
		`{"success":false,"data":"Not enough segments"}`: {"", "Not enough segments"},
		"HTTP Token: Access denied.\nmore":               {"", "HTTP Token: Access denied."},
		`{"error":"Not found"}`:                          {"", "Not found"},
	} {
		code, msg := ErrorMessage([]byte(body))
		if code != want[0] || msg != want[1] {
			t.Errorf("%s: got (%q, %q), want %q", body, code, msg, want)
		}
	}
}

// FuzzErrorMessage checks that no error body makes the parser panic or
// return unbounded text.
func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{`{"data":{"message":"x"}}`, `{"errors":[1,{"a":[null]}]}`, `[[[[`, `{"data":"t"}`, "", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, msg := ErrorMessage(b)
		if len(code) > 600 || len(msg) > 1200 {
			t.Fatalf("unbounded: %d %d", len(code), len(msg))
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	base := "https://api.example.org/v1/"
	for name, cfg := range map[string]Config{
		"no base URL":       {Provider: "p"},
		"negative timeout":  {Provider: "p", BaseURL: base, Timeout: -1},
		"negative attempts": {Provider: "p", BaseURL: base, MaxAttempts: -1},
		"min above max":     {Provider: "p", BaseURL: base, MinBackoff: 2 * time.Second, MaxBackoff: time.Second},
		"negative rate":     {Provider: "p", BaseURL: base, Limits: badge.Limits{Rate: -1}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := New(Config{Provider: "p", BaseURL: "https://api.example.org/v1", MinBackoff: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Config()
	if got.BaseURL != base || got.Timeout != 10*time.Second || got.MaxAttempts != 4 || got.MaxBackoff != 10*time.Second || got.MaxRetryAfter != 5*time.Second {
		t.Errorf("defaults: %+v", got)
	}
}

func TestAuthHelpers(t *testing.T) {
	h := http.Header{}
	BasicAuth("tok", "")(h)
	r := &http.Request{Header: h}
	if u, p, ok := r.BasicAuth(); !ok || u != "tok" || p != "" {
		t.Errorf("BasicAuth: %q %q %v", u, p, ok)
	}
	BearerAuth("tok")(h)
	if got := h.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("BearerAuth: %q", got)
	}
}
