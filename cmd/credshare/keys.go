package main

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

// keyFile is what keygen writes and issue reads: an issuer's DID, the
// verification method that signs, and the private key as a JWK and as a
// multibase Multikey (both hold the same seed; either is enough). For a
// did:web issuer Document holds its DID document.
type keyFile struct {
	DID                 string        `json:"did"`
	VerificationMethod  string        `json:"verification_method"`
	PublicKeyMultibase  string        `json:"public_key_multibase"`
	PrivateKeyJWK       *did.JWK      `json:"private_key_jwk,omitempty"`
	PrivateKeyMultibase string        `json:"private_key_multibase,omitempty"`
	Document            *did.Document `json:"did_document,omitempty"`
}

// issuerKey is a loaded issuer key.
type issuerKey struct {
	DID      string
	Method   string
	Private  ed25519.PrivateKey
	Document *did.Document
}

// writeKeyFile writes kf to path with mode 0600. It refuses to replace an
// existing file unless force is set, so a key is never lost by accident.
func writeKeyFile(path string, kf keyFile, force bool) error {
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

// loadKey reads an issuer key file: keygen's format, or a bare Ed25519 JWK
// (the form Open edX stores its issuer key in), whose issuer is its did:key
// unless issuerDID names another DID (then the JWK's kid, or
// "<did>#key-1", is the verification method).
func loadKey(path, issuerDID string) (issuerKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return issuerKey{}, fmt.Errorf("reading key file: %w", err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return issuerKey{}, fmt.Errorf("key file %s is not JSON: %w", path, err)
	}
	var k issuerKey
	if _, bare := probe["kty"]; bare {
		var j did.JWK
		if err := json.Unmarshal(b, &j); err != nil {
			return issuerKey{}, fmt.Errorf("key file %s: %w", path, err)
		}
		if k.Private, err = j.PrivateKey(); err != nil {
			return issuerKey{}, fmt.Errorf("key file %s: %w", path, err)
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
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return issuerKey{}, fmt.Errorf("key file %s: %w", path, err)
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
		return issuerKey{}, fmt.Errorf("key file %s: %w", path, err)
	}
	k.DID, k.Method, k.Document = kf.DID, kf.VerificationMethod, kf.Document
	if issuerDID != "" && issuerDID != k.DID {
		return issuerKey{}, fmt.Errorf("key file %s is for %s, not %s", path, k.DID, issuerDID)
	}
	pub := k.Private.Public().(ed25519.PublicKey)
	if strings.HasPrefix(k.DID, did.KeyPrefix) || k.DID == "" {
		d, vm := did.KeyDID(pub)
		if k.DID != "" && k.DID != d {
			return issuerKey{}, fmt.Errorf("key file %s: did %s does not match its private key", path, k.DID)
		}
		k.DID, k.Method = d, vm
	}
	if k.Method == "" {
		k.Method = k.DID + "#key-1"
	}
	if k.Document != nil {
		m, err := k.Document.Method(k.Method)
		if err != nil {
			return issuerKey{}, fmt.Errorf("key file %s: DID document: %w", path, err)
		}
		if !m.PublicKey.Equal(pub) {
			return issuerKey{}, fmt.Errorf("key file %s: the DID document's key %s is not the private key's", path, k.Method)
		}
	}
	return k, nil
}

// signer returns a vc.Signer over the key.
func (k issuerKey) signer() (vc.Signer, error) {
	return vc.NewSigner(k.Private, k.Method)
}
