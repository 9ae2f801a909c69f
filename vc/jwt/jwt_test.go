package jwt_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/go-jose/go-jose/v4"
)

func setup(t testing.TB) (ed25519.PrivateKey, string, string) {
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	return key, d, vm
}

func TestSignParseVerify(t *testing.T) {
	key, iss, vm := setup(t)
	s, _ := vc.NewSigner(key, vm)
	c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", vc.V1))
	b, _ := json.Marshal(c)
	tok, err := jwt.Sign(context.Background(), b, s)
	if err != nil {
		t.Fatal(err)
	}
	got, m, err := jwt.Verify(context.Background(), tok, did.NewResolver())
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != iss || got.Subject != "did:example:holder" || got.ID != c.ID || m.ID != vm ||
		!got.NotBefore.Equal(c.IssuanceDate) || !got.Expires.Equal(c.ExpirationDate) || got.Kid != vm {
		t.Fatalf("%+v", got)
	}
	if _, err := vc.ParseCredential(got.Credential); err != nil {
		t.Fatal(err)
	}
	// Signed by another key under our kid.
	other, _, _, _ := did.GenerateKey()
	s2, _ := vc.NewSigner(other, vm)
	bad, _ := jwt.Sign(context.Background(), b, s2)
	if _, _, err := jwt.Verify(context.Background(), bad, did.NewResolver()); !errors.Is(err, vc.ErrProof) {
		t.Fatalf("wrong key: %v", err)
	}
}

// DIDKit writes nbf as a float and leaves the dates out of the vc claim.
func TestFloatNbfAndClaimsFillIn(t *testing.T) {
	key, iss, vm := setup(t)
	claims := `{"iss":"` + iss + `","sub":"did:example:h","jti":"urn:uuid:1","nbf":1704067200.0,"exp":4102444800.5,
	 "vc":{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"credentialSubject":{}}}`
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", vm))
	jws, _ := signer.Sign([]byte(claims))
	tok, _ := jws.CompactSerialize()
	got, _, err := jwt.Verify(context.Background(), tok, did.NewResolver())
	if err != nil {
		t.Fatal(err)
	}
	if !got.NotBefore.Equal(time.Unix(1704067200, 0)) || got.Expires.Nanosecond() != 5e8 {
		t.Fatalf("times %v %v", got.NotBefore, got.Expires)
	}
	c, err := vc.ParseCredential(got.Credential)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer.ID != iss || c.ID != "urn:uuid:1" || c.CredentialSubject[0].ID != "did:example:h" || !c.IssuanceDate.Equal(time.Unix(1704067200, 0)) {
		t.Fatalf("%+v", c)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, tok := range map[string]string{
		"not jws":   "abc",
		"too big":   strings.Repeat("a", jwt.MaxTokenSize+1),
		"alg none":  "eyJhbGciOiJub25lIn0.eyJ2YyI6e319.",
		"bad b64":   "!!.!!.!!",
		"five part": "a.b.c.d.e",
	} {
		if _, err := jwt.Parse(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	key, iss, vm := setup(f)
	s, _ := vc.NewSigner(key, vm)
	c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", vc.V2))
	b, _ := json.Marshal(c)
	tok, _ := jwt.Sign(context.Background(), b, s)
	f.Add(tok)
	f.Add("eyJhbGciOiJFZERTQSJ9.eyJuYmYiOjEuNWUzMDB9.AAAA")
	f.Add("..")
	f.Add(b64(`{"alg":"EdDSA","kid":"did:key:z#z","typ":"JWT"}`) + "." + b64(`{"iss":"did:key:z","vc":{"credentialSubject":{}}}`) + ".AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := jwt.Parse(tok)
		if err != nil {
			return
		}
		if len(got.Credential) == 0 {
			t.Fatal("parsed without a credential")
		}
		// What Parse accepts, go-jose's parser accepts too (when the header
		// holds nothing but members both read: go-jose also checks jwk,
		// x5c and the like, which Parse ignores), with the same payload.
		var h map[string]json.RawMessage
		hb, _ := base64.RawURLEncoding.DecodeString(strings.TrimSpace(tok)[:strings.Index(strings.TrimSpace(tok), ".")])
		_ = json.Unmarshal(hb, &h)
		for k := range h {
			if k != "alg" && k != "kid" && k != "typ" && k != "cty" {
				return
			}
		}
		jws, err := jose.ParseSignedCompact(strings.TrimSpace(tok), []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatalf("Parse accepts what go-jose refuses (%v): %q", err, tok)
		}
		if jws.Signatures[0].Header.KeyID != got.Kid {
			t.Fatalf("kid %q, go-jose %q", got.Kid, jws.Signatures[0].Header.KeyID)
		}
		agree(t, got, nil, jws.UnsafePayloadWithoutVerification())
	})
}
