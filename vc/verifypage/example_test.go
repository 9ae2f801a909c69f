package verifypage_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/verifypage"
)

// The verification pages of an issuer at https://credentials.example.edu,
// served under /credentials/: the verifier reads the issuer's published
// status lists through the status checker.
func ExampleNew() {
	st := memstore.New()
	checker, err := statusproof.NewChecker(nil)
	if err != nil {
		log.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Status: checker})
	if err != nil {
		log.Fatal(err)
	}
	page, err := verifypage.New(verifypage.Config{Store: st, Verifier: ver, Status: checker,
		BaseURL: "https://credentials.example.edu/credentials"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/credentials/", http.StripPrefix("/credentials", page))
	id, asJSON, ok := verifypage.ParseID("5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c.json")
	fmt.Println(page.URL(id), asJSON, ok)
	// Output: https://credentials.example.edu/credentials/5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c true true
}

// The pages behind a reverse proxy at 10.0.0.2: X-Forwarded-For is read
// from it (and from nobody else), and each client may make one request a
// second in bursts of five.
func ExampleRateLimit() {
	checker, err := statusproof.NewChecker(nil)
	if err != nil {
		log.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Status: checker})
	if err != nil {
		log.Fatal(err)
	}
	page, err := verifypage.New(verifypage.Config{Store: memstore.New(), Verifier: ver, Status: checker,
		BaseURL: "https://credentials.example.edu/credentials",
		RateLimit: verifypage.RateLimit{Rate: 1, Burst: 5,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}}})
	if err != nil {
		log.Fatal(err)
	}
	for i := range 6 {
		r := httptest.NewRequest(http.MethodGet, "/5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c", nil)
		r.RemoteAddr = "10.0.0.2:41000"
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		rr := httptest.NewRecorder()
		page.ServeHTTP(rr, r)
		fmt.Println(i, rr.Code, "Retry-After:", rr.Header().Get("Retry-After") != "")
	}
	// Output:
	// 0 404 Retry-After: false
	// 1 404 Retry-After: false
	// 2 404 Retry-After: false
	// 3 404 Retry-After: false
	// 4 404 Retry-After: false
	// 5 429 Retry-After: true
}
