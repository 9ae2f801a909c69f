package bake_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/bake"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// An Open Badges 3.0 credential signed by a did:key issuer (an
// eddsa-rdfc-2022 proof, and a VC-JWT) verifies after a trip through a
// PNG and an SVG image.
func TestUnbakedCredentialVerifies(t *testing.T) {
	ctx := context.Background()
	key := vctest.Key()
	issuerDID, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	signer, err := vc.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(issuer.Config{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	c, err := vc.Compose(vctest.Request(issuerDID, "did:example:holder", vc.V2))
	if err != nil {
		t.Fatal(err)
	}
	c.CredentialStatus = nil // no status list to check offline
	v, err := verify.New(verify.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{vc.FormatLDP, vc.FormatJWT} {
		signed, err := is.Issue(ctx, c, format)
		if err != nil {
			t.Fatal(err)
		}
		if r := v.VerifyCredential(ctx, signed); !r.Valid() {
			t.Fatalf("%s: the signed credential is %s: %v", format, r.Verdict, r.Reasons)
		}
		for name, img := range map[string][]byte{"png": testPNG(t), "svg": []byte(testSVG)} {
			baked, err := bake.Bake(ctx, img, signed)
			if err != nil {
				t.Fatalf("%s in %s: %v", format, name, err)
			}
			got, err := bake.Unbake(ctx, baked)
			if err != nil {
				t.Fatalf("%s in %s: %v", format, name, err)
			}
			r := v.VerifyCredential(ctx, got)
			if !r.Valid() || r.Format != format || r.Issuer != issuerDID {
				t.Errorf("%s in %s: %s (%s, %s): %v", format, name, r.Verdict, r.Format, r.Issuer, r.Reasons)
			}
			// A byte changed in the baked credential no longer verifies.
			tampered := []byte(string(got))
			i := len(tampered) / 2
			if tampered[i] == 'A' {
				tampered[i] = 'B'
			} else {
				tampered[i] = 'A'
			}
			if r := v.VerifyCredential(ctx, tampered); r.Valid() {
				t.Errorf("%s in %s: a tampered credential verifies", format, name)
			}
		}
	}
}
