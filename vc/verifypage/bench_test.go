package verifypage_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/verifypage"
)

// BenchmarkPage: one page request, uncached (a full verification: proof,
// and both status lists fetched over loopback and verified) and cached.
func BenchmarkPage(b *testing.B) {
	f := newFixture(b)
	_, id := f.issue(b, "Python Pioneer", badgeImage)
	for _, bc := range []struct {
		name string
		ttl  int
	}{{"uncached", -1}, {"cached", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, Status: f.checker, BaseURL: "https://x.example/c",
				CacheTTL: time.Duration(bc.ttl), Logger: slogTo(f.logs), RateLimit: verifypage.RateLimit{Rate: -1}})
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
