package verify_test

import (
	"context"
	"testing"

	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// A Verifier is the wallet service's PresentationVerifier as it is.
var _ wallet.PresentationVerifier = (*verify.Verifier)(nil)

// The wallet simulator's DIDAuth presentations (eddsa-jcs-2022, made
// without this module's code) verify, and its bad ones do not.
func TestWalletSimulatorPresentations(t *testing.T) {
	h, err := wallettest.NewHolder()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{})
	ctx := context.Background()
	vp, err := h.Present(wallettest.PresentOptions{Challenge: "abc", Domain: "example.edu"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyPresentation(ctx, vp, "abc", "example.edu"); err != nil {
		t.Fatalf("good presentation: %v", err)
	}
	for name, o := range map[string]wallettest.PresentOptions{
		"tampered": {Challenge: "abc", TamperAfterSigning: true},
		"purpose":  {Challenge: "abc", ProofPurpose: "assertionMethod"},
	} {
		vp, err := h.Present(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.VerifyPresentation(ctx, vp, "abc", ""); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	other, _ := wallettest.NewHolder()
	vp, _ = h.Present(wallettest.PresentOptions{Challenge: "abc", SignWith: other.Key})
	if err := v.VerifyPresentation(ctx, vp, "abc", ""); err == nil {
		t.Error("signed with another key: accepted")
	}
}
