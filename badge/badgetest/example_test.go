package badgetest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/credshare/credshare/badge/badgetest"
)

// Injecting faults in front of a fake provider API.
func ExampleFaults() {
	faults := &badgetest.Faults{}
	srv := httptest.NewServer(faults.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	})))
	defer srv.Close()

	faults.Burst(2, http.StatusServiceUnavailable)
	faults.Queue(badgetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3"})
	for range 4 {
		resp, err := http.Get(srv.URL)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d retry-after=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 503 retry-after=""
	// 503 retry-after=""
	// 429 retry-after="3"
	// 200 retry-after=""
}
