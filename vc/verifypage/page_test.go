package verifypage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet"
)

const badgeImage = "https://academy.example.org/badges/interpreter.png"

func TestValidCredentialPage(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	resp, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "text/html,application/xhtml+xml,*/*;q=0.8")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, type %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	mustContain(t, body, `data-state="valid"`, `<h1 id="verdict">Valid</h1>`, "Python Pioneer", "Wrote a working interpreter.",
		`<img src="`+badgeImage+`"`, "Example Academy", `href="https://academy.example.org"`, "Ada Lovelace",
		"urn:uuid:"+id.String(), "Valid from", `href="`+f.srv.URL+"/credentials/"+id.String()+`.json"`)
	// The subject is identified by a hashed e-mail (no holder DID): neither
	// the address, nor its hash, nor the issuer's contact address is shown.
	c, err := vc.ParseCredential(f.record(t, id).Credential)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CredentialSubject[0].Identifier) == 0 {
		t.Fatal("fixture: the subject has no hashed identifier")
	}
	mustNotContain(t, body, "ada@example.org", c.CredentialSubject[0].Identifier[0].IdentityHash, "registrar@", "<script")
}

func TestRevokedViaStatusService(t *testing.T) {
	f := newFixture(t)
	a, id := f.issue(t, "Python Pioneer", badgeImage)
	if _, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), ""); !strings.Contains(body, `data-state="valid"`) {
		t.Fatalf("before revocation:\n%s", body)
	}
	// The award is revoked through the provider, which sets the bit in the
	// store's status list; the page reads the re-signed published list.
	if _, err := f.p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "revoke-1", AwardUUID: a.UUID}); err != nil {
		t.Fatal(err)
	}
	resp, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mustContain(t, body, `data-state="revoked"`, `<h1 id="verdict">Revoked</h1>`, "Status purpose: revocation",
		"revocation: set", "suspension: clear", "Python Pioneer")
	mustNotContain(t, body, "/status/") // the reason's message (with the list URL) is logged only
	v := f.json(t, id)
	if v.Result.State != verifypage.StateRevoked || v.Result.Purpose != "revocation" || v.Result.Verdict != vc.VerdictRevoked {
		t.Fatalf("JSON result = %+v", v.Result)
	}
	if len(f.logs.String()) == 0 || !strings.Contains(f.logs.String(), "revoked") {
		t.Errorf("the log does not say why:\n%s", f.logs.String())
	}
}

func TestSuspendedThenReinstated(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, id := f.issue(t, "Python Pioneer", badgeImage)
	if n, err := f.status.SuspendAward(ctx, f.st, a.UUID); err != nil || n != 1 {
		t.Fatalf("suspend: %d, %v", n, err)
	}
	_, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	mustContain(t, body, `data-state="suspended"`, `<h1 id="verdict">Suspended</h1>`, "Status purpose: suspension", "suspension: set")
	if v := f.json(t, id); v.Result.State != verifypage.StateSuspended || v.Result.Purpose != "suspension" {
		t.Fatalf("JSON result = %+v", v.Result)
	}
	// Live: the next request sees the reinstatement.
	if _, err := f.status.UnsuspendAward(ctx, f.st, a.UUID); err != nil {
		t.Fatal(err)
	}
	_, body = f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	mustContain(t, body, `data-state="valid"`)
}

func TestExpiredCredential(t *testing.T) {
	f := newFixture(t)
	aw, err := credential.NewAward(9, credential.Badge(uuid.NewString()), credential.Cause{EventID: "e", EventTime: time.Now().Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := vc.Compose(vc.ComposeRequest{Award: aw, Learner: credential.Learner{UserID: 9, Email: "bob@example.org"}, Issuer: f.profile,
		Achievement: vc.Achievement{Name: "Summer School 2025"}, ValidFrom: time.Now().Add(-48 * time.Hour), ValidUntil: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := f.signer.Issue(context.Background(), c, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	id := f.put(t, signed)
	_, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	mustContain(t, body, `data-state="expired"`, `<h1 id="verdict">Expired</h1>`, "<dt>Expired</dt>", "Summer School 2025")
	mustNotContain(t, body, "bob@example.org")
	if v := f.json(t, id); v.Result.State != verifypage.StateExpired || v.ValidUntil.IsZero() {
		t.Fatalf("JSON = %+v", v)
	}
}

func TestTamperedSignatureIsInvalid(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	cred := f.record(t, id).Credential
	forged := bytes.ReplaceAll(cred, []byte("Python Pioneer"), []byte("Python Grandmaster"))
	if bytes.Equal(forged, cred) {
		t.Fatal("fixture: nothing replaced")
	}
	fid := f.put(t, forged)
	_, body := f.get(t, http.MethodGet, "/credentials/"+fid.String(), "")
	mustContain(t, body, `data-state="invalid"`, `<h1 id="verdict">Invalid</h1>`, "reasons: proof")
	v := f.json(t, fid)
	if v.Result.State != verifypage.StateInvalid || v.Result.Verdict != vc.VerdictInvalid || len(v.Result.Reasons) == 0 || v.Result.Reasons[0] != vc.ReasonProof {
		t.Fatalf("JSON result = %+v", v.Result)
	}
	// The forged credential's status entries are not read (their URLs
	// would be the forger's choice).
	if len(v.StatusEntries) != 0 {
		t.Errorf("status entries of a forged credential were read: %+v", v.StatusEntries)
	}
	// The original still verifies.
	if v := f.json(t, id); v.Result.State != verifypage.StateValid {
		t.Fatalf("original: %+v", v.Result)
	}
}

func (f *fixture) json(t *testing.T, id uuid.UUID) verifypage.View {
	t.Helper()
	resp, body := f.get(t, http.MethodGet, "/credentials/"+id.String()+".json", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var v verifypage.View
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJSONShapeAndNegotiation(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	path := "/credentials/" + id.String()
	for _, tc := range []struct{ path, accept string }{
		{path + ".json", ""},
		{path + ".json", "text/html"}, // the explicit suffix wins
		{path + "?format=json", "text/html"},
		{path, "application/json"},
		{path, "text/html;q=0.5, application/json"},
	} {
		resp, body := f.get(t, http.MethodGet, tc.path, tc.accept)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s (Accept %q): %d %q", tc.path, tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"credential_id", "url", "json_url", "result", "achievement", "issuer", "recipient", "valid_from", "format", "status_entries"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q in %s", tc.path, k, body)
			}
		}
		res := m["result"].(map[string]any)
		for _, k := range []string{"state", "label", "summary", "verdict", "checked_at"} {
			if _, ok := res[k]; !ok {
				t.Errorf("no result.%s in %s", k, body)
			}
		}
		if res["state"] != "valid" || m["credential_id"] != "urn:uuid:"+id.String() || m["url"] != f.srv.URL+path {
			t.Errorf("JSON: %s", body)
		}
		ach := m["achievement"].(map[string]any)
		if ach["name"] != "Python Pioneer" || ach["image"] != badgeImage || ach["criteria"] == nil {
			t.Errorf("achievement: %v", ach)
		}
		if rcp := m["recipient"].(map[string]any); rcp["name"] != "Ada Lovelace" || len(rcp) != 1 {
			t.Errorf("recipient: %v", rcp)
		}
		if iss := m["issuer"].(map[string]any); iss["name"] != "Example Academy" || iss["email"] != nil {
			t.Errorf("issuer: %v", iss)
		}
		mustNotContain(t, body, "ada@example.org", "registrar@")
	}
	for _, accept := range []string{"", "*/*", "text/html", "application/json;q=0.5, text/html", "application/json;q=0"} {
		resp, _ := f.get(t, http.MethodGet, path, accept)
		if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Errorf("Accept %q: type %q, Vary %q", accept, resp.Header.Get("Content-Type"), resp.Header.Get("Vary"))
		}
	}
}

func TestNameWithScriptRendersInert(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, `<script>alert(1)</script><img src=x onerror=alert(2)>`, "javascript:alert(3)")
	_, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	mustContain(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;", `data-state="valid"`)
	mustNotContain(t, body, "<script", "onerror=alert(2)>", "javascript:")
	// JSON escapes it too (no raw < to sniff as markup).
	resp, jb := f.get(t, http.MethodGet, "/credentials/"+id.String()+".json", "")
	if resp.StatusCode != http.StatusOK || strings.Contains(jb, "<script") || !strings.Contains(jb, `\u003cscript\u003e`) {
		t.Fatalf("JSON: %s", jb)
	}
}

func TestImagesAndLinksAreHTTPSOnly(t *testing.T) {
	f := newFixture(t)
	for _, img := range []string{"http://academy.example.org/b.png", "javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
		"https://user:pw@academy.example.org/b.png"} {
		_, id := f.issue(t, "Badge", img)
		_, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
		mustNotContain(t, body, `<img src="`+strings.ReplaceAll(img, "&", "&amp;"), "academy.example.org/b.png", "svg")
		if v := f.json(t, id); v.Achievement == nil || v.Achievement.Image != "" {
			t.Errorf("%s: JSON image %+v", img, v.Achievement)
		}
	}
	png := "data:image/png;base64,iVBORw0KGgo="
	_, id := f.issue(t, "Badge", png)
	_, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
	mustContain(t, body, `<img src="`+png+`"`)
}

var nonceRE = regexp.MustCompile(`<style nonce="([A-Za-z0-9_-]+)">`)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	seen := map[string]bool{}
	for range 2 {
		resp, body := f.get(t, http.MethodGet, "/credentials/"+id.String(), "")
		m := nonceRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no nonced style:\n%s", body)
		}
		seen[m[1]] = true
		want := "default-src 'none'; style-src 'nonce-" + m[1] + "'; img-src https: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
		if got := resp.Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("CSP = %q, want %q", got, want)
		}
		checkCommonHeaders(t, resp)
		mustNotContain(t, body, "<script", "style=")
	}
	if len(seen) != 2 {
		t.Errorf("the nonce is the same on two responses")
	}
	for _, p := range []string{"/credentials/" + id.String() + ".json", "/credentials/" + uuid.NewString()} {
		resp, _ := f.get(t, http.MethodGet, p, "")
		checkStrictCSP(t, resp)
		checkCommonHeaders(t, resp)
	}
}

// checkStrictCSP: a response that is not a page allows nothing at all.
func checkStrictCSP(t *testing.T, resp *http.Response) {
	t.Helper()
	if got, want := resp.Header.Get("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"; got != want {
		t.Errorf("%s %s: CSP = %q, want %q", resp.Request.Method, resp.Request.URL.Path, got, want)
	}
}

func checkCommonHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s %s: %s = %q, want %q", resp.Request.Method, resp.Request.URL.Path, k, got, v)
		}
	}
}

func TestUnknownIDsAre404WithAGenericBody(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	// A pending record (offered, not yet issued) has no page either.
	pending := uuid.New()
	now := time.Now()
	if err := f.st.Issuance().Create(ctx, store.IssuanceRecord{ID: pending, AwardUUID: uuid.New(), IssuerID: f.profile.ID, Wallet: "lcw",
		Challenge: "c", ChallengeExpires: now.Add(time.Hour), State: store.IssuancePending, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		uuid.NewString(), uuid.NewString() + ".json", pending.String(), strings.ToUpper(id.String()), "urn:uuid:" + id.String(),
		strings.ReplaceAll(id.String(), "-", ""), "{" + id.String() + "}", id.String() + "/x", id.String() + ".html", "", "x",
		uuid.Nil.String(), "%2e%2e",
	} {
		resp, body := f.get(t, http.MethodGet, "/credentials/"+p, "")
		if resp.StatusCode != http.StatusNotFound || body != "credential not found\n" {
			t.Errorf("%q: %d %q", p, resp.StatusCode, body)
		}
		checkCommonHeaders(t, resp)
		checkStrictCSP(t, resp)
	}
}

func TestHEADAndMethods(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	for _, p := range []string{"/credentials/" + id.String(), "/credentials/" + id.String() + ".json"} {
		resp, body := f.get(t, http.MethodHead, p, "")
		if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d %q %q", p, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	resp, body := f.get(t, http.MethodHead, "/credentials/"+uuid.NewString(), "")
	if resp.StatusCode != http.StatusNotFound || body != "" {
		t.Errorf("HEAD unknown: %d %q", resp.StatusCode, body)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp, _ := f.get(t, m, "/credentials/"+id.String(), "")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d Allow %q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
		checkCommonHeaders(t, resp)
		checkStrictCSP(t, resp)
	}
}

// failingStore is a memstore whose issuance reads fail, as a database
// that went away does, with an error naming its host.
type failingStore struct{ store.Store }

func (s failingStore) Issuance() store.Issuance { return failingIssuance{s.Store.Issuance()} }

type failingIssuance struct{ store.Issuance }

func (failingIssuance) Get(context.Context, uuid.UUID) (store.IssuanceRecord, error) {
	return store.IssuanceRecord{}, errors.New("dial tcp db-primary.internal:3306: connection refused")
}

func TestStoreFailureIsGenericToTheCallerAndLogged(t *testing.T) {
	f := newFixture(t)
	h, err := verifypage.New(verifypage.Config{Store: failingStore{f.st}, Verifier: verifierFunc(nil), BaseURL: "https://x.example/c",
		Logger: slogTo(f.logs)})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/"+uuid.NewString(), nil))
	if rr.Code != http.StatusServiceUnavailable || strings.Contains(rr.Body.String(), "db-primary") {
		t.Fatalf("%d %q", rr.Code, rr.Body.String())
	}
	resp := rr.Result()
	resp.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	checkCommonHeaders(t, resp)
	checkStrictCSP(t, resp)
	if !strings.Contains(f.logs.String(), "db-primary.internal:3306") {
		t.Errorf("the log lacks the detail:\n%s", f.logs.String())
	}
}

func TestOutcomeIsCachedForCacheTTL(t *testing.T) {
	f := newFixture(t)
	a, id := f.issue(t, "Python Pioneer", badgeImage)
	now := time.Now()
	calls := 0
	h, err := verifypage.New(verifypage.Config{Store: f.st, BaseURL: "https://x.example/c", CacheTTL: time.Minute, Logger: slogTo(f.logs),
		Now: func() time.Time { return now },
		Verifier: verifierFunc(func(ctx context.Context, b []byte) vc.Result {
			calls++
			return f.pageVerifier(t).VerifyCredential(ctx, b)
		})})
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/"+id.String()+".json", nil))
		var v verifypage.View
		if err := json.Unmarshal(rr.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		return string(v.Result.State)
	}
	if s := state(); s != "valid" {
		t.Fatal(s)
	}
	if _, err := f.p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r", AwardUUID: a.UUID}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != "valid" || calls != 1 {
		t.Fatalf("within the TTL: %s after %d verifications", s, calls)
	}
	now = now.Add(time.Minute)
	if s := state(); s != "revoked" || calls != 2 {
		t.Fatalf("after the TTL: %s after %d verifications", s, calls)
	}
	h.Flush()
	if s := state(); s != "revoked" || calls != 3 {
		t.Fatalf("after Flush: %s after %d verifications", s, calls)
	}
}

func TestNewValidates(t *testing.T) {
	f := newFixture(t)
	v := verifierFunc(nil)
	for _, cfg := range []verifypage.Config{
		{Verifier: v, BaseURL: "https://x.example"},
		{Store: f.st, BaseURL: "https://x.example"},
		{Store: f.st, Verifier: v},
		{Store: f.st, Verifier: v, BaseURL: "/credentials"},
		{Store: f.st, Verifier: v, BaseURL: "ftp://x.example/c"},
		{Store: f.st, Verifier: v, BaseURL: "https://x.example/c?x=1"},
	} {
		if _, err := verifypage.New(cfg); !errors.Is(err, vc.ErrInvalid) {
			t.Errorf("%+v: err = %v", cfg, err)
		}
	}
}

func TestPrefersJSON(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"application/json"}, true},
		{[]string{"application/*"}, true},
		{[]string{"application/ld+json"}, false},
		{[]string{"text/html"}, false},
		{[]string{"*/*"}, false},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false},
		{[]string{"application/json, text/html;q=0.9"}, true},
		{[]string{"text/html;q=0.1", "application/json;q=0.2"}, true},
		{[]string{"application/json;q=0.2, */*;q=0.5"}, false},
		{[]string{"application/json;q=2"}, false},
		{[]string{"application/json;q=nan"}, false},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"*/json"}, false},
	} {
		if got := verifypage.PrefersJSON(tc.accept); got != tc.want {
			t.Errorf("PrefersJSON(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

func TestJWTCredential(t *testing.T) {
	f := newFixture(t)
	aw, err := credential.NewAward(9, credential.Badge(uuid.NewString()), credential.Cause{EventID: "e", EventTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := vc.Compose(vc.ComposeRequest{Award: aw, Learner: credential.Learner{UserID: 9, FullName: "Grace Hopper"}, IncludeName: true,
		HolderID: "did:example:grace", Issuer: f.profile, Achievement: vc.Achievement{Name: "Compiler Construction"}})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := f.signer.Issue(context.Background(), c, vc.FormatJWT)
	if err != nil {
		t.Fatal(err)
	}
	id := f.put(t, signed)
	v := f.json(t, id)
	if v.Result.State != verifypage.StateValid || v.Achievement == nil || v.Achievement.Name != "Compiler Construction" ||
		v.Recipient == nil || v.Recipient.Name != "Grace Hopper" || v.Recipient.ID != "did:example:grace" {
		t.Fatalf("JWT credential: %+v", v)
	}
}

func TestTemplateOverride(t *testing.T) {
	f := newFixture(t)
	_, id := f.issue(t, "Python Pioneer", badgeImage)
	tpl := template.Must(template.New("mine").Funcs(verifypage.Funcs()).Parse(
		`<!doctype html><title>{{.Result.Label}}</title><style nonce="{{.Nonce}}">p{color:red}</style><p>{{.Achievement.Name}} is {{.Result.State}}</p>`))
	h, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, BaseURL: "https://x.example/c", Template: tpl, Logger: slogTo(f.logs)})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/"+id.String(), nil))
	m := nonceRE.FindStringSubmatch(rr.Body.String())
	if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "<p>Python Pioneer is valid</p>") || m == nil ||
		!strings.Contains(rr.Header().Get("Content-Security-Policy"), "style-src 'nonce-"+m[1]+"'") {
		t.Fatalf("%d %q\n%s", rr.Code, rr.Header().Get("Content-Security-Policy"), rr.Body.String())
	}
}

// TestImgFuncRechecks: the img function a replacement template uses keeps
// only https URLs and raster data: URIs, whatever it is given.
func TestImgFuncRechecks(t *testing.T) {
	img := verifypage.Funcs()["img"].(func(string) template.URL)
	for in, want := range map[string]template.URL{
		"https://a.example/b.png":            "https://a.example/b.png",
		"data:image/gif;base64,R0lGODlhAQA=": "data:image/gif;base64,R0lGODlhAQA=",
		"javascript:alert(1)":                "",
		"http://a.example/b.png":             "",
		"data:text/html;base64,PHA+":         "",
		"data:image/png;base64,not base64!":  "",
		"data:image/svg+xml,<svg/>":          "",
	} {
		if got := img(in); got != want {
			t.Errorf("img(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestComputableOBv3IDsAre404LikeUnknown: with Config.Public set to
// obv3.PublicRecord (the fixture's page), a stored, issued, valid
// credential whose record id was derived from its award's UUID (the OBv3
// provider's ids before they were keyed) answers exactly what an unknown
// id does: the same status, headers and body. The id a key-less
// derivation gives for a keyed record's award is unknown too.
func TestComputableOBv3IDsAre404LikeUnknown(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, keyed := f.issue(t, "Python Pioneer", badgeImage)
	cred := f.record(t, keyed).Credential
	legacyNS := uuid.MustParse("0b3c5e1a-7d44-4e2b-a1f0-93c6d2e8b417")
	guess := uuid.NewSHA1(legacyNS, []byte("issue-"+a.UUID.String())) // what anyone knowing the award computes
	if resp, _ := f.get(t, http.MethodGet, "/credentials/"+guess.String(), ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the computable id of a keyed record: %d", resp.StatusCode)
	}

	// A record written under the computable id, as before keyed ids.
	legacy := uuid.NewSHA1(legacyNS, []byte("issue:"+uuid.NewString()))
	now := time.Now().UTC()
	rec := store.IssuanceRecord{ID: legacy, AwardUUID: a.UUID, IssuerID: f.profile.ID, Wallet: obv3.WalletID, Format: vc.FormatLDP,
		Challenge: wallet.NewToken(), ChallengeExpires: now, State: store.IssuancePending, CreatedAt: now}
	if err := f.st.Issuance().Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Issuance().MarkIssued(ctx, legacy, "", nil, "urn:uuid:"+legacy.String(), cred, now); err != nil {
		t.Fatal(err)
	}
	// Without Public the page would show it.
	open, err := verifypage.New(verifypage.Config{Store: f.st, Verifier: f.ver, BaseURL: "https://x.example/c", Logger: slogTo(f.logs)})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	open.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/"+legacy.String()+".json", nil))
	if rr.Code != http.StatusOK {
		t.Fatalf("the legacy record without Public: %d", rr.Code)
	}
	for _, suffix := range []string{"", ".json"} {
		hidden, hb := f.get(t, http.MethodGet, "/credentials/"+legacy.String()+suffix, "")
		unknown, ub := f.get(t, http.MethodGet, "/credentials/"+uuid.NewString()+suffix, "")
		if hidden.StatusCode != http.StatusNotFound || hb != ub || hidden.StatusCode != unknown.StatusCode {
			t.Errorf("%q: hidden %d %q, unknown %d %q", suffix, hidden.StatusCode, hb, unknown.StatusCode, ub)
		}
		for _, h := range []http.Header{hidden.Header, unknown.Header} {
			h.Del("Date")
		}
		if fmt.Sprint(hidden.Header) != fmt.Sprint(unknown.Header) {
			t.Errorf("%q: headers differ:\n%v\n%v", suffix, hidden.Header, unknown.Header)
		}
	}
}
