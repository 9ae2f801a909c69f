package verifypage_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/credshare/credshare/vc/verifypage"
)

// FuzzParseID: ParseID accepts exactly the canonical lowercase form of a
// non-nil UUID, with or without ".json", and never panics.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c", "5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c.json",
		"5F1C2B8E-9A3D-4C6E-8B7A-1D2E3F4A5B6C", "urn:uuid:5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c", "{5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c}",
		"5f1c2b8e9a3d4c6e8b7a1d2e3f4a5b6c", "", ".json", "00000000-0000-0000-0000-000000000000", "5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c.json.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, asJSON, ok := verifypage.ParseID(s)
		if !ok {
			if id != uuid.Nil || asJSON {
				t.Fatalf("ParseID(%q) failed but returned %v, %v", s, id, asJSON)
			}
			return
		}
		want := id.String()
		if asJSON {
			want += ".json"
		}
		if s != want || id == uuid.Nil || strings.ContainsAny(s, "/%{}:") {
			t.Fatalf("ParseID(%q) = %v, %v", s, id, asJSON)
		}
	})
}

// FuzzPrefersJSON: any Accept header is read without panicking, and
// text/html at full weight first is never outranked (a weight is at most 1
// and ties give HTML).
func FuzzPrefersJSON(f *testing.F) {
	for _, s := range []string{"", "*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json",
		"application/json;q=0.5, text/html;q=0.4", "a/b;q=;q=1;;", "text/html;q=1e400", "text/html;q=0, application/json",
		strings.Repeat("a/b,", 100) + "application/json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = verifypage.PrefersJSON([]string{s})
		if verifypage.PrefersJSON([]string{"text/html", s}) {
			t.Fatalf("text/html first lost to %q", s)
		}
	})
}
