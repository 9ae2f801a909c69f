package keyfile

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/credshare/credshare/vc/did"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	priv, d, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	jwk := did.PrivateJWK(priv)
	p := filepath.Join(dir, "k.json")
	kf := File{DID: d, VerificationMethod: vm, PublicKeyMultibase: did.EncodeMultikey(priv.Public().(ed25519.PublicKey)), PrivateKeyJWK: &jwk}
	if err := Write(p, kf, false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := Write(p, kf, false); err == nil {
		t.Fatal("an existing key file was replaced without force")
	}
	k, err := Load(p, "")
	if err != nil || k.DID != d || k.Method != vm || !k.Private.Equal(priv) {
		t.Fatalf("Load = %+v, %v", k, err)
	}
	if _, err := Load(p, "did:web:other.example"); err == nil {
		t.Fatal("a key file for another DID was accepted")
	}
	s, err := k.Signer()
	if err != nil || s.VerificationMethod() != vm {
		t.Fatalf("Signer: %v %v", s, err)
	}
}

func TestLoadBareJWK(t *testing.T) {
	priv, d, _, _ := did.GenerateKey()
	b, _ := json.Marshal(did.PrivateJWK(priv))
	p := filepath.Join(t.TempDir(), "openedx.jwk")
	os.WriteFile(p, b, 0o600)
	k, err := Load(p, "")
	if err != nil || k.DID != d {
		t.Fatalf("bare JWK as did:key: %+v %v", k, err)
	}
	k, err = Load(p, "did:web:credentials.example.edu")
	if err != nil || k.Method != "did:web:credentials.example.edu#key-1" {
		t.Fatalf("bare JWK for a did:web: %+v %v", k, err)
	}
	os.WriteFile(p, []byte("not json"), 0o600)
	if _, err := Load(p, ""); err == nil {
		t.Fatal("garbage accepted")
	}
}
