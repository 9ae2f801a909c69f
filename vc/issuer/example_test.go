package issuer_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// A graduating class signed as VC-JWTs on every core; one student's
// credential cannot be signed and the rest still are.
func ExampleIssuer_IssueAll() {
	ctx := context.Background()
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	is, _ := issuer.New(issuer.Config{Signer: s})

	var graduates []*vc.Credential
	for _, holder := range []string{"did:example:ada", "did:example:grace", "did:example:alan"} {
		req := vctest.Request(d, holder, vc.V2)
		req.Status = nil // no status list in this example
		c, _ := vc.Compose(req)
		graduates = append(graduates, c)
	}
	graduates[1].Issuer.ID = "did:example:another-university" // not ours to sign

	v, _ := verify.New(verify.Config{})
	for n, r := range is.IssueAll(ctx, slices.Values(graduates), issuer.BulkOptions{Format: vc.FormatJWT}) {
		if r.Err != nil {
			fmt.Println(n, "not signed")
			continue
		}
		res := v.VerifyCredential(ctx, r.Signed)
		fmt.Println(n, res.Credential.CredentialSubject[0].ID, res.Verdict)
	}
	// Output:
	// 0 did:example:ada valid
	// 1 not signed
	// 2 did:example:alan valid
}
