package wallettest_test

// TEMPORARY stand-ins for the vc issuer/verifier and the status allocator,
// used only until those packages land; then newParts wires the real ones.

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
)

type parts struct {
	resolver vc.Resolver
	issuer   wallet.Issuer
	status   wallet.StatusAllocator
	verifier wallet.PresentationVerifier
	keys     oid4vci.KeyResolver
	issuerID string
}

func newParts(t testing.TB, _ store.Store) parts {
	priv, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	resolver := did.NewResolver()
	sg, err := issuer.New(issuer.Config{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{
		Profile: vc.Profile{ID: issuerDID, Name: "Example University"},
		Signer:  sg,
		Achievement: func(_ context.Context, aw credential.Award) (vc.Achievement, error) {
			return vc.Achievement{Name: "Certificate in " + aw.Achievement.ID, Description: "Passed the course."}, nil
		},
		Status: standInStatusEntry,
	})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	return parts{
		issuer:   iss,
		status:   standInStatus{},
		verifier: ver,
		keys:     oid4vci.KeysFrom(resolver),
		resolver: resolver,
		issuerID: issuerDID,
	}
}

func standInStatusEntry(ref store.StatusRef, v vc.Version) (vc.StatusEntry, error) {
	u := "https://cred.example.edu/status/" + ref.ListID
	typ := vc.StatusBitstring
	if v == vc.V1 {
		typ = vc.StatusList2021
	}
	return vc.StatusEntry{ID: u + "#" + strconv.Itoa(ref.Index), Type: typ, StatusPurpose: ref.Purpose,
		StatusListIndex: strconv.Itoa(ref.Index), StatusListCredential: u}, nil
}

type standInStatus struct{}

func (standInStatus) Allocate(ctx context.Context, tx store.Repos, issuer string) ([]store.StatusRef, error) {
	l, ord, err := tx.StatusLists().Allocate(ctx, issuer, store.PurposeRevocation, func() store.StatusList {
		return store.StatusList{ID: "l" + wallet.NewToken()[:8], Seed: []byte("s"), Size: 131072, StatusSize: 1}
	})
	if err != nil {
		return nil, err
	}
	return []store.StatusRef{{Purpose: store.PurposeRevocation, ListID: l.ID, Index: int(ord)}}, nil
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
