package wallettest_test

// TEMPORARY stand-ins for the vc issuer/verifier and the status allocator,
// used only until those packages land; then newParts wires the real ones.

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/wallettest"
	"github.com/go-jose/go-jose/v4"
)

type parts struct {
	resolver vc.Resolver
	issuer   wallet.Issuer
	status   wallet.StatusAllocator
	verifier wallet.PresentationVerifier
	keys     oid4vci.KeyResolver
	issuerID string
}

func newParts(t *testing.T, _ store.Store) parts {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, vm := wallettest.DIDKey(priv.Public().(ed25519.PublicKey))
	keys := oid4vci.KeysFrom(did.NewResolver())
	return parts{
		issuer:   standInIssuer{key: priv, vm: vm},
		status:   standInStatus{},
		verifier: standInVerifier{},
		keys:     keys,
		resolver: did.NewResolver(),
		issuerID: issuerDID,
	}
}

func b58decode(s string) ([]byte, error) {
	const alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int)
	for _, c := range s {
		i := strings.IndexRune(alpha, c)
		if i < 0 {
			return nil, errors.New("bad base58")
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(i)))
	}
	b := n.Bytes()
	for _, c := range s {
		if c != '1' {
			break
		}
		b = append([]byte{0}, b...)
	}
	return b, nil
}

func resolveDIDKey(u string) (crypto.PublicKey, error) {
	did := wallet.DIDOf(u)
	mb, ok := strings.CutPrefix(did, "did:key:z")
	if !ok {
		return nil, fmt.Errorf("not a did:key: %q", u)
	}
	if _, frag, ok := strings.Cut(u, "#"); ok && frag != "z"+mb {
		return nil, errors.New("fragment is not the key")
	}
	b, err := b58decode(mb)
	if err != nil || len(b) != 34 || b[0] != 0xed || b[1] != 0x01 {
		return nil, errors.New("not an Ed25519 did:key")
	}
	return ed25519.PublicKey(b[2:]), nil
}

type standInVerifier struct{}

func (standInVerifier) VerifyPresentation(_ context.Context, vp []byte, challenge, domain string) error {
	var doc map[string]any
	if err := json.Unmarshal(vp, &doc); err != nil {
		return err
	}
	proof, _ := doc["proof"].(map[string]any)
	if proof == nil || proof["cryptosuite"] != "eddsa-jcs-2022" {
		return errors.New("unsupported proof")
	}
	vm, _ := proof["verificationMethod"].(string)
	pub, err := resolveDIDKey(vm)
	if err != nil {
		return err
	}
	pv, _ := proof["proofValue"].(string)
	sig, err := b58decode(strings.TrimPrefix(pv, "z"))
	if err != nil {
		return err
	}
	delete(doc, "proof")
	cfg := map[string]any{"@context": doc["@context"]}
	for k, v := range proof {
		if k != "proofValue" {
			cfg[k] = v
		}
	}
	cb, _ := wallettest.Canonical(cfg)
	db, _ := wallettest.Canonical(doc)
	ch, dh := sha256.Sum256(cb), sha256.Sum256(db)
	if !ed25519.Verify(pub.(ed25519.PublicKey), append(ch[:], dh[:]...), sig) {
		return errors.New("signature does not verify")
	}
	return nil
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

type standInIssuer struct {
	key ed25519.PrivateKey
	vm  string
}

func (s standInIssuer) Issue(_ context.Context, r wallet.IssueRequest) (wallet.IssuedCredential, error) {
	doc := map[string]any{
		"@context":          []string{"https://www.w3.org/ns/credentials/v2"},
		"id":                r.CredentialID,
		"type":              []string{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer":            r.IssuerID,
		"credentialSubject": map[string]any{"id": r.HolderDID, "name": r.Learner.FullName},
	}
	b, _ := json.Marshal(doc)
	if r.Format == vc.FormatLDP {
		return wallet.IssuedCredential{ID: r.CredentialID, Format: r.Format, Credential: b}, nil
	}
	sg, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: s.key}, (&jose.SignerOptions{}).WithHeader("kid", s.vm))
	jws, _ := sg.Sign(b)
	c, _ := jws.CompactSerialize()
	q, _ := json.Marshal(c)
	return wallet.IssuedCredential{ID: r.CredentialID, Format: r.Format, Credential: q}, nil
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
