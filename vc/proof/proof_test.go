package proof_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
)

func signer(t testing.TB) (*vc.KeySigner, string) {
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, err := vc.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

func TestSignVerifyEverySuite(t *testing.T) {
	ctx := context.Background()
	s, issuer := signer(t)
	for _, v := range []vc.Version{vc.V2, vc.V1} {
		for _, suite := range []string{proof.SuiteEddsaRdfc2022, proof.SuiteEddsaJcs2022, proof.SuiteEd25519Signature2020} {
			t.Run(suite+"/v"+string(rune('0'+v)), func(t *testing.T) {
				c, err := vc.Compose(vctest.Request(issuer, "did:example:holder", v))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(c)
				signed, err := proof.Sign(ctx, b, s, proof.Options{Suite: suite})
				if err != nil {
					t.Fatal(err)
				}
				got, err := proof.Verify(ctx, signed, proof.Expect{Resolver: did.NewResolver()})
				if err != nil {
					t.Fatalf("verify: %v\n%s", err, signed)
				}
				if got[0].Suite() != suite || got[0].Method.ID != s.VerificationMethod() {
					t.Fatalf("verified %+v", got[0])
				}
				tampered := strings.Replace(string(signed), "Ada Lovelace", "Eve Lovelace", 1)
				if _, err := proof.Verify(ctx, []byte(tampered), proof.Expect{Resolver: did.NewResolver()}); !errors.Is(err, vc.ErrProof) {
					t.Fatalf("tampered: %v", err)
				}
				if _, err := proof.Verify(ctx, signed, proof.Expect{Resolver: did.NewResolver(), Purpose: proof.PurposeAuthentication}); !errors.Is(err, vc.ErrProof) {
					t.Fatalf("wrong purpose: %v", err)
				}
			})
		}
	}
}
