package did

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"

	"github.com/credshare/credshare/vc"
)

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var b58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(b58Alphabet) {
		t[b58Alphabet[i]] = int8(i)
	}
	return t
}()

// Base58 encodes b in base58btc (the Bitcoin alphabet).
func Base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// Base conversion 256 -> 58 on a little-endian digit array.
	digits := make([]byte, 0, len(b)*138/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	var sb strings.Builder
	sb.Grow(zeros + len(digits))
	for range zeros {
		sb.WriteByte('1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		sb.WriteByte(b58Alphabet[digits[i]])
	}
	return sb.String()
}

// MaxBase58 bounds the input of DecodeBase58, which is quadratic.
const MaxBase58 = 512

// DecodeBase58 decodes base58btc. Errors match vc.ErrMalformed.
func DecodeBase58(s string) ([]byte, error) {
	if len(s) > MaxBase58 {
		return nil, vc.Errorf(vc.ErrMalformed, "did: base58 string of %d characters is over %d", len(s), MaxBase58)
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	out := make([]byte, 0, len(s))
	for i := zeros; i < len(s); i++ {
		v := b58Index[s[i]]
		if v < 0 {
			return nil, vc.Errorf(vc.ErrMalformed, "did: %q is not a base58btc character", s[i])
		}
		carry := int(v)
		for j := range out {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append(out, byte(carry))
			carry >>= 8
		}
	}
	res := make([]byte, zeros+len(out))
	for i := range out {
		res[len(res)-1-i] = out[i]
	}
	return res, nil
}

// Multicodec prefixes of Ed25519 keys.
var (
	ed25519PubPrefix  = []byte{0xed, 0x01}
	ed25519PrivPrefix = []byte{0x80, 0x26}
)

// EncodeMultikey returns the Multikey form of an Ed25519 public key:
// "z" + base58btc(0xed01 ‖ key), as in did:key and publicKeyMultibase.
func EncodeMultikey(pub ed25519.PublicKey) string {
	return "z" + Base58(append(append([]byte{}, ed25519PubPrefix...), pub...))
}

// DecodeMultikey decodes a Multikey-encoded Ed25519 public key. It accepts
// base58btc ("z") and base64url ("u") multibase. Errors match
// vc.ErrMalformed or vc.ErrUnsupported (another key type).
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultibase(s)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != ed25519PubPrefix[0] || b[1] != ed25519PubPrefix[1] {
		return nil, vc.Errorf(vc.ErrUnsupported, "did: multikey %q is not an Ed25519 public key", clip(s))
	}
	if len(b) != 2+ed25519.PublicKeySize {
		return nil, vc.Errorf(vc.ErrMalformed, "did: Ed25519 multikey has %d key bytes, not %d", len(b)-2, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b[2:]), nil
}

// EncodePrivateMultikey returns the Multikey form of an Ed25519 private
// key's seed: "z" + base58btc(0x8026 ‖ seed).
func EncodePrivateMultikey(priv ed25519.PrivateKey) string {
	return "z" + Base58(append(append([]byte{}, ed25519PrivPrefix...), priv.Seed()...))
}

// DecodePrivateMultikey decodes EncodePrivateMultikey's form.
func DecodePrivateMultikey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeMultibase(s)
	if err != nil {
		return nil, err
	}
	if len(b) != 2+ed25519.SeedSize || b[0] != ed25519PrivPrefix[0] || b[1] != ed25519PrivPrefix[1] {
		return nil, vc.Errorf(vc.ErrMalformed, "did: %q is not an Ed25519 private multikey", clip(s))
	}
	return ed25519.NewKeyFromSeed(b[2:]), nil
}

func decodeMultibase(s string) ([]byte, error) {
	if s == "" {
		return nil, vc.Errorf(vc.ErrMalformed, "did: empty multibase value")
	}
	switch s[0] {
	case 'z':
		return DecodeBase58(s[1:])
	case 'u':
		if len(s) > MaxBase58 {
			return nil, vc.Errorf(vc.ErrMalformed, "did: multibase value too long")
		}
		b, err := base64.RawURLEncoding.DecodeString(s[1:])
		if err != nil {
			return nil, vc.Wrap(vc.ErrMalformed, err, "did: base64url multibase")
		}
		return b, nil
	}
	return nil, vc.Errorf(vc.ErrUnsupported, "did: multibase prefix %q", s[0])
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
