package oid4vci

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/vc/wallet"
	"github.com/go-jose/go-jose/v4"
)

// proofAlgs are the JWS algorithms accepted on proof-of-possession JWTs.
func proofAlgs() []string { return []string{"EdDSA", "ES256"} }

func joseAlgs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256} }

// maxProofJWT bounds a proof JWT's length.
const maxProofJWT = 8 << 10

// clockSkew is the tolerance for a proof's iat in the future.
const clockSkew = time.Minute

// ProofClaims are the claims of a proof-of-possession JWT.
type ProofClaims struct {
	Issuer   string          `json:"iss,omitempty"`
	Audience json.RawMessage `json:"aud"`
	IssuedAt *json.Number    `json:"iat"`
	Nonce    string          `json:"nonce"`
}

// Proof is a verified proof of possession.
type Proof struct {
	// Holder is the DID of the key: the DID of "kid", or a did:jwk made
	// from an embedded "jwk".
	Holder string
	// Nonce is the c_nonce the proof signs (not yet consumed).
	Nonce string
}

func invalidProof(format string, args ...any) error {
	return wallet.Fail(wallet.ErrProof, format, args...).WithCode("invalid_proof", 0)
}

// VerifyProofJWT checks a proof-of-possession JWT: typ
// openid4vci-proof+jwt, an accepted algorithm, a key named by "kid" (a DID
// URL, resolved with keys) or embedded as a public "jwk" (not both), a
// signature that verifies with that key, aud = issuer, an iat no older than
// maxAge, and a nonce. The nonce is returned, not consumed.
func VerifyProofJWT(ctx context.Context, keys KeyResolver, token, issuer string, now time.Time, maxAge time.Duration) (Proof, error) {
	if len(token) > maxProofJWT {
		return Proof{}, invalidProof("proof JWT longer than %d bytes", maxProofJWT)
	}
	jws, err := jose.ParseSignedCompact(token, joseAlgs())
	if err != nil {
		return Proof{}, invalidProof("proof is not a compact JWS signed with %v: %v", proofAlgs(), err)
	}
	if len(jws.Signatures) != 1 {
		return Proof{}, invalidProof("proof JWT must carry exactly one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != ProofType {
		return Proof{}, invalidProof("proof JWT typ must be %q", ProofType)
	}
	var pub crypto.PublicKey
	var holder string
	switch {
	case h.KeyID != "" && h.JSONWebKey != nil:
		return Proof{}, invalidProof("proof JWT must name its key by kid or jwk, not both")
	case h.KeyID != "":
		if !strings.HasPrefix(h.KeyID, "did:") || !strings.Contains(h.KeyID, "#") {
			return Proof{}, invalidProof("kid %q is not a DID URL of a verification method", clip(h.KeyID))
		}
		pub, err = keys.ResolveKey(ctx, h.KeyID)
		if err != nil {
			return Proof{}, invalidProof("cannot resolve kid %q: %v", clip(h.KeyID), err)
		}
		holder = wallet.DIDOf(h.KeyID)
	case h.JSONWebKey != nil:
		if !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
			return Proof{}, invalidProof("the embedded jwk must be a valid public key")
		}
		pub = h.JSONWebKey.Key
		pj, err := h.JSONWebKey.MarshalJSON()
		if err != nil {
			return Proof{}, invalidProof("the embedded jwk cannot be encoded: %v", err)
		}
		holder = "did:jwk:" + base64.RawURLEncoding.EncodeToString(pj)
	default:
		return Proof{}, invalidProof("proof JWT names no key (kid or jwk)")
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return Proof{}, invalidProof("proof JWT signature does not verify with the holder's key")
	}
	var c ProofClaims
	if err := wallet.DecodeJSON(payload, &c); err != nil {
		return Proof{}, invalidProof("proof JWT claims are not a JSON object")
	}
	var aud []string
	if err := json.Unmarshal(c.Audience, &aud); err != nil {
		var one string
		if json.Unmarshal(c.Audience, &one) != nil {
			return Proof{}, invalidProof("proof JWT aud is missing or not a string")
		}
		aud = []string{one}
	}
	if !slices.Contains(aud, issuer) {
		return Proof{}, invalidProof("proof JWT aud must be the credential issuer %q", issuer)
	}
	if c.IssuedAt == nil {
		return Proof{}, invalidProof("proof JWT has no iat")
	}
	iatF, err := c.IssuedAt.Float64()
	if err != nil {
		return Proof{}, invalidProof("proof JWT iat is not a number")
	}
	iat := time.Unix(int64(iatF), 0)
	if iat.After(now.Add(clockSkew)) || iat.Before(now.Add(-maxAge)) {
		return Proof{}, invalidProof("proof JWT iat %s is outside [now-%s, now+%s]", iat.UTC().Format(time.RFC3339), maxAge, clockSkew)
	}
	if c.Nonce == "" {
		return Proof{}, wallet.Fail(wallet.ErrChallenge, "proof JWT has no nonce; get a c_nonce first").WithCode("invalid_nonce", 0)
	}
	return Proof{Holder: holder, Nonce: c.Nonce}, nil
}
