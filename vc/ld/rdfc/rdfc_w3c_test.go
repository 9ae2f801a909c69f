package rdfc_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/ld/rdfc"
)

// w3cSuite is the W3C RDFC-1.0 test suite, committed under testdata/w3c
// (see its README.md for where it comes from and its licence).
const w3cSuite = "testdata/w3c"

type w3cEntry struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	Action        string `json:"action"`
	Result        string `json:"result"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// TestW3CSuite runs every test of the RDFC-1.0 manifest: evaluation tests
// (canonical N-Quads equal to the expected file), map tests (issued
// identifiers map equal to the expected JSON) and the negative evaluation
// test (the poison clique must fail with ErrTooComplex), with the default
// Options and the test's hash algorithm (SHA-256 or SHA-384).
func TestW3CSuite(t *testing.T) {
	dir := w3cSuite
	b, err := os.ReadFile(filepath.Join(dir, "manifest.jsonld"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Entries []w3cEntry `json:"entries"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	passed, total := 0, 0
	for _, e := range m.Entries {
		total++
		ok := t.Run(strings.TrimPrefix(e.ID, "#")+"/"+e.Name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, e.Action))
			if err != nil {
				t.Fatal(err)
			}
			quads, err := rdfc.ParseNQuads(string(in))
			if err != nil {
				t.Fatal(err)
			}
			var o rdfc.Options
			switch e.HashAlgorithm {
			case "", "SHA256":
			case "SHA384":
				o.Hash = crypto.SHA384
			default:
				t.Fatalf("hash algorithm %q", e.HashAlgorithm)
			}
			start := time.Now()
			r, err := rdfc.Label(context.Background(), quads, o)
			took := time.Since(start)
			switch e.Type {
			case "rdfc:RDFC10NegativeEvalTest":
				if !errors.Is(err, rdfc.ErrTooComplex) {
					t.Fatalf("got %v, want ErrTooComplex", err)
				}
				t.Logf("refused after %v: %v", took, err)
				return
			case "rdfc:RDFC10EvalTest", "rdfc:RDFC10MapTest":
			default:
				t.Fatalf("unknown test type %s", e.Type)
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Stats.Calls > 0 {
				t.Logf("%+v in %v", r.Stats, took)
			}
			want, err := os.ReadFile(filepath.Join(dir, e.Result))
			if err != nil {
				t.Fatal(err)
			}
			if e.Type == "rdfc:RDFC10MapTest" {
				var wm map[string]string
				if err := json.Unmarshal(want, &wm); err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(wm, r.Issued) {
					t.Fatalf("issued identifiers\n got %v\nwant %v", r.Issued, wm)
				}
				return
			}
			if r.NQuads != string(want) {
				t.Fatalf("got\n%s\nwant\n%s", r.NQuads, want)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("W3C RDFC-1.0 suite: %d of %d passed", passed, total)
}
