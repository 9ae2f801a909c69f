package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/did"
)

// FuzzParseEventLine feeds replay's JSON-lines decoder: it must never panic,
// and an accepted line is a valid event that survives a JSON round trip.
func FuzzParseEventLine(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","type":"org.openedx.learning.certificate.created.v1","time":"2026-03-02T09:00:00Z","data":{"certificate":{"user":{"id":7,"pii":{}},"course":{"course_key":"c"}}}}`,
		`{"id":"e2","type":"t","data":{"n":1.5,"big":12345678901234567890,"a":[1,"x",null,true]}}`,
		`{"id":"","type":"t","data":{}}`,
		`{"id":"e3","type":"t","data":[]}`,
		`{"id":"e4","type":"t","data":{}} {"id":"e5"}`,
		`{"id":"e6","type":"t","time":"yesterday","data":{}}`,
		`not json`, `null`, `{}`, `[]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEventLine(b)
		if err != nil {
			return
		}
		if e.Validate() != nil {
			t.Fatalf("accepted an invalid event: %+v", e)
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("accepted event does not marshal: %v", err)
		}
		if _, err := parseEventLine(again); err != nil {
			t.Fatalf("round trip of %s: %v", again, err)
		}
	})
}

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
