package did

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"

	"github.com/credshare/credshare/vc"
)

// KeyPrefix starts every did:key.
const KeyPrefix = "did:key:"

// GenerateKey returns a fresh Ed25519 key with its did:key and
// verification method id.
func GenerateKey() (priv ed25519.PrivateKey, didKey, vm string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	didKey, vm = KeyDID(pub)
	return priv, didKey, vm, nil
}

// KeyDID returns the did:key of an Ed25519 public key and the id of its
// verification method (did:key:z6Mk…#z6Mk…).
func KeyDID(pub ed25519.PublicKey) (didKey, vm string) {
	mb := EncodeMultikey(pub)
	return KeyPrefix + mb, KeyPrefix + mb + "#" + mb
}

// ParseKeyDID decodes a did:key (or a DID URL of one) to its Ed25519 key.
// A fragment, when present, must name the key itself. Errors match
// vc.ErrMalformed or vc.ErrUnsupported.
func ParseKeyDID(s string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(s, KeyPrefix) {
		return nil, vc.Errorf(vc.ErrMalformed, "did: %q is not a did:key", clip(s))
	}
	rest := s[len(KeyPrefix):]
	mb, frag, hasFrag := strings.Cut(rest, "#")
	if hasFrag && frag != mb {
		return nil, vc.Errorf(vc.ErrResolve, "did: %q names no key of its did:key", clip(s))
	}
	if strings.ContainsAny(mb, "/?:") {
		return nil, vc.Errorf(vc.ErrMalformed, "did: %q is not a did:key", clip(s))
	}
	return DecodeMultikey(mb)
}

// KeyDocument returns the DID document of a did:key: one Multikey
// verification method, in every relationship.
func KeyDocument(didKey string) (*Document, error) {
	pub, err := ParseKeyDID(vc.DIDOf(didKey))
	if err != nil {
		return nil, err
	}
	d, vm := KeyDID(pub)
	return NewDocument(d, []ed25519.PublicKey{pub}, vm)
}
