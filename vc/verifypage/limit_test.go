package verifypage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/verifypage"
)

// limited is a Handler over f's store with rate limit rl, a verifier that
// counts its calls and a clock the test moves.
func limited(t *testing.T, f *fixture, rl verifypage.RateLimit, now *time.Time) (*verifypage.Handler, *int) {
	t.Helper()
	calls := 0
	h, err := verifypage.New(verifypage.Config{Store: f.st, BaseURL: "https://x.example/c", Logger: slogTo(f.logs),
		RateLimit: rl, Now: func() time.Time { return *now },
		Verifier: verifierFunc(func(ctx context.Context, b []byte) vc.Result {
			calls++
			return f.pageVerifier(t).VerifyCredential(ctx, b)
		})})
	if err != nil {
		t.Fatal(err)
	}
	return h, &calls
}

func hit(h http.Handler, path, remote string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	return rr
}

// TestRateLimitPerClient: a client that spends its burst gets 429 with
// Retry-After and a generic body, while another client is still served;
// the budget comes back at the configured rate (an injected clock).
func TestRateLimitPerClient(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	now := time.Now()
	h, calls := limited(t, f, verifypage.RateLimit{Rate: 0.5, Burst: 3}, &now)
	path := "/" + id.String() + ".json"
	for i := range 3 {
		if rr := hit(h, path, "198.51.100.7:4000"); rr.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, rr.Code)
		}
	}
	rr := hit(h, path, "198.51.100.7:4001") // another port, same client
	if rr.Code != http.StatusTooManyRequests {
		t.Fatalf("over the burst: %d", rr.Code)
	}
	if ra := rr.Header().Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After %q, want 2 (one token per 2 s)", ra)
	}
	if body := rr.Body.String(); body != "too many requests; try again later\n" || strings.Contains(body, id.String()) {
		t.Errorf("429 body %q", body)
	}
	for k, v := range map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := rr.Header().Get(k); got != v {
			t.Errorf("429 %s = %q", k, got)
		}
	}
	// Unknown ids count too: enumeration spends the same budget.
	if rr := hit(h, "/"+uuid.NewString(), "198.51.100.7:4002"); rr.Code != http.StatusTooManyRequests {
		t.Errorf("unknown id over the budget: %d", rr.Code)
	}
	if rr := hit(h, path, "198.51.100.8:4000"); rr.Code != http.StatusOK {
		t.Fatalf("another client: %d", rr.Code)
	}
	now = now.Add(2 * time.Second)
	if rr := hit(h, path, "198.51.100.7:4000"); rr.Code != http.StatusOK {
		t.Fatalf("after Retry-After: %d", rr.Code)
	}
	if rr := hit(h, path, "198.51.100.7:4000"); rr.Code != http.StatusTooManyRequests {
		t.Fatalf("one token came back, not two: %d", rr.Code)
	}
	if *calls != 1 {
		t.Errorf("%d verifications for one credential within the cache TTL, want 1", *calls)
	}
	// The addresses of one IPv6 /64 are one client.
	for i := range 3 {
		if rr := hit(h, path, fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)); rr.Code != http.StatusOK {
			t.Fatalf("IPv6 request %d: %d", i, rr.Code)
		}
	}
	if rr := hit(h, path, "[2001:db8:1:2:ffff::9]:443"); rr.Code != http.StatusTooManyRequests {
		t.Errorf("a fourth address of the same /64: %d", rr.Code)
	}
}

// TestRateLimitMemoryBounded: 100,000 distinct clients leave at most
// Clients budgets behind, the most recent kept.
func TestRateLimitMemoryBounded(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	h, _ := limited(t, f, verifypage.RateLimit{Rate: 1, Burst: 1, Clients: 500}, &now)
	path := "/" + uuid.NewString()
	for i := range 100_000 {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if rr := hit(h, path, addr.String()+":1"); rr.Code != http.StatusNotFound {
			t.Fatalf("client %d: %d", i, rr.Code)
		}
	}
	if n := h.LimitedClients(); n != 500 {
		t.Fatalf("%d client budgets kept, want 500", n)
	}
	// The last client is still remembered (it spent its one token)...
	if rr := hit(h, path, "10.1.134.159:1"); rr.Code != http.StatusTooManyRequests {
		t.Errorf("the most recent client: %d", rr.Code)
	}
	// ...the first one was dropped and starts afresh.
	if rr := hit(h, path, "10.0.0.0:1"); rr.Code != http.StatusNotFound {
		t.Errorf("the oldest client: %d", rr.Code)
	}
}

// TestRateLimitTrustedProxy: X-Forwarded-For is read only from a trusted
// proxy, and then its rightmost untrusted address is the client.
func TestRateLimitTrustedProxy(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"203.0.113.9:1", []string{"198.51.100.1"}, nil, "203.0.113.9"},                    // no trusted proxy: header ignored
		{"203.0.113.9:1", []string{"198.51.100.1"}, proxy, "203.0.113.9"},                  // peer is not the proxy
		{"10.0.0.2:1", []string{"198.51.100.1"}, proxy, "198.51.100.1"},                    // through the proxy
		{"10.0.0.2:1", []string{"1.2.3.4, 198.51.100.1, 10.0.0.3"}, proxy, "198.51.100.1"}, // spoofed left part ignored
		{"10.0.0.2:1", []string{"1.2.3.4", "198.51.100.1"}, proxy, "198.51.100.1"},         // two header lines
		{"10.0.0.2:1", []string{"junk, 198.51.100.1"}, proxy, "198.51.100.1"},
		{"10.0.0.2:1", []string{"198.51.100.1, junk"}, proxy, "10.0.0.2"}, // malformed nearest hop: the proxy itself
		{"10.0.0.2:1", nil, proxy, "10.0.0.2"},
		{"10.0.0.2:1", []string{"10.0.0.5"}, proxy, "10.0.0.5"}, // only proxies: the farthest one
		{"10.0.0.2:1", []string{"2001:db8:a:b::1"}, proxy, "2001:db8:a:b::/64"},
		{"[::ffff:10.0.0.2]:1", []string{"198.51.100.1"}, proxy, "198.51.100.1"}, // v4-mapped peer
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := verifypage.ClientKey(r, tc.trusted); got != tc.want {
			t.Errorf("%s %q trusted=%v: %q, want %q", tc.remote, tc.xff, tc.trusted, got, tc.want)
		}
	}

	// End to end: clients behind the proxy have budgets of their own.
	f := newFixture(t)
	now := time.Now()
	h, _ := limited(t, f, verifypage.RateLimit{Rate: 1, Burst: 1, TrustedProxies: proxy}, &now)
	path := "/" + uuid.NewString()
	if rr := hit(h, path, "10.0.0.2:1", "X-Forwarded-For", "198.51.100.1"); rr.Code != http.StatusNotFound {
		t.Fatal(rr.Code)
	}
	if rr := hit(h, path, "10.0.0.2:1", "X-Forwarded-For", "198.51.100.2"); rr.Code != http.StatusNotFound {
		t.Fatalf("a second client behind the proxy: %d", rr.Code)
	}
	if rr := hit(h, path, "10.0.0.2:1", "X-Forwarded-For", "198.51.100.1"); rr.Code != http.StatusTooManyRequests {
		t.Fatalf("the first client again: %d", rr.Code)
	}
	// A direct client cannot pick a fresh budget by sending the header.
	if rr := hit(h, path, "203.0.113.9:1", "X-Forwarded-For", "198.51.100.3"); rr.Code != http.StatusNotFound {
		t.Fatal(rr.Code)
	}
	if rr := hit(h, path, "203.0.113.9:1", "X-Forwarded-For", "198.51.100.4"); rr.Code != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %d", rr.Code)
	}
}

// TestRateLimitOff: Rate < 0 serves every request.
func TestRateLimitOff(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	h, _ := limited(t, f, verifypage.RateLimit{Rate: -1}, &now)
	for i := range 2 * verifypage.DefaultBurst {
		if rr := hit(h, "/"+uuid.NewString(), "198.51.100.7:1"); rr.Code != http.StatusNotFound {
			t.Fatalf("request %d: %d", i, rr.Code)
		}
	}
	if n := h.LimitedClients(); n != 0 {
		t.Fatal(n)
	}
}

// TestOutcomeCacheBounded: outcomes of more credentials than
// DefaultCacheEntries leave DefaultCacheEntries behind.
func TestOutcomeCacheBounded(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	h, calls := limited(t, f, verifypage.RateLimit{Rate: -1}, &now)
	cred := []byte(`{"not":"a credential"}`)
	ids := make([]uuid.UUID, verifypage.DefaultCacheEntries+100)
	for i := range ids {
		ids[i] = f.put(t, cred)
		if rr := hit(h, "/"+ids[i].String()+".json", "198.51.100.7:1"); rr.Code != http.StatusOK {
			t.Fatalf("%d: %d", i, rr.Code)
		}
	}
	if n := h.CachedOutcomes(); n != verifypage.DefaultCacheEntries {
		t.Fatalf("%d outcomes kept, want %d", n, verifypage.DefaultCacheEntries)
	}
	before := *calls
	hit(h, "/"+ids[len(ids)-1].String()+".json", "198.51.100.7:1") // recent: cached
	hit(h, "/"+ids[0].String()+".json", "198.51.100.7:1")          // oldest: dropped
	if d := *calls - before; d != 1 {
		t.Errorf("%d verifications, want 1 (the dropped outcome only)", d)
	}
}

func TestRateLimitValidated(t *testing.T) {
	f := newFixture(t)
	for _, rl := range []verifypage.RateLimit{{Burst: -1}, {Clients: -1}, {TrustedProxies: []netip.Prefix{{}}}} {
		if _, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: verifierFunc(nil), BaseURL: "https://x.example", RateLimit: rl}); err == nil {
			t.Errorf("%+v accepted", rl)
		}
	}
}
