package did_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
)

func TestBase58RoundTrip(t *testing.T) {
	for _, b := range [][]byte{{}, {0}, {0, 0, 1}, {0xff, 0xee}, bytes.Repeat([]byte{0x5a}, 64)} {
		got, err := did.DecodeBase58(did.Base58(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%x -> %q -> %x %v", b, did.Base58(b), got, err)
		}
	}
	// The did:key test vector of the did:key spec.
	const known = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	pub, err := did.ParseKeyDID(known)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := did.KeyDID(pub); d != known {
		t.Fatalf("re-encoded %s", d)
	}
}

func TestKeyDID(t *testing.T) {
	priv, d, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d, "did:key:z6Mk") || vm != d+"#"+strings.TrimPrefix(d, "did:key:") {
		t.Fatalf("%s %s", d, vm)
	}
	m, err := did.NewResolver().ResolveVerificationMethod(context.Background(), vm)
	if err != nil {
		t.Fatal(err)
	}
	if !m.PublicKey.Equal(priv.Public()) || !m.Allows("assertionMethod") || !m.Allows("authentication") || m.Controller != d {
		t.Fatalf("%+v", m)
	}
	for _, bad := range []string{"did:key:", "did:key:z", "did:key:zzzz", "did:key:u" + "AAAA", "did:web:x", d + "#other",
		"did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"} {
		if _, err := did.ParseKeyDID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestJWKAndMultikey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	j := did.PrivateJWK(priv)
	p2, err := j.PrivateKey()
	if err != nil || !p2.Equal(priv) {
		t.Fatal(err)
	}
	if pk, err := did.PublicJWK(pub).PublicKey(); err != nil || !pk.Equal(pub) {
		t.Fatal(err)
	}
	if _, err := did.PublicJWK(pub).PrivateKey(); err == nil {
		t.Fatal("a public JWK gave a private key")
	}
	bad := j
	bad.X = did.PublicJWK(make([]byte, 32)).X
	if _, err := bad.PrivateKey(); err == nil {
		t.Fatal("mismatched x and d accepted")
	}
	if _, err := (did.JWK{Kty: "EC", Crv: "P-256"}).PublicKey(); !errors.Is(err, vc.ErrUnsupported) {
		t.Fatalf("EC key: %v", err)
	}
	mk := did.EncodePrivateMultikey(priv)
	if p3, err := did.DecodePrivateMultikey(mk); err != nil || !p3.Equal(priv) {
		t.Fatal(err)
	}
	if pk, err := did.DecodeMultikey(did.EncodeMultikey(pub)); err != nil || !pk.Equal(pub) {
		t.Fatal(err)
	}
}

func TestWebURL(t *testing.T) {
	for d, want := range map[string]string{
		"did:web:example.edu":                 "https://example.edu/.well-known/did.json",
		"did:web:example.edu:issuers:1":       "https://example.edu/issuers/1/did.json",
		"did:web:example.edu%3A8443":          "https://example.edu:8443/.well-known/did.json",
		did.WebDID("example.edu:8443", "a b"): "https://example.edu:8443/a%20b/did.json",
	} {
		got, err := did.WebURL(d)
		if err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", d, got, err, want)
		}
	}
	for _, bad := range []string{"did:web:", "did:web:example.edu:..", "did:web:a/b", "did:key:z", "did:web:ex%ZZ", "did:web:example.edu::x"} {
		if _, err := did.WebURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A did:web issuer with two keys (rotation) served by WebHandler and
// resolved over HTTPS.
func TestWebHandlerAndResolver(t *testing.T) {
	pub1, _, _ := ed25519.GenerateKey(rand.Reader)
	pub2, _, _ := ed25519.GenerateKey(rand.Reader)
	h, _ := did.NewWebHandler()
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	root := did.WebDID(u.Host)
	sub := did.WebDID(u.Host, "issuers", "physics")
	for _, d := range []string{root, sub} {
		doc, err := did.NewDocument(d, []ed25519.PublicKey{pub1, pub2})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Set(doc); err != nil {
			t.Fatal(err)
		}
	}
	r := did.NewResolver(did.WithNetPolicy(netguard.Localhost()), did.WithTLSConfig(tlsOf(srv)), did.WithTimeout(2*time.Second))
	ctx := context.Background()
	for _, d := range []string{root, sub} {
		for i, pub := range []ed25519.PublicKey{pub1, pub2} {
			m, err := r.ResolveVerificationMethod(ctx, d+"#key-"+string(rune('1'+i)))
			if err != nil {
				t.Fatal(err)
			}
			if !m.PublicKey.Equal(pub) || m.Controller != d {
				t.Fatalf("%+v", m)
			}
		}
		if _, err := r.ResolveVerificationMethod(ctx, d+"#key-9"); !errors.Is(err, vc.ErrResolve) {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if _, err := r.Resolve(ctx, did.WebDID(u.Host, "nobody")); !errors.Is(err, vc.ErrResolve) {
		t.Fatalf("missing document: %v", err)
	}
	resp, err := srv.Client().Post(srv.URL+"/.well-known/did.json", "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %v %v", err, resp)
	}
}

func TestResolverLimits(t *testing.T) {
	slow := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big/did.json" {
			_, _ = w.Write(bytes.Repeat([]byte(" "), 2048))
			return
		}
		if r.URL.Path == "/moved/did.json" {
			http.Redirect(w, r, "https://127.0.0.2:1/did.json", http.StatusFound)
			return
		}
		if r.URL.Path == "/other/did.json" {
			_, _ = w.Write([]byte(`{"id":"did:web:someone.else"}`))
			return
		}
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(slow)
	u, _ := url.Parse(srv.URL)
	r := did.NewResolver(did.WithNetPolicy(netguard.Localhost()), did.WithTLSConfig(tlsOf(srv)), did.WithTimeout(200*time.Millisecond), did.WithMaxSize(1024))
	ctx := context.Background()
	if _, err := r.Resolve(ctx, did.WebDID(u.Host)); !errors.Is(err, vc.ErrResolve) {
		t.Fatalf("slow server: %v", err)
	}
	if _, err := r.Resolve(ctx, did.WebDID(u.Host, "big")); !errors.Is(err, vc.ErrTooLarge) {
		t.Fatalf("big document: %v", err)
	}
	if _, err := r.Resolve(ctx, did.WebDID(u.Host, "other")); !errors.Is(err, vc.ErrResolve) {
		t.Fatalf("document of another DID: %v", err)
	}
	var fe *did.FetchError
	if _, err := r.Resolve(ctx, did.WebDID(u.Host, "moved")); !errors.As(err, &fe) || !strings.Contains(fe.Detail(), "redirect") {
		t.Fatalf("redirect to another host: %v", err)
	}
	if _, err := r.Resolve(ctx, "did:example:1"); !errors.Is(err, vc.ErrUnsupported) {
		t.Fatalf("unknown method: %v", err)
	}
}

func FuzzParseKeyDID(f *testing.F) {
	_, d, vm, _ := did.GenerateKey()
	for _, s := range []string{d, vm, "did:key:z", "did:key:z6Mk", "did:key:u7QE", "did:key:" + strings.Repeat("z", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := did.ParseKeyDID(s)
		if err != nil {
			return
		}
		if len(pub) != ed25519.PublicKeySize {
			t.Fatalf("%q gave a %d-byte key", s, len(pub))
		}
		if _, err := did.KeyDocument(vc.DIDOf(s)); err != nil {
			t.Fatalf("%q parses but has no document: %v", s, err)
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	doc, _ := did.NewDocument("did:web:example.edu", []ed25519.PublicKey{pub})
	b, _ := json.Marshal(doc)
	f.Add(b)
	f.Add([]byte(`{"id":"did:web:x","verificationMethod":[{"id":"#k","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"AA"}}],"authentication":["#k",{"id":"#e","publicKeyBase58":"111"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := did.ParseDocument(data)
		if err != nil {
			return
		}
		for _, m := range d.VerificationMethod {
			_, _ = d.Method(m.ID)
		}
		for _, r := range d.Authentication.Refs {
			_, _ = d.Method(r)
		}
	})
}
