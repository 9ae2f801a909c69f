package proof

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/vctest"
)

// A proof made under the draft cryptosuite name eddsa-2022 (same
// algorithm as eddsa-rdfc-2022) verifies.
func TestVerifyAcceptsEddsa2022(t *testing.T) {
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	c, _ := vc.Compose(vctest.Request(d, "did:example:h", vc.V2))
	b, _ := json.Marshal(c)
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	p := map[string]any{"type": TypeDataIntegrity, "cryptosuite": Eddsa2022, "created": "2026-01-01T00:00:00Z",
		"verificationMethod": vm, "proofPurpose": PurposeAssertion}
	data, err := hashData(context.Background(), doc, p, SuiteEddsaRdfc2022, ld.Default())
	if err != nil {
		t.Fatal(err)
	}
	p["proofValue"] = "z" + did.Base58(ed25519.Sign(key, data))
	doc["proof"] = p
	vs, err := VerifyMap(context.Background(), doc, Expect{Resolver: did.NewResolver()})
	if err != nil || vs[0].Cryptosuite != Eddsa2022 {
		t.Fatalf("%v %+v", err, vs)
	}
}
