package oid4vci

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/go-jose/go-jose/v4"
)

// proofAlgs are the JWS algorithms accepted on proof-of-possession JWTs.
func proofAlgs() []string { return []string{"EdDSA", "ES256"} }

func joseAlgs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256} }

// maxProofJWT bounds a proof JWT's length.
const maxProofJWT = 8 << 10

// maxIat bounds |iat| (seconds; the year 10000): a larger float does not
// convert to int64 meaningfully.
const maxIat = 253402300800

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
	// IssuedAt is the proof's iat.
	IssuedAt time.Time
}

// ProofExpect is what VerifyProofJWT requires of a proof JWT besides its
// signature.
type ProofExpect struct {
	// Issuer is the Credential Issuer Identifier "aud" must name.
	Issuer string
	// Now is the issuer's clock.
	Now time.Time
	// MaxAge bounds the age of iat: it must not be before
	// Now - MaxAge - MaxSkew.
	MaxAge time.Duration
	// MaxSkew bounds iat in the future: it must not be after Now + MaxSkew;
	// default wallet.DefaultMaxClockSkew.
	MaxSkew time.Duration
}

func invalidProof(format string, args ...any) *wallet.Error {
	return wallet.Fail(wallet.ErrProof, format, args...).WithCode("invalid_proof", 0)
}

// VerifyProofJWT checks a proof-of-possession JWT: typ
// openid4vci-proof+jwt, an accepted algorithm, a key named by "kid" (a DID
// URL, resolved with keys) or embedded as a public "jwk" (not both), a
// signature that verifies with that key, aud = want.Issuer, an iat
// (required, as OID4VCI says) within [Now-MaxAge-MaxSkew, Now+MaxSkew], and
// a nonce. The nonce is returned, not consumed.
//
// Refusals match wallet.ErrProof (or ErrChallenge for a missing nonce);
// their reasons are generic, and a resolver's error, which may name an
// internal address, is only the refusal's Cause (for the log).
func VerifyProofJWT(ctx context.Context, keys KeyResolver, token string, want ProofExpect) (Proof, error) {
	if want.MaxSkew <= 0 {
		want.MaxSkew = wallet.DefaultMaxClockSkew
	}
	if len(token) > maxProofJWT {
		return Proof{}, invalidProof("proof JWT longer than %d bytes", maxProofJWT)
	}
	jws, err := jose.ParseSignedCompact(token, joseAlgs())
	if err != nil {
		return Proof{}, invalidProof("proof is not a compact JWS signed with %v", proofAlgs()).WithCause(err)
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
			return Proof{}, invalidProof("the key named by kid could not be resolved").WithCause(err)
		}
		holder = vc.DIDOf(h.KeyID)
	case h.JSONWebKey != nil:
		if !h.JSONWebKey.IsPublic() || !h.JSONWebKey.Valid() {
			return Proof{}, invalidProof("the embedded jwk must be a valid public key")
		}
		pub = h.JSONWebKey.Key
		pj, err := h.JSONWebKey.MarshalJSON()
		if err != nil {
			return Proof{}, invalidProof("the embedded jwk cannot be encoded").WithCause(err)
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
	if !slices.Contains(aud, want.Issuer) {
		return Proof{}, invalidProof("proof JWT aud must be the credential issuer %q", want.Issuer)
	}
	if c.IssuedAt == nil {
		return Proof{}, invalidProof("proof JWT has no iat")
	}
	iatF, err := c.IssuedAt.Float64()
	if err != nil {
		return Proof{}, invalidProof("proof JWT iat is not a number")
	}
	if iatF > maxIat || iatF < -maxIat {
		return Proof{}, invalidProof("proof JWT iat is out of range")
	}
	iat := time.Unix(int64(iatF), 0)
	if iat.After(want.Now.Add(want.MaxSkew)) {
		return Proof{}, invalidProof("proof JWT iat is in the future (more than %s ahead of the issuer's clock)", want.MaxSkew)
	}
	if iat.Before(want.Now.Add(-want.MaxAge - want.MaxSkew)) {
		return Proof{}, invalidProof("proof JWT iat is older than %s", want.MaxAge+want.MaxSkew)
	}
	if c.Nonce == "" {
		return Proof{}, wallet.Fail(wallet.ErrChallenge, "proof JWT has no nonce; get a c_nonce first").WithCode("invalid_nonce", 0)
	}
	return Proof{Holder: holder, Nonce: c.Nonce, IssuedAt: iat}, nil
}
