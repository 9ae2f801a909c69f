package did

import (
	"crypto/ed25519"
	"encoding/base64"

	"github.com/credshare/credshare/vc"
)

// JWK is an Ed25519 key as a JSON Web Key (RFC 8037): kty OKP, crv
// Ed25519, x the public key, d the private seed (absent on public keys).
// It is the form Open edX stores its issuer key in.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// PublicJWK returns the JWK of a public key.
func PublicJWK(pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub)}
}

// PrivateJWK returns the JWK of a private key (with d).
func PrivateJWK(priv ed25519.PrivateKey) JWK {
	j := PublicJWK(priv.Public().(ed25519.PublicKey))
	j.D = base64.RawURLEncoding.EncodeToString(priv.Seed())
	return j
}

// PublicKey returns the Ed25519 public key. Errors match vc.ErrMalformed
// or vc.ErrUnsupported.
func (j JWK) PublicKey() (ed25519.PublicKey, error) {
	if j.Kty != "OKP" || j.Crv != "Ed25519" {
		return nil, vc.Errorf(vc.ErrUnsupported, "did: JWK kty %q crv %q is not Ed25519", j.Kty, j.Crv)
	}
	x, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, vc.Errorf(vc.ErrMalformed, "did: JWK x is not a 32-byte base64url value")
	}
	return ed25519.PublicKey(x), nil
}

// PrivateKey returns the Ed25519 private key; it checks that x matches d.
func (j JWK) PrivateKey() (ed25519.PrivateKey, error) {
	pub, err := j.PublicKey()
	if err != nil {
		return nil, err
	}
	d, err := base64.RawURLEncoding.DecodeString(j.D)
	if err != nil || len(d) != ed25519.SeedSize {
		return nil, vc.Errorf(vc.ErrMalformed, "did: JWK d is not a 32-byte base64url value")
	}
	priv := ed25519.NewKeyFromSeed(d)
	if !priv.Public().(ed25519.PublicKey).Equal(pub) {
		return nil, vc.Errorf(vc.ErrMalformed, "did: JWK x does not belong to d")
	}
	return priv, nil
}
