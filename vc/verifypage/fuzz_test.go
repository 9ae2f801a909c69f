package verifypage_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
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

// FuzzClientKey: any X-Forwarded-For and peer address give a key without
// panicking; from an untrusted peer the header never changes the key, and
// the key is never longer than the peer text plus a fixed prefix or an
// address.
func FuzzClientKey(f *testing.F) {
	for _, s := range [][2]string{{"10.0.0.2:1", "198.51.100.1"}, {"10.0.0.2:1", "1.2.3.4, junk, 10.0.0.3"},
		{"[fe80::1%eth0]:1", "::ffff:1.2.3.4"}, {"garbage", ","}, {"10.0.0.2:1", strings.Repeat("10.0.0.1,", 200)}} {
		f.Add(s[0], s[1])
	}
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fe80::/10")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		plain := verifypage.ClientKey(r, nil)
		r.Header.Set("X-Forwarded-For", xff)
		if got := verifypage.ClientKey(r, nil); got != plain {
			t.Fatalf("untrusted peer %q: header changed the key %q to %q", remote, plain, got)
		}
		k := verifypage.ClientKey(r, proxy)
		if len(k) > len(remote)+len("peer:") && len(k) > 64 {
			t.Fatalf("key %q", k)
		}
	})
}
