package aries_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	credld "github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
	"github.com/hyperledger/aries-framework-go/component/storageutil/mem"
	ariesld "github.com/hyperledger/aries-framework-go/pkg/doc/ld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/ldcontext"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/verifier"
	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"
	ldstore "github.com/hyperledger/aries-framework-go/pkg/store/ld"
)

type ldProvider struct {
	cs ldstore.ContextStore
	rs ldstore.RemoteProviderStore
}

func (p ldProvider) JSONLDContextStore() ldstore.ContextStore               { return p.cs }
func (p ldProvider) JSONLDRemoteProviderStore() ldstore.RemoteProviderStore { return p.rs }

// ariesLoader is aries' own document loader, offline, with the contexts
// it lacks (OBv3, VC v2, status lists, data integrity) added from our
// bundle.
func ariesLoader(t *testing.T) *ariesld.DocumentLoader {
	sp := mem.NewProvider()
	cs, err := ldstore.NewContextStore(sp)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ldstore.NewRemoteProviderStore(sp)
	if err != nil {
		t.Fatal(err)
	}
	var extra []ldcontext.Document
	for _, u := range credld.Bundled() {
		b, _ := credld.BundledContext(u)
		extra = append(extra, ldcontext.Document{URL: u, Content: b})
	}
	l, err := ariesld.NewDocumentLoader(ldProvider{cs, rs}, ariesld.WithExtraContexts(extra...))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// didKeyFetcher resolves the verification method's did:key to its key.
func didKeyFetcher(issuerID, keyID string) (*verifier.PublicKey, error) {
	if !strings.HasPrefix(keyID, issuerID) && !strings.HasPrefix(keyID, "#") {
		return nil, fmt.Errorf("key %s is not the issuer's", keyID)
	}
	if strings.HasPrefix(keyID, "#") {
		keyID = issuerID + keyID
	}
	pub, err := did.ParseKeyDID(keyID)
	if err != nil {
		return nil, err
	}
	return &verifier.PublicKey{Type: "Ed25519VerificationKey2020", Value: pub}, nil
}

func ariesVerify(t *testing.T, l *ariesld.DocumentLoader, b []byte) (*verifiable.Credential, error) {
	return verifiable.ParseCredential(b,
		verifiable.WithJSONLDDocumentLoader(l),
		verifiable.WithPublicKeyFetcher(didKeyFetcher),
		verifiable.WithEmbeddedSignatureSuites(ed25519signature2020.New(suite.WithVerifier(ed25519signature2020.NewPublicKeyVerifier()))),
	)
}

// TestAriesVerifiesOurVC11 has aries-framework-go v0.3.2 verify our VC 1.1
// OpenBadgeCredential with Ed25519Signature2020, and reject a tampered one.
func TestAriesVerifiesOurVC11(t *testing.T) {
	ctx := context.Background()
	key := vctest.Key()
	issuerDID, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, err := vc.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(issuer.Config{Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	l := ariesLoader(t)
	for _, holder := range []string{"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", ""} {
		req := vctest.Request(issuerDID, holder, vc.V1)
		req.ValidFrom = time.Now().Add(-time.Hour)
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := is.IssueWith(ctx, c, vc.FormatLDP, proof.SuiteEd25519Signature2020)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ariesVerify(t, l, signed)
		if err != nil {
			t.Fatalf("aries rejected our credential: %v\n%s", err, signed)
		}
		if got.Issuer.ID != issuerDID || !strings.Contains(strings.Join(got.Types, ","), "OpenBadgeCredential") {
			t.Fatalf("aries read issuer %s types %v", got.Issuer.ID, got.Types)
		}
		tampered := []byte(strings.Replace(string(signed), "Demonstration Course", "Demolition Course", 1))
		if _, err := ariesVerify(t, l, tampered); err == nil {
			t.Fatal("aries accepted a tampered credential")
		} else {
			t.Logf("tampered: aries says %v", err)
		}
	}
}

type edSigner ed25519.PrivateKey

func (k edSigner) Sign(data []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(k), data), nil
}
func (k edSigner) Alg() string { return "EdDSA" }

// TestOursVerifiesAries has aries-framework-go sign a VC 1.1
// OpenBadgeCredential with Ed25519Signature2020 and checks ours accepts
// it, and rejects it tampered.
func TestOursVerifiesAries(t *testing.T) {
	ctx := context.Background()
	key, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	l := ariesLoader(t)
	req := vctest.Request(issuerDID, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", vc.V1)
	req.ValidFrom = time.Now().Add(-time.Hour)
	req.Status = nil
	c, err := vc.Compose(req)
	if err != nil {
		t.Fatal(err)
	}
	c.AddContext(vc.ContextEd25519Signature2020)
	raw, _ := c.MarshalJSON()
	ac, err := verifiable.ParseCredential(raw, verifiable.WithJSONLDDocumentLoader(l), verifiable.WithDisabledProofCheck())
	if err != nil {
		t.Fatal(err)
	}
	err = ac.AddLinkedDataProof(&verifiable.LinkedDataProofContext{
		SignatureType:           "Ed25519Signature2020",
		Suite:                   ed25519signature2020.New(suite.WithSigner(edSigner(key))),
		SignatureRepresentation: verifiable.SignatureProofValue,
		VerificationMethod:      vm,
		Purpose:                 "assertionMethod",
	}, jsonld.WithDocumentLoader(l))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := ac.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{})
	if r := v.VerifyCredential(ctx, signed); !r.Valid() {
		t.Fatalf("ours rejected aries' credential: %s %v\n%s", r.Verdict, r.Reasons, signed)
	}
	tampered := []byte(strings.Replace(string(signed), "Demonstration Course", "Demolition Course", 1))
	if r := v.VerifyCredential(ctx, tampered); r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonProof) {
		t.Fatalf("tampered: %s %v", r.Verdict, r.Reasons)
	}
}
