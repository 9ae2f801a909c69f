package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// TestVerificationPage: a credential collected into a wallet has a public
// page at /credentials/{record id}; it reads Valid, and Revoked (from the
// published status list) once the LMS revokes the award.
func TestVerificationPage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(tokens, []byte(`{"tok-ada": 42}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "page.db"), "-did-web", webHost,
		"-key", writeKey(t, dir, "k1.json", 1), "-tokens", tokens, "-page-cache", "0")
	aw, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:OpenedX+PY101+2026_T1"), credential.Cause{EventID: "e1", EventTime: time.Now()})
	aw.Evidence = map[string]string{"course_name": "Python Basics"}
	aw, _, err := r.s.st.Awards().Put(ctx, aw)
	if err != nil {
		t.Fatal(err)
	}
	code, in, body := r.init(t, "tok-ada", aw.UUID.String(), "lc_wallet")
	if code != 200 {
		t.Fatalf("init: %d %s", code, body)
	}
	h, _ := wallettest.NewHolder()
	if _, err := h.LCW(ctx, in.DeepLink); err != nil {
		t.Fatal(err)
	}
	recs, err := r.s.st.Issuance().ListByAward(ctx, aw.UUID)
	if err != nil || len(recs) != 1 || recs[0].State != store.IssuanceIssued {
		t.Fatalf("records %+v, %v", recs, err)
	}
	page := r.public + "/credentials/" + recs[0].ID.String()
	state := func() verifypage.View {
		t.Helper()
		code, b := get(t, page+".json")
		var v verifypage.View
		if code != http.StatusOK || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%s.json: %d %s", page, code, b)
		}
		return v
	}
	if v := state(); v.Result.State != verifypage.StateValid || v.CredentialID != recs[0].CredentialID || v.Recipient == nil ||
		!strings.HasPrefix(v.Recipient.ID, "did:") || v.Achievement == nil || !strings.Contains(v.Achievement.Name, "Python Basics") {
		t.Fatalf("page before revocation: %+v", v)
	}
	if code, b := get(t, page); code != http.StatusOK || !strings.Contains(string(b), `<h1 id="verdict">Valid</h1>`) {
		t.Fatalf("HTML page: %d %s", code, b)
	}
	if code, _ := get(t, r.public+"/credentials/"+aw.UUID.String()); code != http.StatusNotFound {
		t.Fatalf("an award id is not a credential id: %d", code)
	}

	if err := r.s.st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().GetByUUID(ctx, aw.UUID)
		if err != nil {
			return err
		}
		cur.Revoke(credential.Cause{EventID: "e2", EventTime: time.Now(), Reason: "certificate revoked"})
		if _, _, err := tx.Awards().Put(ctx, cur); err != nil {
			return err
		}
		return r.s.statuses.RevokeAward(ctx, tx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	// The publisher re-signs a changed list at most once per batch window:
	// poll (bounded) until the page reads the revocation.
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := state()
		if v.Result.State == verifypage.StateRevoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after revocation: %+v", v.Result)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, b := get(t, page); code != http.StatusOK || !strings.Contains(string(b), `<h1 id="verdict">Revoked</h1>`) {
		t.Fatalf("HTML page after revocation: %d %s", code, b)
	}
}

// TestPageRateLimit: the verification pages are rate limited per client by
// default (-page-rate), 429 with Retry-After once the burst is spent, and
// -page-rate 0 turns the limit off; malformed flags are refused.
func TestPageRateLimit(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "rl.db"), "-page-rate", "0.01")
	page := r.public + "/credentials/" + uuid.NewString()
	for i := range verifypage.DefaultBurst {
		if code, _ := get(t, page); code != http.StatusNotFound {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "100" {
		t.Fatalf("over the burst: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	off := start(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "off.db"), "-page-rate", "0")
	for i := range verifypage.DefaultBurst + 5 {
		if code, _ := get(t, off.public+"/credentials/"+uuid.NewString()); code != http.StatusNotFound {
			t.Fatalf("no limit, request %d: %d", i, code)
		}
	}

	for _, args := range [][]string{{"-page-rate", "-1"}, {"-page-rate", "fast"}, {"-trusted-proxies", "10.0.0.0/8,proxy.internal"}} {
		if _, err := parse(args, io.Discard); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("parse(%q) = %v", args, err)
		}
	}
	c, err := parse([]string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32"}, io.Discard)
	if err != nil || len(c.trustedProxies) != 3 || c.trustedProxies[1].String() != "192.0.2.7/32" {
		t.Fatalf("trusted proxies %v, %v", c.trustedProxies, err)
	}
}
