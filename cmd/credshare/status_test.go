package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/credshare/credshare/vc"
)

const listURL = "https://status.example.org/lists/1"

// signedList writes a signed Bitstring status list credential of key's
// issuer with the given entries set and returns its file.
func signedList(t *testing.T, dir, keyPath, purpose string, set ...int) string {
	t.Helper()
	signed := signedListAt(t, keyPath, listURL, purpose, set...)
	p := filepath.Join(dir, purpose+"-list.json")
	os.WriteFile(p, signed, 0o644)
	return p
}

func issueWithStatus(t *testing.T, dir, key, purpose, index string) string {
	t.Helper()
	p := filepath.Join(dir, "cred-"+purpose+index+".json")
	_, err := run(t, "issue", "--key", key, "--issuer-name", "Example University", "--email", "ada@example.org",
		"--kind", "course_certificate", "--achievement-id", "course-v1:X+PY1+2026", "--achievement-name", "Python fundamentals",
		"--status-list", listURL, "--status-index", index, "--status-purpose", purpose, "--out", p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifyStatus(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	list := signedList(t, dir, key, "revocation", 7, 4242)

	revoked := issueWithStatus(t, dir, key, "revocation", "7")
	out, err := run(t, "verify", "--status-list-file", list, revoked)
	if !errors.Is(err, exitCode(2)) || !strings.Contains(out, "REVOKED") || !strings.Contains(out, "[revoked]") {
		t.Fatalf("revoked credential: %v\n%s", err, out)
	}
	clear := issueWithStatus(t, dir, key, "revocation", "8")
	if out, err := run(t, "verify", "--status-list-file", list, clear); err != nil || !strings.Contains(out, ": VALID") {
		t.Fatalf("clear entry: %v\n%s", err, out)
	}
	// Without the list and without network: never valid.
	out, err = run(t, "--json", "verify", clear)
	var res verifyOutput
	if !errors.Is(err, exitCode(2)) || json.Unmarshal([]byte(out), &res) != nil || res.Verdict != vc.VerdictStatusUnknown ||
		!strings.Contains(out, "--allow-network") {
		t.Fatalf("offline status: %v\n%s", err, out)
	}

	// Suspension.
	slist := signedList(t, dir, key, "suspension", 3)
	susp := issueWithStatus(t, dir, key, "suspension", "3")
	if out, err := run(t, "verify", "--status-list-file", slist, susp); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "SUSPENDED") {
		t.Fatalf("suspended: %v\n%s", err, out)
	}

	// A list signed by someone else is not trusted: status-unknown.
	other := newKey(t, t.TempDir())
	forged := signedList(t, t.TempDir(), other, "revocation")
	if out, err := run(t, "verify", "--status-list-file", forged, revoked); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "STATUS-UNKNOWN") {
		t.Fatalf("list of another issuer: %v\n%s", err, out)
	}
	// A tampered list (its bits changed after signing) is not trusted either.
	raw, _ := os.ReadFile(list)
	var m map[string]any
	json.Unmarshal(raw, &m)
	clean, _ := status.NewBitstring(status.MinEntries, 1)
	enc, _ := clean.Encode()
	m["credentialSubject"].(map[string]any)["encodedList"] = enc
	tb, _ := json.Marshal(m)
	tampered := filepath.Join(dir, "tampered-list.json")
	os.WriteFile(tampered, tb, 0o644)
	if out, err := run(t, "verify", "--status-list-file", tampered, revoked); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "STATUS-UNKNOWN") {
		t.Fatalf("tampered list: %v\n%s", err, out)
	}

	// status inspects the list.
	out, err = run(t, "status", list)
	if err != nil || !strings.Contains(out, "131072 entries") || !strings.Contains(out, "2: 7 4242") ||
		!strings.Contains(out, "proof:        verified") || !strings.Contains(out, "revocation") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	out, err = run(t, "--json", "status", "--index", "4242", "--limit", "1", list)
	var so statusOutput
	if !errors.Is(err, exitCode(2)) || json.Unmarshal([]byte(out), &so) != nil || so.Entry == nil || !so.Entry.Set ||
		so.Entry.Meaning != "revoked" || len(so.Set) != 1 || !so.Truncated || so.SetCount != 2 || so.ListType != status.TypeBitstringList {
		t.Fatalf("status --index 4242: %v\n%s", err, out)
	}
	if out, err := run(t, "status", "--index", "5", list); err != nil || !strings.Contains(out, "not revoked") {
		t.Fatalf("status --index 5: %v\n%s", err, out)
	}
	if _, err := run(t, "status", "--index", "999999999", list); err == nil || errors.Is(err, exitCode(2)) {
		t.Fatalf("index out of range: %v", err)
	}
	if out, err := run(t, "status", tampered); err != nil || !strings.Contains(out, "NOT verified") {
		t.Fatalf("status of a tampered list: %v\n%s", err, out)
	}
	if _, err := run(t, "status", revoked); err == nil || !strings.Contains(err.Error(), "encodedList") {
		t.Fatalf("status of a credential that is not a list: %v", err)
	}
}

func TestStatusListStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := status.New(status.Config{BaseURL: "https://status.example.org/lists"})
	if err != nil {
		t.Fatal(err)
	}
	var refs []store.StatusRef
	for range 3 {
		err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			r, err := svc.Allocate(ctx, tx, "did:key:z6MkIssuer")
			refs = append(refs, r...)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SetStatus(ctx, st, refs[0], 1); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err := run(t, "--db", "sqlite:"+db, "status", "list")
	if err != nil || !strings.Contains(out, "did:key:z6MkIssuer") || !strings.Contains(out, "revocation") || !strings.Contains(out, "131072") {
		t.Fatalf("status list: %v\n%s", err, out)
	}
	out, err = run(t, "--db", "sqlite:"+db, "--json", "status", "list")
	var rows []struct {
		ID        string  `json:"id"`
		Next      int64   `json:"next"`
		Set       int     `json:"set"`
		FillRatio float64 `json:"fill_ratio"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Next != 3 || rows[0].Set != 1 ||
		rows[0].FillRatio != 3.0/status.MinEntries {
		t.Fatalf("status list --json: %v\n%s", err, out)
	}
	if out, _ := run(t, "--db", "sqlite:"+filepath.Join(dir, "empty.db"), "status", "list"); !strings.Contains(out, "no status lists") {
		t.Fatalf("empty store: %s", out)
	}
}

func TestStatusOpenEdXList(t *testing.T) {
	raw := make([]byte, 1000)
	raw[3], raw[998] = 1, 1
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	doc := `{"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
	  "id": "https://credentials.example.edu/verifiable_credentials/api/v1/status-list/2021/v1/issuer/1/",
	  "type": ["VerifiableCredential", "StatusList2021Credential"], "issuer": "did:key:z6MkIssuer",
	  "issuanceDate": "2024-01-01T00:00:00Z",
	  "credentialSubject": {"id": "x#list", "type": "StatusList2021", "statusPurpose": "revocation",
	    "encodedList": "` + base64.StdEncoding.EncodeToString(buf.Bytes()) + `"}}`
	p := filepath.Join(t.TempDir(), "openedx.json")
	os.WriteFile(p, []byte(doc), 0o644)
	out, err := run(t, "--json", "status", "--openedx", p)
	var so statusOutput
	if err != nil || json.Unmarshal([]byte(out), &so) != nil || so.Size != 1000 || so.SetCount != 2 ||
		len(so.Set) != 2 || so.Set[0] != 3 || so.Set[1] != 998 || so.Proof.Verified || so.Proof.Error == "" {
		t.Fatalf("status --openedx: %v\n%s", err, out)
	}
	// Read as a spec list, the same bytes mean other entries: --openedx matters.
	out, err = run(t, "--json", "status", p)
	so = statusOutput{}
	if err != nil || json.Unmarshal([]byte(out), &so) != nil || so.Size != 8000 || so.SetCount != 2 || so.Set[0] == 3 {
		t.Fatalf("status without --openedx: %v\n%s", err, out)
	}
}

// migrate-openedx turns Open edX's byte-per-entry list into a signed,
// spec-conformant one: the revoked entries are set as bits, the proof is
// the issuer's.
func TestStatusMigrateOpenEdX(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "issuer.json")
	if _, err := run(t, "keygen", "--out", keyPath); err != nil {
		t.Fatal(err)
	}
	var kf struct {
		DID string `json:"did"`
	}
	b, _ := os.ReadFile(keyPath)
	if err := json.Unmarshal(b, &kf); err != nil || kf.DID == "" {
		t.Fatalf("key file: %v %s", err, b)
	}
	raw := make([]byte, 1000)
	raw[3], raw[998] = 1, 1
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	doc := `{"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
	  "id": "https://credentials.example.edu/verifiable_credentials/api/v1/status-list/2021/v1/issuer/1/",
	  "type": ["VerifiableCredential", "StatusList2021Credential"], "issuer": "` + kf.DID + `",
	  "issuanceDate": "2024-01-01T00:00:00Z",
	  "credentialSubject": {"id": "https://credentials.example.edu/verifiable_credentials/api/v1/status-list/2021/v1/issuer/1/#list",
	    "type": "StatusList2021", "statusPurpose": "revocation",
	    "encodedList": "` + base64.URLEncoding.EncodeToString(buf.Bytes()) + `"}}`
	in := filepath.Join(dir, "openedx.json")
	os.WriteFile(in, []byte(doc), 0o644)
	migrated := filepath.Join(dir, "migrated.json")
	if _, err := run(t, "status", "migrate-openedx", "--key", keyPath, "--out", migrated, in); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "--json", "status", migrated)
	var so statusOutput
	if err != nil || json.Unmarshal([]byte(out), &so) != nil || !so.Proof.Verified || so.SetCount != 2 ||
		so.Set[0] != 3 || so.Set[1] != 998 || so.Size < status.MinEntries {
		t.Fatalf("migrated list: %v\n%s", err, out)
	}
	if _, err := run(t, "status", "--index", "3", migrated); err == nil {
		t.Fatal("entry 3 is revoked in Open edX's list but reads clear after migration")
	}
	if _, err := run(t, "status", "--index", "4", migrated); err != nil {
		t.Fatalf("entry 4: %v", err)
	}
	if _, err := run(t, "status", "migrate-openedx", in); err == nil {
		t.Fatal("migration without --key succeeded")
	}
}

// TestStatusURLFollowsVerifysPolicy: `credshare status URL` fetches through
// the same guarded client as verify — an internal address is refused before
// any connection unless --allow-host/--allow-cidr (and --ca-file for its
// certificate) name it.
func TestStatusURLFollowsVerifysPolicy(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	list := signedListAt(t, key, listURL, "revocation", 7)
	var hits atomic.Int64
	srv, ca := tlsServer(t, counting(&hits, map[string]func() []byte{"/list": func() []byte { return list }}))

	for _, args := range [][]string{
		{srv.URL + "/list"},
		{"--ca-file", ca, srv.URL + "/list"},
		{"--allow-host", "localhost", "--ca-file", ca, srv.URL + "/list"},
	} {
		out, err := run(t, append([]string{"status"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "refusing 127.0.0.1:") {
			t.Fatalf("%v: want the fetch refused, got %v\n%s", args, err, out)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the refused server received %d requests", n)
	}
	for _, args := range [][]string{
		{"--allow-host", "127.0.0.1", "--ca-file", ca, srv.URL + "/list"},
		{"--allow-cidr", "127.0.0.0/8", "--ca-file", ca, "--index", "8", srv.URL + "/list"},
	} {
		out, err := run(t, append([]string{"status"}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	if _, err := run(t, "status", "--allow-http", srv.URL+"/list"); err == nil || !strings.Contains(err.Error(), "--allow-http needs") {
		t.Fatalf("--allow-http alone: %v", err)
	}
}
