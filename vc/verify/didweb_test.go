package verify_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"github.com/credshare/credshare/vc/netguard"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// A did:web issuer served over HTTPS rotates its key: credentials signed
// with the old key verify while the DID document lists it, and stop
// verifying once it is removed; a key listed only for authentication
// cannot issue.
func TestDIDWebIssuerRotation(t *testing.T) {
	ctx := context.Background()
	h, _ := did.NewWebHandler()
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	id := did.WebDID(u.Host, "issuers", "1")
	_, old, _ := ed25519.GenerateKey(rand.Reader)
	_, cur, _ := ed25519.GenerateKey(rand.Reader)
	pubs := []ed25519.PublicKey{old.Public().(ed25519.PublicKey), cur.Public().(ed25519.PublicKey)}
	doc, _ := did.NewDocument(id, pubs, "#2025", "#2026")
	_ = h.Set(doc)
	v, _ := verify.New(verify.Config{Resolver: did.NewResolver(did.WithNetPolicy(netguard.Localhost()),
		did.WithTLSConfig(srv.Client().Transport.(*http.Transport).TLSClientConfig))})

	issue := func(key ed25519.PrivateKey, vm string) []byte {
		s, err := vc.NewSigner(key, vm)
		if err != nil {
			t.Fatal(err)
		}
		is, _ := issuer.New(issuer.Config{Signer: s})
		req := vctest.Request(id, "did:example:holder", vc.V2)
		req.Status = nil
		c, _ := vc.Compose(req)
		b, err := is.Issue(ctx, c, vc.FormatLDP)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oldCred, newCred := issue(old, id+"#2025"), issue(cur, id+"#2026")
	for _, b := range [][]byte{oldCred, newCred} {
		if r := v.VerifyCredential(ctx, b); !r.Valid() {
			t.Fatalf("%s %v", r.Verdict, r.Reasons)
		}
	}
	// Retire the old key.
	doc2, _ := did.NewDocument(id, pubs[1:], "#2026")
	_ = h.Set(doc2)
	if r := v.VerifyCredential(ctx, oldCred); r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonResolve) {
		t.Fatalf("retired key: %s %v", r.Verdict, r.Reasons)
	}
	if r := v.VerifyCredential(ctx, newCred); !r.Valid() {
		t.Fatalf("current key: %s %v", r.Verdict, r.Reasons)
	}
	// A key the document lists for authentication only.
	doc3, _ := did.NewDocument(id, pubs[1:], "#2026")
	doc3.AssertionMethod = did.Relationship{}
	_ = h.Set(doc3)
	if r := v.VerifyCredential(ctx, newCred); r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonProof) {
		t.Fatalf("authentication-only key: %s %v", r.Verdict, r.Reasons)
	}
}

// A presentation carrying a credential: the holder's proof and the
// credential are both checked.
func TestPresentationWithCredential(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	hkey, holder, hvm, _ := did.GenerateKey()
	req := vctest.Request(iss, holder, vc.V2)
	req.Status = nil
	c, _ := vc.Compose(req)
	signed, _ := is.Issue(ctx, c, vc.FormatLDP)
	hs, _ := vc.NewSigner(hkey, hvm)
	vp, err := issuer.Present(ctx, vc.Presentation{VerifiableCredential: []json.RawMessage{signed}}, hs, issuer.PresentOptions{Challenge: "q"})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{Now: func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }})
	res, err := v.CheckPresentation(ctx, vp, verify.PresentationOptions{Challenge: "q", VerifyCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Credentials) != 1 || !res.Credentials[0].Valid() || res.Credentials[0].Credential.CredentialSubject[0].ID != holder {
		t.Fatalf("%+v", res.Credentials)
	}
}
