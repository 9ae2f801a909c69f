package wallettest_test

// The issuer's parts, all real: a did:key issuer signing with vc/issuer,
// presentations verified by vc/verify, keys resolved by vc/did, status
// entries allocated by the status package.

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
)

type parts struct {
	signer   vc.Signer
	statuses *status.Service
	resolver vc.Resolver
	issuer   wallet.Issuer
	status   wallet.StatusAllocator
	verifier wallet.PresentationVerifier
	keys     oid4vci.KeyResolver
	issuerID string
}

// newParts makes an issuer whose status lists live under statusBase. With
// jcs, VC 2.0 credentials are signed with eddsa-jcs-2022 instead of
// eddsa-rdfc-2022: the SQL store runs test the stores, and RDF
// canonicalisation under the race detector would only slow them down.
// ropts configure the resolver of holders' DIDs (a netguard client).
func newParts(t testing.TB, statusBase string, jcs bool, ropts ...did.ResolverOption) *parts {
	priv, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	resolver := did.NewResolver(ropts...)
	st, err := status.New(status.Config{BaseURL: statusBase, Suspension: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := issuer.Config{Signer: signer}
	if jcs {
		cfg.SuiteV2 = proof.SuiteEddsaJcs2022
	}
	sg, err := issuer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{
		Profile: vc.Profile{ID: issuerDID, Name: "Example University"},
		Signer:  sg,
		Achievement: wallet.StoreAchievements("", func(_ context.Context, _ store.Repos, aw credential.Award) (vc.Achievement, error) {
			return vc.Achievement{Name: "Certificate in " + aw.Achievement.ID, Description: "Passed the course."}, nil
		}),
		Status: st.Entry,
	})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	return &parts{
		signer:   signer,
		statuses: st,
		issuer:   iss,
		status:   st,
		verifier: ver,
		keys:     oid4vci.KeysFrom(resolver),
		resolver: resolver,
		issuerID: issuerDID,
	}
}

func decodeJWTPayload(t *testing.T, jwt string) []byte {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}
