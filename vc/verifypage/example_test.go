package verifypage_test

import (
	"fmt"
	"log"
	"net/http"

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
