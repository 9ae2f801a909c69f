package vc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
)

// Signer makes the signatures on credentials and presentations. The key
// may live anywhere (memory, a KMS, an HSM); the signer names the
// verification method (a DID URL such as did:key:z6Mk…#z6Mk… or
// did:web:example.edu#key-1) a verifier resolves to check it. An issuer
// rotating keys holds one Signer per verification method.
//
// Only Ed25519 (EdDSA) is supported by the proof suites here.
type Signer interface {
	// VerificationMethod is the DID URL of the key.
	VerificationMethod() string
	// PublicKey is the Ed25519 public key.
	PublicKey() ed25519.PublicKey
	// Sign returns the Ed25519 signature of msg. It is safe for concurrent
	// use and honours ctx where the key is remote.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// KeySigner is a Signer over a crypto.Signer holding an Ed25519 key.
type KeySigner struct {
	key crypto.Signer
	pub ed25519.PublicKey
	vm  string
}

var _ Signer = (*KeySigner)(nil)

// NewSigner returns a Signer that signs with key (whose public key must be
// Ed25519: an ed25519.PrivateKey or a KMS/HSM handle) under the
// verification method id verificationMethod, which must be a DID URL with
// a fragment.
func NewSigner(key crypto.Signer, verificationMethod string) (*KeySigner, error) {
	if key == nil {
		return nil, Errorf(ErrInvalid, "vc: NewSigner: nil key")
	}
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, Errorf(ErrUnsupported, "vc: NewSigner: the key is %T, not Ed25519", key.Public())
	}
	if !strings.HasPrefix(verificationMethod, "did:") || !strings.Contains(verificationMethod, "#") {
		return nil, Errorf(ErrInvalid, "vc: NewSigner: verification method %q is not a DID URL with a fragment", verificationMethod)
	}
	return &KeySigner{key: key, pub: pub, vm: verificationMethod}, nil
}

// VerificationMethod implements Signer.
func (s *KeySigner) VerificationMethod() string { return s.vm }

// PublicKey implements Signer.
func (s *KeySigner) PublicKey() ed25519.PublicKey { return s.pub }

// Sign implements Signer.
func (s *KeySigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.key.Sign(rand.Reader, msg, crypto.Hash(0))
}

// DIDOf returns the DID of a DID URL: everything before the first '#', '?'
// or '/'.
func DIDOf(didURL string) string {
	if i := strings.IndexAny(didURL, "#?/"); i >= 0 {
		return didURL[:i]
	}
	return didURL
}
