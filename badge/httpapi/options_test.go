package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
)

func TestOptionsSetConfig(t *testing.T) {
	hc := &http.Client{}
	now := func() time.Time { return time.Unix(0, 0) }
	c, err := httpapi.Config{Provider: "p", BaseURL: "https://api.example.org"}.With(
		httpapi.WithBaseURL("https://sandbox.example.org/v1"), httpapi.WithHTTPClient(hc), httpapi.WithTimeout(3*time.Second),
		httpapi.WithRetry(2, time.Millisecond, time.Second), httpapi.WithMaxRetryAfter(0), httpapi.WithLimits(badge.Limits{Rate: 5, Burst: 2}),
		httpapi.WithClock(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://sandbox.example.org/v1/" || c.HTTPClient != hc || c.Timeout != 3*time.Second ||
		c.MaxAttempts != 2 || c.MinBackoff != time.Millisecond || c.MaxBackoff != time.Second ||
		c.MaxRetryAfter != -1 || c.Limits.Rate != 5 || c.Now == nil || !c.Now().Equal(time.Unix(0, 0)) {
		t.Errorf("config = %+v", c)
	}
}

func TestOptionsRefuseBadValues(t *testing.T) {
	for name, opt := range map[string]httpapi.Option{
		"base URL":    httpapi.WithBaseURL("http://api.example.org"),
		"client":      httpapi.WithHTTPClient(nil),
		"timeout":     httpapi.WithTimeout(0),
		"retry":       httpapi.WithRetry(0, time.Millisecond, time.Second),
		"backoff":     httpapi.WithRetry(2, time.Second, time.Millisecond),
		"retry-after": httpapi.WithMaxRetryAfter(-time.Second),
		"limits":      httpapi.WithLimits(badge.Limits{Rate: -1}),
		"clock":       httpapi.WithClock(nil),
	} {
		_, _, err := httpapi.Build(httpapi.Config{Provider: "acme", BaseURL: "https://api.example.org"}, opt)
		if err == nil || !strings.HasPrefix(err.Error(), "acme: ") {
			t.Errorf("%s: err = %v, want a refusal prefixed with the provider", name, err)
		}
	}
	c, api, err := httpapi.Build(httpapi.Config{Provider: "acme", BaseURL: "https://api.example.org"})
	if err != nil || api == nil || c.Now == nil {
		t.Errorf("Build with defaults: %v, %v, Now set %v", err, api, c.Now != nil)
	}
}
