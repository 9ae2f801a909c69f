package proof_test

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
)

// Sign any JSON-LD document (here a minimal VC 1.1 credential) with
// Ed25519Signature2020; Sign adds the suite's context.
func ExampleSign() {
	ctx := context.Background()
	key := vctest.Key()
	issuer, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	doc := []byte(`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],
	  "issuer":"` + issuer + `","issuanceDate":"2026-01-01T00:00:00Z","credentialSubject":{"id":"did:example:2"}}`)
	signed, err := proof.Sign(ctx, doc, s, proof.Options{Suite: proof.SuiteEd25519Signature2020})
	if err != nil {
		panic(err)
	}
	vs, err := proof.Verify(ctx, signed, proof.Expect{Resolver: did.NewResolver()})
	fmt.Println(err, vs[0].Suite(), vs[0].Method.Controller == issuer)
	// Output: <nil> Ed25519Signature2020 true
}
