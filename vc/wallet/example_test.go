package wallet_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/credshare/credshare/vc/wallet"
)

// The host says who is signed in; here from a header set by an
// authenticating proxy. Requests without it are refused with 401.
func ExampleLearnerAuthFunc() {
	auth := wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		if r.Header.Get("X-Authenticated-User-Id") == "" {
			return 0, wallet.ErrUnauthenticated
		}
		var id int64
		_, err := fmt.Sscan(r.Header.Get("X-Authenticated-User-Id"), &id)
		return id, err
	})
	reg, err := wallet.NewRegistry(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := reg.Handler(auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/credentials/init/", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 401 {"error":"unauthenticated","error_description":"sign in to add a credential to a wallet"}
}

// Refusals are typed: errors.Is finds the sentinel, the HTTP status and
// code come with it.
func ExampleFail() {
	err := wallet.Fail(wallet.ErrReplayed, "the challenge of issuance request %s was already used", "3f1c…")
	var we *wallet.Error
	fmt.Println(errors.Is(err, wallet.ErrReplayed), errors.As(err, &we), we.Status, we.Code)
	// Output:
	// true true 409 already_used
}
