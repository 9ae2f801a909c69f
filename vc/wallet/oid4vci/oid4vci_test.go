package oid4vci_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/wallettest"
	"github.com/go-jose/go-jose/v4"
)

const iss = "https://cred.example.edu/wallet/oid4vci"

// keysOf resolves exactly the verification methods of the given holders.
func keysOf(hs ...*wallettest.Holder) oid4vci.KeyResolver {
	return oid4vci.KeyResolverFunc(func(_ context.Context, u string) (crypto.PublicKey, error) {
		for _, h := range hs {
			if h.VM == u {
				return h.Key.Public().(ed25519.PublicKey), nil
			}
		}
		return nil, errors.New("unknown verification method")
	})
}

func TestVerifyProofJWT(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	h, _ := wallettest.NewHolder()
	other, _ := wallettest.NewHolder()
	h.Now = func() time.Time { return now }
	keys := keysOf(h, other)
	jwt := func(o wallettest.ProofOptions) string {
		if o.Audience == "" {
			o.Audience = iss
		}
		if o.Nonce == "" {
			o.Nonce = "n-1"
		}
		s, err := h.ProofJWT(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p, err := oid4vci.VerifyProofJWT(ctx, keys, jwt(wallettest.ProofOptions{}), oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: 5 * time.Minute})
	if err != nil || p.Holder != h.DID || p.Nonce != "n-1" {
		t.Fatalf("kid proof: %+v %v", p, err)
	}
	p, err = oid4vci.VerifyProofJWT(ctx, keys, jwt(wallettest.ProofOptions{EmbedJWK: true}), oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: 5 * time.Minute})
	if err != nil || !strings.HasPrefix(p.Holder, "did:jwk:") {
		t.Fatalf("jwk proof: %+v %v", p, err)
	}
	for name, tok := range map[string]string{
		"other key, holder's kid": jwt(wallettest.ProofOptions{SignWith: other.Key}),
		"other's kid, my key":     jwt(wallettest.ProofOptions{KeyID: other.VM}),
		"unknown kid":             jwt(wallettest.ProofOptions{KeyID: "did:key:z6MkUnknown#z6MkUnknown"}),
		"kid not a DID URL":       jwt(wallettest.ProofOptions{KeyID: "key-1"}),
		"aud":                     jwt(wallettest.ProofOptions{Audience: "https://evil.example"}),
		"typ":                     jwt(wallettest.ProofOptions{Typ: "JWT"}),
		"old":                     jwt(wallettest.ProofOptions{IssuedAt: now.Add(-time.Hour)}),
		"future":                  jwt(wallettest.ProofOptions{IssuedAt: now.Add(time.Hour)}),
		"garbage":                 "a.b.c",
		"alg none":                "eyJhbGciOiJub25lIiwidHlwIjoib3BlbmlkNHZjaS1wcm9vZitqd3QifQ.e30.",
	} {
		if _, err := oid4vci.VerifyProofJWT(ctx, keys, tok, oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: 5 * time.Minute}); !errors.Is(err, wallet.ErrProof) {
			t.Errorf("%s: got %v, want ErrProof", name, err)
		}
	}
}

func TestParseTokenRequest(t *testing.T) {
	tr, err := oid4vci.ParseTokenRequest("application/x-www-form-urlencoded", []byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc.def"))
	if err != nil || tr.Code != "abc.def" {
		t.Fatalf("%+v %v", tr, err)
	}
	tr, err = oid4vci.ParseTokenRequest("application/json", []byte(`{"grant_type":"`+oid4vci.GrantPreAuthorized+`","pre-authorized_code":"x.y"}`))
	if err != nil || tr.Code != "x.y" {
		t.Fatalf("json: %+v %v", tr, err)
	}
	for name, c := range map[string]struct{ ct, body, code string }{
		"grant":    {"application/x-www-form-urlencoded", "grant_type=password", "unsupported_grant_type"},
		"no code":  {"application/x-www-form-urlencoded", "grant_type=" + oid4vci.GrantPreAuthorized, "invalid_request"},
		"repeated": {"", "grant_type=a&grant_type=b", "invalid_request"},
		"xml":      {"text/xml", "<a/>", "invalid_request"},
		"bad json": {"application/json", "{", "invalid_request"},
	} {
		_, err := oid4vci.ParseTokenRequest(c.ct, []byte(c.body))
		var we *wallet.Error
		if !errors.As(err, &we) || we.Code != c.code || we.Status != 400 {
			t.Errorf("%s: got %v, want %s", name, err, c.code)
		}
	}
}

func TestParseCredentialRequest(t *testing.T) {
	cr, err := oid4vci.ParseCredentialRequest([]byte(`{"credential_configuration_id":"A","proofs":{"jwt":["j"]}}`))
	if err != nil || cr.ConfigurationID != "A" || cr.ProofJWT != "j" {
		t.Fatalf("1.0 form: %+v %v", cr, err)
	}
	cr, err = oid4vci.ParseCredentialRequest([]byte(`{"format":"ldp_vc","credential_definition":{"type":["VerifiableCredential"]},"proof":{"proof_type":"jwt","jwt":"j"}}`))
	if err != nil || cr.Format != "ldp_vc" || cr.Types[0] != "VerifiableCredential" {
		t.Fatalf("draft 13 form: %+v %v", cr, err)
	}
	for name, c := range map[string]struct{ body, code string }{
		"both proofs":     {`{"format":"ldp_vc","proof":{"proof_type":"jwt","jwt":"j"},"proofs":{"jwt":["j"]}}`, "invalid_credential_request"},
		"two jwts":        {`{"format":"ldp_vc","proofs":{"jwt":["a","b"]}}`, "invalid_proof"},
		"no config":       {`{"proof":{"proof_type":"jwt","jwt":"j"}}`, "invalid_credential_request"},
		"identifier":      {`{"credential_identifier":"x","proof":{"proof_type":"jwt","jwt":"j"}}`, "invalid_credential_request"},
		"malformed":       {`{"format":`, "invalid_credential_request"},
		"empty jwt":       {`{"format":"ldp_vc","proof":{"proof_type":"jwt","jwt":""}}`, "invalid_proof"},
		"ldp_vp proof":    {`{"format":"ldp_vc","proof":{"proof_type":"ldp_vp"}}`, "invalid_proof"},
		"wrong proofs ty": {`{"format":"ldp_vc","proofs":{"ldp_vp":[{}]}}`, "invalid_proof"},
	} {
		_, err := oid4vci.ParseCredentialRequest([]byte(c.body))
		var we *wallet.Error
		if !errors.As(err, &we) || we.Code != c.code {
			t.Errorf("%s: got %v, want %s", name, err, c.code)
		}
	}
}

func TestOfferLinks(t *testing.T) {
	offer := []byte(`{"credential_issuer":"` + iss + `","credential_configuration_ids":["A"],"grants":{"` + oid4vci.GrantPreAuthorized + `":{"pre-authorized_code":"c.d"}}}`)
	o, uri, err := oid4vci.ParseOfferLink(oid4vci.ByValueLink(oid4vci.DefaultOfferScheme, offer))
	if err != nil || uri != "" || o.CredentialIssuer != iss {
		t.Fatalf("by value: %+v %q %v", o, uri, err)
	}
	o, uri, err = oid4vci.ParseOfferLink(oid4vci.ByReferenceLink(oid4vci.DefaultOfferScheme, iss+"/offers/1"))
	if err != nil || o != nil || uri != iss+"/offers/1" {
		t.Fatalf("by reference: %+v %q %v", o, uri, err)
	}
	for _, bad := range []string{
		"openid-credential-offer://?",
		"openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fx",
		"openid-credential-offer://?credential_offer=%7B%7D",
		`openid-credential-offer://?credential_offer={"credential_issuer":"a","credential_configuration_ids":["A"],"grants":{}}`,
	} {
		if _, _, err := oid4vci.ParseOfferLink(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("grant_type="+oid4vci.GrantPreAuthorized+"&pre-authorized_code=a.b&tx_code=1"))
	f.Add("application/json", []byte(`{"grant_type":1}`))
	f.Add("", []byte("%%%"))
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		tr, err := oid4vci.ParseTokenRequest(ct, b)
		if err != nil {
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status != 400 {
				t.Fatalf("not a 400 *wallet.Error: %v", err)
			}
			return
		}
		if tr.GrantType != oid4vci.GrantPreAuthorized || tr.Code == "" {
			t.Fatalf("accepted %+v", tr)
		}
	})
}

func FuzzParseCredentialRequest(f *testing.F) {
	f.Add([]byte(`{"credential_configuration_id":"A","proof":{"proof_type":"jwt","jwt":"x"}}`))
	f.Add([]byte(`{"format":"jwt_vc_json","proofs":{"jwt":["x"]},"credential_definition":{"type":["A"]}}`))
	f.Add([]byte(`{"proofs":{"jwt":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cr, err := oid4vci.ParseCredentialRequest(b)
		if err != nil {
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status/100 != 4 {
				t.Fatalf("not a 4xx *wallet.Error: %v", err)
			}
			return
		}
		if cr.ProofJWT == "" || (cr.ConfigurationID == "" && cr.Format == "") {
			t.Fatalf("accepted %+v", cr)
		}
	})
}

func FuzzParseOfferLink(f *testing.F) {
	f.Add(oid4vci.ByReferenceLink(oid4vci.DefaultOfferScheme, iss+"/offers/1"))
	f.Add(oid4vci.ByValueLink(oid4vci.DefaultOfferScheme, []byte(`{"credential_issuer":"a","credential_configuration_ids":["A"],"grants":{"`+oid4vci.GrantPreAuthorized+`":{"pre-authorized_code":"x"}}}`)))
	f.Add("openid-credential-offer://?credential_offer=null")
	f.Fuzz(func(t *testing.T, link string) {
		o, uri, err := oid4vci.ParseOfferLink(link)
		if err != nil {
			return
		}
		if (o == nil) == (uri == "") {
			t.Fatalf("want exactly one of offer and uri: %+v %q", o, uri)
		}
	})
}

func FuzzVerifyProofJWT(f *testing.F) {
	h, _ := wallettest.NewHolder()
	now := time.Unix(1_800_000_000, 0)
	h.Now = func() time.Time { return now }
	good, _ := h.ProofJWT(wallettest.ProofOptions{Audience: iss, Nonce: "n"})
	jwk, _ := h.ProofJWT(wallettest.ProofOptions{Audience: iss, Nonce: "n", EmbedJWK: true})
	f.Add(good)
	f.Add(jwk)
	f.Add("e30.e30.")
	keys := keysOf(h)
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := oid4vci.VerifyProofJWT(context.Background(), keys, tok, oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: time.Minute})
		if err != nil {
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status/100 != 4 {
				t.Fatalf("not a 4xx *wallet.Error: %v", err)
			}
			return
		}
		if p.Holder == "" || p.Nonce == "" {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// A wallet holding a P-256 key binds the credential with an embedded jwk
// and ES256; the holder becomes the key's did:jwk.
func TestVerifyProofJWTES256JWK(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(oid4vci.ProofType)
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{"aud": iss, "iat": now.Unix(), "nonce": "n"})
	jws, _ := sg.Sign(claims)
	tok, _ := jws.CompactSerialize()
	p, err := oid4vci.VerifyProofJWT(context.Background(), keysOf(), tok, oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: time.Minute})
	if err != nil || !strings.HasPrefix(p.Holder, "did:jwk:") {
		t.Fatalf("%+v %v", p, err)
	}
	// A private key in the header is refused.
	opts = (&jose.SignerOptions{}).WithType(oid4vci.ProofType).WithHeader("jwk", jose.JSONWebKey{Key: key})
	sg, _ = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	jws, _ = sg.Sign(claims)
	tok, _ = jws.CompactSerialize()
	if _, err := oid4vci.VerifyProofJWT(context.Background(), keysOf(), tok, oid4vci.ProofExpect{Issuer: iss, Now: now, MaxAge: time.Minute}); !errors.Is(err, wallet.ErrProof) {
		t.Fatalf("private jwk: %v", err)
	}
}
