package verifypage_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/verifypage"
	"github.com/google/uuid"
)

// BenchmarkPage: one page request, uncached (a full verification: proof,
// and both status lists fetched over loopback and verified) and cached,
// without the rate limit and (cached-limited) with it, at a rate no
// request exceeds.
func BenchmarkPage(b *testing.B) {
	f := newFixture(b)
	_, id := f.issue(b, "Python Pioneer", badgeImage)
	for _, bc := range []struct {
		name string
		ttl  int
		rate float64
	}{{"uncached", -1, -1}, {"cached", 0, -1}, {"cached-limited", 0, 1e9}} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, Status: f.checker, BaseURL: "https://x.example/c",
				CacheTTL: time.Duration(bc.ttl), Logger: slogTo(f.logs), RateLimit: verifypage.RateLimit{Rate: bc.rate, Burst: 1 << 30}})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				rr := httptest.NewRecorder()
				h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/"+id.String(), nil))
				if rr.Code != http.StatusOK {
					b.Fatal(rr.Code)
				}
			}
		})
	}
}

// BenchmarkRefused: the cost of a request over its client's budget (the
// 429 path), and of a new client's first request among 10,000 budgets
// kept.
func BenchmarkRefused(b *testing.B) {
	f := newFixture(b)
	now := time.Now()
	h, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, BaseURL: "https://x.example/c", Logger: slogTo(f.logs),
		RateLimit: verifypage.RateLimit{Rate: 1e-9, Burst: 1}, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	path := "/" + uuid.NewString()
	b.Run("over-budget", func(b *testing.B) {
		for b.Loop() {
			rr := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.RemoteAddr = "198.51.100.7:1"
			h.ServeHTTP(rr, r)
			if rr.Code == http.StatusOK {
				b.Fatal(rr.Code)
			}
		}
	})
	b.Run("new-client", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			rr := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.RemoteAddr = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String() + ":1"
			h.ServeHTTP(rr, r)
		}
	})
}
