package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/credshare/credshare/vc"
)

// newKey runs keygen into dir and returns the key file.
func newKey(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	p := filepath.Join(dir, "issuer.json")
	if _, err := run(t, append([]string{"keygen", "--out", p}, extra...)...); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	return p
}

func TestKeygenDIDKey(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k.json")
	out, err := run(t, "keygen", "--out", p)
	if err != nil || !strings.Contains(out, "DID:                 did:key:z6Mk") {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	var kf keyFile
	raw, _ := os.ReadFile(p)
	if err := json.Unmarshal(raw, &kf); err != nil || kf.PrivateKeyJWK == nil || kf.PrivateKeyJWK.D == "" {
		t.Fatalf("key file: %v\n%s", err, raw)
	}
	if strings.Contains(out, kf.PrivateKeyJWK.D) || strings.Contains(out, kf.PrivateKeyMultibase) {
		t.Fatal("the private key was printed without --show-private")
	}
	k, err := loadKey(p, "")
	if err != nil || k.DID != kf.DID || !strings.HasPrefix(k.Method, kf.DID+"#") {
		t.Fatalf("loadKey: %+v %v", k, err)
	}
	if _, err := run(t, "keygen", "--out", p); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("keygen over an existing file: %v", err)
	}
	out, err = run(t, "--json", "keygen", "--out", p, "--force", "--show-private")
	var res keygenOutput
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.PrivateKeyJWK == nil || res.PrivateKeyMultibase == "" || res.KeyFile != p {
		t.Fatalf("keygen --json --show-private: %v\n%s", err, out)
	}
	if res.PublicKeyJWK.D != "" {
		t.Fatal("public JWK carries d")
	}

	// A bare JWK (Open edX's form) loads as its did:key.
	jp := filepath.Join(dir, "jwk.json")
	jb, _ := json.Marshal(res.PrivateKeyJWK)
	os.WriteFile(jp, jb, 0o600)
	if k, err := loadKey(jp, ""); err != nil || k.DID != res.DID {
		t.Fatalf("bare JWK: %+v %v", k, err)
	}
}

func TestKeygenDIDWeb(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "--json", "keygen", "--did-web", "example.org:issuers:1", "--out", filepath.Join(dir, "w.json"))
	var res keygenOutput
	if err != nil || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("keygen --did-web: %v\n%s", err, out)
	}
	if res.DID != "did:web:example.org:issuers:1" || res.DocumentURL != "https://example.org/issuers/1/did.json" ||
		res.Document == nil || res.Document.ID != res.DID || res.VerificationMethod != res.DID+"#key-1" {
		t.Fatalf("did:web: %+v", res)
	}
	m, err := res.Document.Method(res.VerificationMethod)
	if err != nil || !m.Allows("assertionMethod") {
		t.Fatalf("document method: %+v %v", m, err)
	}
	// Human output: the document alone on stdout, ready to publish.
	out, err = run(t, "keygen", "--did-web", "example.org%3A8443", "--out", filepath.Join(dir, "w2.json"))
	var doc map[string]any
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc["id"] != "did:web:example.org%3A8443" {
		t.Fatalf("did:web document on stdout: %v\n%s", err, out)
	}
	if _, err := run(t, "keygen", "--did-web", "exa mple.org", "--out", filepath.Join(dir, "w3.json")); err == nil {
		t.Fatal("bad host accepted")
	}
}

// tamper changes the achievement's name in a signed credential (JSON-LD or
// VC-JWT) without re-signing it.
func tamper(t *testing.T, signed []byte) []byte {
	t.Helper()
	s := strings.TrimSpace(string(signed))
	if !strings.HasPrefix(s, "{") {
		parts := strings.Split(s, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.ReplaceAll(string(payload), "Python fundamentals", "Python mastery")))
		return []byte(strings.Join(parts, "."))
	}
	out := strings.ReplaceAll(s, "Python fundamentals", "Python mastery")
	if out == s {
		t.Fatal("nothing to tamper with")
	}
	return []byte(out)
}

func TestIssueAndVerifyEveryProof(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	for _, p := range proofChoices {
		for _, ver := range []string{"2", "1.1"} {
			t.Run(p+"/"+ver, func(t *testing.T) {
				cf := filepath.Join(dir, p+ver+".cred")
				_, err := run(t, "issue", "--key", key, "--issuer-name", "Example University",
					"--email", "ada@example.org", "--kind", "course_certificate",
					"--achievement-id", "course-v1:X+PY1+2026", "--achievement-name", "Python fundamentals",
					"--proof", p, "--vc-version", ver, "--out", cf)
				if err != nil {
					t.Fatalf("issue: %v", err)
				}
				out, err := run(t, "verify", cf)
				if err != nil || !strings.Contains(out, ": VALID") {
					t.Fatalf("verify: %v\n%s", err, out)
				}
				signed, _ := os.ReadFile(cf)
				bad := filepath.Join(dir, p+ver+".bad")
				os.WriteFile(bad, tamper(t, signed), 0o644)
				out, err = run(t, "verify", bad)
				var ec exitCode
				if !errors.As(err, &ec) || ec != 2 {
					t.Fatalf("tampered copy: err %v, want exit 2\n%s", err, out)
				}
				if !strings.Contains(out, "INVALID") || !strings.Contains(out, "[proof]") {
					t.Fatalf("tampered copy: no readable reason\n%s", out)
				}
				out, _ = run(t, "--json", "verify", bad)
				var res verifyOutput
				if json.Unmarshal([]byte(out), &res) != nil || res.Verdict != vc.VerdictInvalid || len(res.Reasons) == 0 {
					t.Fatalf("tampered copy --json: %s", out)
				}
			})
		}
	}
}

func TestIssueValidation(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	_, err := run(t, "issue", "--key", key)
	if err == nil || !strings.Contains(err.Error(), "issuer needs a name") || !strings.Contains(err.Error(), "--achievement-id") {
		t.Fatalf("missing fields: %v", err)
	}
	if _, err := run(t, "issue", "--key", key, "--proof", "rsa"); err == nil || !strings.Contains(err.Error(), "--proof") {
		t.Fatalf("bad proof: %v", err)
	}
	if _, err := run(t, "issue", "--issuer-name", "x"); err == nil || !strings.Contains(err.Error(), "keygen") {
		t.Fatalf("no key: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"issuer":{"nmae":"typo"}}`), 0o644)
	if _, err := run(t, "issue", "--from", bad); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestIssueFromFileWithHolderAndStatus(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	holderKey := newKey(t, t.TempDir())
	hk, _ := loadKey(holderKey, "")
	spec := `{"issuer": {"name": "Example University", "key": "` + key + `"},
	  "learner": {"holder_did": "` + hk.DID + `", "name": "Ada Lovelace", "include_name": true},
	  "achievement": {"kind": "badge", "id": "6b1f2a4e-0c0e-4a57-9d9e-0a4b9a1c2d3e", "name": "Python fundamentals",
	    "description": "Passed the course", "criteria": "Pass every graded exercise"},
	  "awarded_at": "2026-03-01T10:00:00Z", "valid_until": "2036-03-01T10:00:00Z",
	  "evidence": {"grade": "0.93"}}`
	sf := filepath.Join(dir, "award.json")
	os.WriteFile(sf, []byte(spec), 0o644)
	out, err := run(t, "--json", "issue", "--from", sf, "--status-list", "https://example.org/status/1", "--status-index", "7")
	if err != nil {
		t.Fatalf("issue --from: %v", err)
	}
	var res struct {
		Credential json.RawMessage `json:"credential"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	c, err := vc.ParseCredential(res.Credential)
	if err != nil {
		t.Fatal(err)
	}
	s := c.CredentialSubject[0]
	if s.ID != hk.DID || s.Name != "Ada Lovelace" || s.Achievement.Name != "Python fundamentals" ||
		s.Achievement.Criteria.Narrative != "Pass every graded exercise" || !c.ValidUntil.Equal(time.Date(2036, 3, 1, 10, 0, 0, 0, time.UTC)) ||
		len(c.Evidence) != 1 || len(c.CredentialStatus) != 1 || c.CredentialStatus[0].StatusListIndex != "7" {
		t.Fatalf("credential: %s", res.Credential)
	}
	// A status entry nobody can check offline is never "valid".
	cf := filepath.Join(dir, "c.json")
	os.WriteFile(cf, res.Credential, 0o644)
	out, err = run(t, "verify", cf)
	var ec exitCode
	if !errors.As(err, &ec) || ec != 2 || !strings.Contains(out, "STATUS-UNKNOWN") || !strings.Contains(out, "status-unknown") {
		t.Fatalf("verify with status: %v\n%s", err, out)
	}
}

func TestIssueFromStoredAward(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir)
	db := filepath.Join(dir, "c.db")
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Learners().Upsert(ctx, credential.Learner{UserID: 42, Email: "ada@example.org", FullName: "Ada Lovelace", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	aw, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:X+PY1+2026"), credential.Cause{EventID: "e1", EventTime: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	aw, _, err = st.Awards().Put(ctx, aw)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err := run(t, "--db", "sqlite:"+db, "issue", "--award", aw.UUID.String(), "--key", key,
		"--issuer-name", "Example University", "--achievement-name", "Python fundamentals", "--include-name")
	if err != nil {
		t.Fatalf("issue --award: %v", err)
	}
	c, err := vc.ParseCredential([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if c.CredentialSubject[0].Name != "Ada Lovelace" || !c.AwardedDate.Equal(aw.AwardedAt) || len(c.CredentialSubject[0].Identifier) != 1 {
		t.Fatalf("credential from the stored award: %s", out)
	}
	// A badge of a stored template.
	rules, _ := filepath.Abs("../../internal/integration/pipeline/testdata/rules.json")
	if _, err := run(t, "--db", "sqlite:"+db, "templates", "load", rules); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "--db", "sqlite:"+db, "issue", "--template", "8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f", "--key", key,
		"--issuer-name", "Example University", "--email", "ada@example.org")
	if err != nil {
		t.Fatalf("issue --template: %v", err)
	}
	if c, err = vc.ParseCredential([]byte(out)); err != nil || c.CredentialSubject[0].Achievement.Name != "Python Pioneer" ||
		c.CredentialSubject[0].Achievement.AchievementType != "Badge" || c.CredentialSubject[0].Achievement.Description != "Passed Python Basics." {
		t.Fatalf("credential from the template: %v\n%s", err, out)
	}
	if _, err := run(t, "--db", "sqlite:"+db, "issue", "--award", "6b1f2a4e-0c0e-4a57-9d9e-0a4b9a1c2d3e", "--key", key, "--issuer-name", "x"); err == nil {
		t.Fatal("unknown award accepted")
	}
}

func TestVerifyDIDWebOfflineAndURL(t *testing.T) {
	dir := t.TempDir()
	kp := filepath.Join(dir, "web.json")
	docOut, err := run(t, "keygen", "--did-web", "example.org", "--out", kp)
	if err != nil {
		t.Fatal(err)
	}
	docFile := filepath.Join(dir, "did.json")
	os.WriteFile(docFile, []byte(docOut), 0o644)
	signed, err := run(t, "issue", "--key", kp, "--issuer-name", "Example", "--email", "a@example.org",
		"--achievement-id", "course-v1:X+Y+Z", "--kind", "course_certificate", "--achievement-name", "Python fundamentals",
		"--proof", "Ed25519Signature2020")
	if err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(dir, "c.json")
	os.WriteFile(cf, []byte(signed), 0o644)
	out, err := run(t, "verify", cf)
	if !errors.Is(err, exitCode(2)) || !strings.Contains(out, "--allow-network") {
		t.Fatalf("did:web offline without a document: %v\n%s", err, out)
	}
	if out, err := run(t, "verify", "--did-doc", docFile, cf); err != nil || !strings.Contains(out, "VALID") {
		t.Fatalf("did:web with --did-doc: %v\n%s", err, out)
	}
	if _, err := run(t, "verify", "--at", "2000-01-01T00:00:00Z", "--did-doc", docFile, cf); !errors.Is(err, exitCode(2)) {
		t.Fatalf("--at before validFrom: %v", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cred" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(signed))
	}))
	defer srv.Close()
	// A local plain-http server is reached only when named (see verify_test.go).
	local := []string{"--allow-host", "127.0.0.1", "--allow-http"}
	if out, err := run(t, append(append([]string{"verify"}, local...), "--did-doc", docFile, srv.URL+"/cred")...); err != nil || !strings.Contains(out, "VALID") {
		t.Fatalf("verify URL: %v\n%s", err, out)
	}
	if _, err := run(t, append(append([]string{"verify"}, local...), srv.URL+"/missing")...); err == nil || errors.Is(err, exitCode(2)) {
		t.Fatalf("verify of a missing URL should be a usage error (1): %v", err)
	}
	if _, err := run(t, "verify", filepath.Join(dir, "nope.json")); err == nil || errors.Is(err, exitCode(2)) {
		t.Fatalf("missing file should be a usage error: %v", err)
	}
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("not a credential"), 0o644)
	if out, err := run(t, "verify", garbage); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "INVALID") {
		t.Fatalf("garbage: %v\n%s", err, out)
	}
}
