package issuer_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
)

// goldenCases are fixed credentials for the output checks below: plain
// VC 2.0 and VC 1.1 ones, and a VC 2.0 one with Extra members at the top
// and deeper down (numbers, nesting, escapes).
func goldenCases(t *testing.T, d string) map[string]*vc.Credential {
	t.Helper()
	out := map[string]*vc.Credential{}
	for name, v := range map[string]vc.Version{"vc2": vc.V2, "vc1": vc.V1, "vc2-extra": vc.V2} {
		req := vctest.Request(d, "did:example:holder", v)
		req.Status = nil
		req.CredentialID = "urn:uuid:00000000-0000-4000-8000-000000000001"
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		c.ValidFrom = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
		if name == "vc2-extra" {
			c.Extra = vc.Extra{
				"note":    json.RawMessage(` {"text": "<b>\u2028 é", "n": 1.50, "list": [1, "x", true, null]} `),
				"ratio":   json.RawMessage(`2e3`),
				"comment": json.RawMessage(`"line\nbreak"`),
			}
			if a := c.CredentialSubject[0].Achievement; a != nil {
				a.Extra = vc.Extra{"level": json.RawMessage(` { "rank" : 3 } `)}
			}
		}
		out[name] = c
	}
	return out
}

func goldenIssuer(t *testing.T) (*issuer.Issuer, vc.Signer, string) {
	t.Helper()
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	is, err := issuer.New(issuer.Config{Signer: s, Now: func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return is, s, d
}

var goldenSuites = []string{proof.SuiteEddsaRdfc2022, proof.SuiteEddsaJcs2022, proof.SuiteEd25519Signature2020}

// IssueWith's Data Integrity output is byte for byte what proof.Sign makes
// of the credential's encoding (what IssueWith returned before it built
// the document to sign without decoding that encoding), and its errors
// are proof.Sign's.
func TestIssueWithMatchesProofSign(t *testing.T) {
	ctx := context.Background()
	is, s, d := goldenIssuer(t)
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for name, c := range goldenCases(t, d) {
		for _, suite := range goldenSuites {
			raw, err := c.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := proof.Sign(ctx, raw, s, proof.Options{Suite: suite, Created: created})
			got, err := is.IssueWith(ctx, c, vc.FormatLDP, suite)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("%s %s: error %v, proof.Sign's %v", name, suite, err, wantErr)
			}
			if string(got) != string(want) {
				t.Errorf("%s %s:\n got %s\nwant %s", name, suite, got, want)
			}
		}
	}
	// A raw member that is not JSON fails as proof.Sign fails on it.
	c := goldenCases(t, d)["vc2"]
	c.Extra = vc.Extra{"bad": json.RawMessage(`{"a":`)}
	raw, _ := c.AppendJSON(nil)
	_, wantErr := proof.Sign(ctx, raw, s, proof.Options{Created: created})
	_, err := is.IssueWith(ctx, c, vc.FormatLDP, proof.SuiteEddsaRdfc2022)
	if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Fatalf("invalid raw member: %v, proof.Sign's %v", err, wantErr)
	}
}

// goldenDigest is the SHA-256 of every golden case's output (Data
// Integrity suites and VC-JWT, in a fixed order), as the issuer made them
// before credshare issue 13's bulk changes (commit 06e147c): the bytes
// must not change.
const goldenDigest = "36a88764997f19a1e4a82a1d0d16e95d31839f03390f1bbd2ac69622c9855f60"

func TestIssueGolden(t *testing.T) {
	ctx := context.Background()
	is, _, d := goldenIssuer(t)
	cases := goldenCases(t, d)
	h := sha256.New()
	for _, name := range []string{"vc1", "vc2", "vc2-extra"} {
		for _, suite := range append(goldenSuites, "jwt") {
			format := vc.FormatLDP
			if suite == "jwt" {
				format, suite = vc.FormatJWT, ""
			}
			// An error (the undefined term of vc2-extra's achievement, in
			// safe mode) is part of the output.
			out, err := is.IssueWith(ctx, cases[name], format, suite)
			if err != nil {
				out = []byte("error: " + err.Error())
			}
			h.Write(out)
			h.Write([]byte{'\n'})
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != goldenDigest {
		t.Fatalf("digest of the outputs %s, want %s", got, goldenDigest)
	}
}
