package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/credshare/credshare/vc/netguard"
)

// The default client reaches the base URL's host (here an http test server
// on loopback, which ValidateBaseURL admits) and nothing else: a redirect to
// another host — even another loopback port — is refused before it is
// sent, and not retried.
func TestDefaultClientReachesOnlyTheBaseHost(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer other.Close()
	var calls atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/v1/ok":
			w.Write([]byte(`{"ok":true}`))
		case "/v1/here":
			http.Redirect(w, r, "/v1/ok", http.StatusFound)
		default:
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		}
	}))
	defer api.Close()

	a, err := New(Config{Provider: "test", BaseURL: api.URL + "/v1/", MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ OK bool }
	ctx := context.Background()
	if st, err := a.Do(ctx, Call{Op: "get", Method: http.MethodGet, Path: "ok", Out: &out}); err != nil || st != 200 || !out.OK {
		t.Fatalf("a call to the base host: %d %v", st, err)
	}
	if _, err := a.Do(ctx, Call{Op: "get", Method: http.MethodGet, Path: "here", Out: &out}); err != nil {
		t.Fatalf("a redirect within the base host: %v", err)
	}
	before := calls.Load()
	_, err = a.Do(ctx, Call{Op: "get", Method: http.MethodGet, Path: "away", Secret: "tok"})
	if err == nil || !errors.Is(err, netguard.ErrDenied) || !strings.Contains(err.Error(), "redirect away from the API's host") {
		t.Fatalf("a redirect to another host: %v", err)
	}
	t.Log(err)
	if n := calls.Load() - before; n != 1 {
		t.Errorf("the refused redirect was retried: %d calls", n)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

// The default client is a guarded one: http to a host other than a
// loopback base, or an internal address, is refused by its policy.
func TestDefaultClientPolicy(t *testing.T) {
	for base, want := range map[string][]string{
		"https://api.credly.example/v1/": {"https://127.0.0.1/", "http://api.credly.example/", "http://10.0.0.1/"},
		"http://127.0.0.1:9/v1/":         {"http://127.0.0.2:9/", "http://10.0.0.1/", "http://[::1]:9/"},
	} {
		a, err := New(Config{Provider: "test", BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		hc := a.r.GetClient()
		for _, u := range want {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			resp, err := hc.Transport.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, netguard.ErrDenied) {
				t.Errorf("base %s: %s: want refused, got %v", base, u, err)
			}
		}
	}
}

// A client given with WithHTTPClient is used as given (here its transport
// answers every request), with no policy of ours on top.
func TestGivenClientIsUsedAsGiven(t *testing.T) {
	var seen atomic.Int64
	given := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})}
	a, err := New(Config{Provider: "test", BaseURL: "https://api.credly.example/v1/", HTTPClient: given})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Do(context.Background(), Call{Op: "get", Method: http.MethodGet, Path: "x"}); err != nil || seen.Load() != 1 {
		t.Fatalf("given client: %v, %d requests", err, seen.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
