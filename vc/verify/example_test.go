package verify_test

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// Issue a credential with a did:key issuer and verify it. Without a status
// checker a credential with a status entry is status-unknown, never valid.
func Example() {
	ctx := context.Background()
	key := vctest.Key() // any crypto.Signer with an Ed25519 key
	issuerDID, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	signer, _ := vc.NewSigner(key, vm)
	is, _ := issuer.New(issuer.Config{Signer: signer})

	c, _ := vc.Compose(vctest.Request(issuerDID, "did:example:holder", vc.V2))
	signed, _ := is.Issue(ctx, c, vc.FormatLDP)

	v, _ := verify.New(verify.Config{})
	r := v.VerifyCredential(ctx, signed)
	fmt.Println(r.Verdict, r.ProofTypes, r.Reasons[0].Code)

	c.CredentialStatus = nil
	signed, _ = is.Issue(ctx, c, vc.FormatJWT)
	fmt.Println(v.VerifyCredential(ctx, signed).Verdict)
	// Output:
	// status-unknown [eddsa-rdfc-2022] status-unknown
	// valid
}

// A wallet proves control of its DID by signing a presentation over the
// verifier's challenge.
func ExampleVerifier_CheckPresentation() {
	ctx := context.Background()
	key, holder, vm, _ := did.GenerateKey()
	s, _ := vc.NewSigner(key, vm)
	vp, _ := issuer.Present(ctx, vc.Presentation{}, s, issuer.PresentOptions{Challenge: "n-0S6", Domain: "example.edu"})

	v, _ := verify.New(verify.Config{})
	res, err := v.CheckPresentation(ctx, vp, verify.PresentationOptions{Challenge: "n-0S6", Domain: "example.edu"})
	fmt.Println(err == nil, res.Holder == holder)
	_, err = v.CheckPresentation(ctx, vp, verify.PresentationOptions{Challenge: "replayed"})
	fmt.Println(err != nil)
	// Output:
	// true true
	// true
}
