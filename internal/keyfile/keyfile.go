// Package keyfile reads and writes issuer key files: the JSON credshare
// keygen writes (DID, verification method, the private key as a JWK and as
// multibase, the did:web document), and the bare Ed25519 JWK Open edX keeps
// its issuer key in. The CLI and the example programs share it.
package keyfile

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
)

// File is what credshare keygen writes and the CLI and the example programs read: an issuer's DID, the
// verification method that signs, and the private key as a JWK and as a
// multibase Multikey (both hold the same seed; either is enough). For a
// did:web issuer Document holds its DID document.
type File struct {
	DID                 string        `json:"did"`
	VerificationMethod  string        `json:"verification_method"`
	PublicKeyMultibase  string        `json:"public_key_multibase"`
	PrivateKeyJWK       *did.JWK      `json:"private_key_jwk,omitempty"`
	PrivateKeyMultibase string        `json:"private_key_multibase,omitempty"`
	Document            *did.Document `json:"did_document,omitempty"`
}

// Key is a loaded issuer key.
type Key struct {
	DID      string
	Method   string
	Private  ed25519.PrivateKey
	Document *did.Document
}

// Write writes kf to path with mode 0600. It refuses to replace an
// existing file unless force is set, so a key is never lost by accident.
func Write(path string, kf File, force bool) error {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; pass --force to replace it (the old key is lost)", path)
		}
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load reads an issuer key file: keygen's format, or a bare Ed25519 JWK
// (the form Open edX stores its issuer key in), whose issuer is its did:key
// unless issuerDID names another DID (then the JWK's kid, or
// "<did>#key-1", is the verification method).
func Load(path, issuerDID string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("reading key file: %w", err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return Key{}, fmt.Errorf("key file %s is not JSON: %w", path, err)
	}
	var k Key
	if _, bare := probe["kty"]; bare {
		var j did.JWK
		if err := json.Unmarshal(b, &j); err != nil {
			return Key{}, fmt.Errorf("key file %s: %w", path, err)
		}
		if k.Private, err = j.PrivateKey(); err != nil {
			return Key{}, fmt.Errorf("key file %s: %w", path, err)
		}
		if issuerDID == "" {
			k.DID, k.Method = did.KeyDID(k.Private.Public().(ed25519.PublicKey))
		} else {
			k.DID, k.Method = issuerDID, j.Kid
			if k.Method == "" || !strings.Contains(k.Method, "#") {
				k.Method = issuerDID + "#key-1"
			}
		}
		return k, nil
	}
	var kf File
	if err := json.Unmarshal(b, &kf); err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	switch {
	case kf.PrivateKeyJWK != nil:
		k.Private, err = kf.PrivateKeyJWK.PrivateKey()
	case kf.PrivateKeyMultibase != "":
		k.Private, err = did.DecodePrivateMultikey(kf.PrivateKeyMultibase)
	default:
		err = errors.New("no private key (private_key_jwk or private_key_multibase)")
	}
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	k.DID, k.Method, k.Document = kf.DID, kf.VerificationMethod, kf.Document
	if issuerDID != "" && issuerDID != k.DID {
		return Key{}, fmt.Errorf("key file %s is for %s, not %s", path, k.DID, issuerDID)
	}
	pub := k.Private.Public().(ed25519.PublicKey)
	if strings.HasPrefix(k.DID, did.KeyPrefix) || k.DID == "" {
		d, vm := did.KeyDID(pub)
		if k.DID != "" && k.DID != d {
			return Key{}, fmt.Errorf("key file %s: did %s does not match its private key", path, k.DID)
		}
		k.DID, k.Method = d, vm
	}
	if k.Method == "" {
		k.Method = k.DID + "#key-1"
	}
	if k.Document != nil {
		m, err := k.Document.Method(k.Method)
		if err != nil {
			return Key{}, fmt.Errorf("key file %s: DID document: %w", path, err)
		}
		if !m.PublicKey.Equal(pub) {
			return Key{}, fmt.Errorf("key file %s: the DID document's key %s is not the private key's", path, k.Method)
		}
	}
	return k, nil
}

// Signer returns a vc.Signer over the key.
func (k Key) Signer() (vc.Signer, error) {
	return vc.NewSigner(k.Private, k.Method)
}
