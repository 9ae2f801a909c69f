package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"github.com/credshare/credshare/vc/netguard"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/internal/keyfile"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

const webHost = "credentials.example.edu"

// writeKey writes a keygen-format key file for the did:web issuer.
func writeKey(t *testing.T, dir, name string, n int) string {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := did.WebDID(webHost)
	jwk := did.PrivateJWK(priv)
	p := filepath.Join(dir, name)
	if err := keyfile.Write(p, keyfile.File{DID: d, VerificationMethod: d + "#key-" + string(rune('0'+n)),
		PublicKeyMultibase: did.EncodeMultikey(pub), PrivateKeyJWK: &jwk}, false); err != nil {
		t.Fatal(err)
	}
	return p
}

type running struct {
	s      *server
	public string
	token  string
	stdout string // what run printed before it started serving
}

func start(t *testing.T, args ...string) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan running, 1)
	done := make(chan error, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, args, &out, &errOut, func(s *server, public, token string) { got <- running{s, public, token, out.String()} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v\n%s", err, errOut.String())
		}
	})
	select {
	case r := <-got:
		return r
	case err := <-done:
		t.Fatalf("run ended: %v\n%s\n%s", err, out.String(), errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return running{}
}

func (r running) init(t *testing.T, token, awardUUID, storage string) (int, wallet.InitResponse, string) {
	t.Helper()
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: awardUUID, StorageID: storage})
	req, _ := http.NewRequest(http.MethodPost, r.public+"/wallet/credentials/init/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var in wallet.InitResponse
	_ = json.Unmarshal(b, &in)
	return resp.StatusCode, in, string(b)
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// verifier checks credentials as an outside verifier would: the issuer's
// did:web document fetched from the server, the status list over HTTP.
func verifier(t *testing.T, r running) *verify.Verifier {
	t.Helper()
	code, b := get(t, r.public+"/.well-known/did.json")
	if code != 200 {
		t.Fatalf("did.json: %d", code)
	}
	doc, err := did.ParseDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	res := did.NewResolver(did.WithDocument(doc))
	checker, err := statusproof.NewChecker(res, status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Resolver: res, Status: checker})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVCIssuerEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k1, k2 := writeKey(t, dir, "k1.json", 1), writeKey(t, dir, "k2.json", 2)
	tokens := filepath.Join(dir, "tokens.json")
	os.WriteFile(tokens, []byte(`{"tok-ada": 42, "tok-eve": 7}`), 0o600)
	r := start(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "vci.db"),
		"-did-web", webHost, "-key", k1+","+k2, "-tokens", tokens, "-issuer-name", "Example University")

	// The DID document lists both keys (rotation); health endpoints answer.
	code, b := get(t, r.public+"/.well-known/did.json")
	doc, err := did.ParseDocument(b)
	if code != 200 || err != nil || doc.ID != did.WebDID(webHost) || len(doc.VerificationMethod) != 2 {
		t.Fatalf("did.json %d %v: %s", code, err, b)
	}
	for _, p := range []string{"/healthz", "/readyz", "/.well-known/openid-credential-issuer"} {
		if code, b := get(t, r.public+p); code != 200 {
			t.Fatalf("%s: %d %s", p, code, b)
		}
	}

	// Ada (learner 42) holds a course certificate.
	aw, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:OpenedX+PY101+2026_T1"), credential.Cause{EventID: "e1", EventTime: time.Now()})
	aw.Evidence = map[string]string{"course_name": "Python Basics"}
	aw, _, err = r.s.st.Awards().Put(ctx, aw)
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, r)
	check := func(name string, cred json.RawMessage, want vc.Verdict) {
		t.Helper()
		res := v.VerifyCredential(ctx, cred)
		if res.Verdict != want {
			t.Fatalf("%s: verdict %s, want %s: %+v", name, res.Verdict, want, res.Reasons)
		}
		if want == vc.VerdictValid && (len(res.VerificationMethods) != 1 || !strings.HasSuffix(res.VerificationMethods[0], "#key-2")) {
			t.Fatalf("%s: signed by %v, want the newest key", name, res.VerificationMethods)
		}
	}

	// Learner Credential Wallet.
	code, in, body := r.init(t, "tok-ada", aw.UUID.String(), "lc_wallet")
	if code != 200 || !strings.HasPrefix(in.DeepLink, "dccrequest://request?") {
		t.Fatalf("init lcw: %d %s", code, body)
	}
	h, _ := wallettest.NewHolder()
	cred, err := h.LCW(ctx, in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	check("lcw", cred, vc.VerdictValid)

	// VC-API exchange.
	code, in, body = r.init(t, "tok-ada", aw.UUID.String(), "vcapi")
	if code != 200 {
		t.Fatalf("init vcapi: %d %s", code, body)
	}
	ex, err := wallettest.VCAPIExchangeURL(in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	cred, err = h.VCAPI(ctx, ex)
	if err != nil {
		t.Fatal(err)
	}
	check("vcapi", cred, vc.VerdictValid)

	// OID4VCI, both formats.
	for _, cfg := range []string{"OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"} {
		code, in, body = r.init(t, "tok-ada", aw.UUID.String(), "oid4vci")
		if code != 200 {
			t.Fatalf("init oid4vci: %d %s", code, body)
		}
		cred, err = h.OID4VCI(ctx, in.DeepLink, cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		check(cfg, cred, vc.VerdictValid)
	}

	// Refusals: no token, another learner's award, malformed body, unknown list.
	if code, _, _ := r.init(t, "", aw.UUID.String(), "lc_wallet"); code != http.StatusUnauthorized {
		t.Fatalf("init without a token: %d", code)
	}
	if code, _, _ := r.init(t, "tok-eve", aw.UUID.String(), "lc_wallet"); code != http.StatusForbidden {
		t.Fatalf("init of another learner's award: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, r.public+"/wallet/credentials/init/", strings.NewReader("{nope"))
	req.Header.Set("Authorization", "Bearer tok-ada")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed init: %v %v", resp, err)
	}
	if code, _ := get(t, r.public+"/status/no-such-list"); code != http.StatusNotFound {
		t.Fatalf("unknown status list: %d", code)
	}

	// The LMS revokes the certificate: every credential issued for it reads revoked.
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
	// poll (bounded) until the served list reports the revocation.
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := v.VerifyCredential(ctx, cred)
		if res.Verdict == vc.VerdictRevoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after revocation: verdict %s: %+v", res.Verdict, res.Reasons)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestVCIssuerConfiguration(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-listen", "nope", "-did-web", "example.edu"}, &out, &errOut, nil)
	var ce configError
	if !errors.As(err, &ce) || len(ce.problems) != 2 {
		t.Fatalf("err = %v", err)
	}
	if err := run(context.Background(), []string{"-help"}, &out, &errOut, nil); err == nil || !strings.Contains(errOut.String(), "-did-web") {
		t.Fatalf("-help: %v\n%s", err, errOut.String())
	}
}

func TestVCIssuerDemo(t *testing.T) {
	r := start(t, "-demo", "-listen", "127.0.0.1:0")
	if r.token == "" || !strings.Contains(r.stdout, r.token) || !strings.Contains(r.stdout, "dccrequest://request?") {
		t.Fatalf("demo output lacks the token or an offer link:\n%s", r.stdout)
	}
	awards, err := r.s.st.Awards().List(context.Background(), store.AwardFilter{LearnerID: 42})
	if err != nil || len(awards) != 2 {
		t.Fatalf("seeded awards: %v %v", awards, err)
	}
	code, in, body := r.init(t, r.token, awards[0].UUID.String(), "lc_wallet")
	if code != 200 || in.DeepLink == "" {
		t.Fatalf("demo init: %d %s", code, body)
	}
}

// TestVCIssuerDIDKeyFromFile runs as a did:key loaded from a key file: the
// issuer id is the file's DID, and no did:web document is served.
func TestVCIssuerDIDKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, vm := did.KeyDID(pub)
	jwk := did.PrivateJWK(priv)
	p := filepath.Join(dir, "key.json")
	if err := keyfile.Write(p, keyfile.File{DID: d, VerificationMethod: vm,
		PublicKeyMultibase: did.EncodeMultikey(pub), PrivateKeyJWK: &jwk}, false); err != nil {
		t.Fatal(err)
	}
	r := start(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "k.db"), "-key", p)
	if r.s.issuer != d {
		t.Fatalf("issuer %s, want %s", r.s.issuer, d)
	}
	if code, _ := get(t, r.public+"/.well-known/did.json"); code != http.StatusNotFound {
		t.Fatalf("did.json for a did:key issuer: %d", code)
	}
}
