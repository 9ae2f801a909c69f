package verify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/verify"
)

// TestDeeplyNestedJSONLDRefused: a presentation or credential whose
// @context (JSON-LD) is nested past vc.MaxDepth (32) — 33 levels, or
// 10,000 in 130 KB, well under the size limit — is refused with
// vc.ErrTooDeep by the verifier's first step, before anything is resolved,
// fetched or canonicalised. The wallet endpoints verify DIDAuth
// presentations with it.
func TestDeeplyNestedJSONLDRefused(t *testing.T) {
	ctx := context.Background()
	v, err := verify.New(verify.Config{})
	if err != nil {
		t.Fatal(err)
	}
	nested := func(depth int, kind string) []byte {
		c := strings.Repeat(`{"@context":`, depth-2) + `"https://www.w3.org/ns/credentials/v2"` + strings.Repeat(`}`, depth-2)
		return []byte(`{"@context":[` + c + `],"type":"` + kind + `","holder":"did:key:z","issuer":"did:key:z","proof":{}}`)
	}
	for _, depth := range []int{vc.MaxDepth + 1, 10_000} {
		_, err := v.CheckPresentation(ctx, nested(depth, "VerifiablePresentation"), verify.PresentationOptions{Challenge: "c"})
		if !errors.Is(err, vc.ErrTooDeep) {
			t.Errorf("presentation of depth %d: %v, want vc.ErrTooDeep", depth, err)
		}
		if r := v.VerifyCredential(ctx, nested(depth, "VerifiableCredential")); r.Verdict == vc.VerdictValid {
			t.Errorf("credential of depth %d: verdict %v", depth, r.Verdict)
		}
		if _, err := vc.ParseCredential(nested(depth, "VerifiableCredential")); !errors.Is(err, vc.ErrTooDeep) {
			t.Errorf("credential of depth %d: ParseCredential = %v, want vc.ErrTooDeep", depth, err)
		}
	}
}
