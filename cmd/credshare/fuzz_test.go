package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/did"
)

// FuzzParseWebDID checks that keygen's --did-web parser only returns DIDs
// whose document URL can be derived.
func FuzzParseWebDID(f *testing.F) {
	for _, s := range []string{"example.org", "example.org:issuers:1", "example.org%3A8443", "did:web:example.org",
		"https://example.org/issuers/1/", "", ":", "a b", "example.org:..", "ex%zz.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseWebDID(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(id, did.WebPrefix) {
			t.Fatalf("%q gave %q", s, id)
		}
		if _, err := did.WebURL(id); err != nil {
			t.Fatalf("%q gave %q without a document URL: %v", s, id, err)
		}
	})
}

// FuzzLoadKey checks that the key file reader refuses garbage without
// panicking and only returns keys whose DID matches for did:key.
func FuzzLoadKey(f *testing.F) {
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`))
	f.Add([]byte(`{"did":"did:key:z6Mk","private_key_multibase":"z"}`))
	f.Add([]byte(`{"did":"did:web:example.org","verification_method":"did:web:example.org#key-1","private_key_jwk":{"kty":"OKP"}}`))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "k.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Skip()
		}
		k, err := loadKey(p, "")
		if err != nil {
			return
		}
		if strings.HasPrefix(k.DID, did.KeyPrefix) {
			pub, err := did.ParseKeyDID(k.DID)
			if err != nil || !pub.Equal(k.Private.Public()) {
				t.Fatalf("did:key %s does not match the private key", k.DID)
			}
		}
	})
}
