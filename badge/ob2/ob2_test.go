package ob2_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/ob2"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/google/uuid"
)

type fixture struct {
	st                       *memstore.Store
	srv                      *httptest.Server
	h                        *ob2.Handler
	cfg                      ob2.Config
	badge, course, revoked   credential.Award
	noEmail                  credential.Award
	template                 store.Template
	email, fullName, grade   string
	courseName, templateName string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{st: memstore.New(), email: "Ada.Lovelace@Example.org", fullName: "Ada Lovelace", grade: "0.9731",
		courseName: "Analytical Engines", templateName: `Robotics <script>alert("x")</script> & Co`}
	t.Cleanup(func() { _ = f.st.Close() })
	for _, l := range []credential.Learner{
		{UserID: 7, Username: "adal", Email: f.email, FullName: f.fullName},
		{UserID: 8, Username: "nomail", FullName: "No Mail"},
	} {
		if _, _, err := f.st.Learners().Upsert(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	tpl, err := f.st.Config().PutTemplate(ctx, store.Template{UUID: uuid.New(), Name: f.templateName, Description: "Built a robot.",
		ImageURL: "https://example.edu/robot.png", Provider: "obv3", State: store.TemplateActive})
	if err != nil {
		t.Fatal(err)
	}
	f.template = tpl
	at := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	put := func(learner int64, ref credential.AchievementRef, ev map[string]string) credential.Award {
		aw, err := credential.NewAward(learner, ref, credential.Cause{EventID: uuid.NewString(), EventTime: at})
		if err != nil {
			t.Fatal(err)
		}
		aw.Evidence = ev
		stored, _, err := f.st.Awards().Put(ctx, aw)
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
	f.badge = put(7, credential.Badge(tpl.UUID.String()), nil)
	f.course = put(7, credential.CourseCertificate("course-v1:X+Engines+2026"), map[string]string{"course_name": f.courseName, "grade": f.grade})
	f.revoked = put(7, credential.CourseCertificate("course-v1:X+Other+2026"), map[string]string{"course_name": "Other"})
	f.noEmail = put(8, credential.CourseCertificate("course-v1:X+Engines+2026"), nil)
	rv := f.revoked
	rv.Status, rv.RevokedAt, rv.RevokedBy = credential.StatusRevoked, at.Add(time.Hour), credential.RevokedByPerson
	rv.Revoked = credential.Cause{EventID: "secret-reason-event", EventTime: at.Add(time.Hour), Reason: "plagiarism report"}
	if f.revoked, _, err = f.st.Awards().Put(ctx, rv); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.cfg = ob2.Config{Store: f.st, BaseURL: f.srv.URL + "/ob2", SaltKey: []byte("0123456789abcdef-test-salt-key"),
		Issuer: ob2.Issuer{Name: "Example University", URL: "https://example.edu", Email: "badges@example.edu", Image: "https://example.edu/logo.png"}}
	if f.h, err = ob2.New(f.cfg); err != nil {
		t.Fatal(err)
	}
	h = f.h
	return f
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// getDoc fetches url, checks 200 and the content type, and decodes it.
func getDoc(t *testing.T, url string) (map[string]any, []byte) {
	t.Helper()
	code, hdr, b := get(t, url)
	if code != http.StatusOK || hdr.Get("Content-Type") != ob2.ContentType {
		t.Fatalf("GET %s: %d %s %s", url, code, hdr.Get("Content-Type"), b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, b
}

func require(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := m[k]; !ok || v == "" || v == nil {
			t.Errorf("%s: required %q missing in %v", what, k, m)
		}
	}
}

// Hosted verification as a consumer does it: fetch the assertion at its
// id, then its badge, then the badge's issuer; each document's id is the
// URL it was fetched from, with the fields OB 2.0 requires.
func TestHostedChain(t *testing.T) {
	f := newFixture(t)
	for _, aw := range []credential.Award{f.badge, f.course} {
		url := f.h.AssertionURL(aw.UUID)
		if url != f.cfg.BaseURL+"/assertions/"+aw.UUID.String() {
			t.Fatalf("assertion url %s", url)
		}
		a, _ := getDoc(t, url)
		require(t, "Assertion", a, "@context", "type", "id", "recipient", "badge", "verification", "issuedOn")
		if a["@context"] != ob2.ContextV2 || a["type"] != "Assertion" || a["id"] != url {
			t.Errorf("assertion %v", a)
		}
		if v := a["verification"].(map[string]any); v["type"] != "hosted" {
			t.Errorf("verification %v", v)
		}
		if _, err := time.Parse(time.RFC3339, a["issuedOn"].(string)); err != nil {
			t.Errorf("issuedOn: %v", err)
		}
		rec := a["recipient"].(map[string]any)
		require(t, "IdentityObject", rec, "type", "identity", "salt")
		salt := rec["salt"].(string)
		sum := sha256.Sum256([]byte(strings.ToLower(f.email) + salt))
		if rec["type"] != "email" || rec["hashed"] != true || rec["identity"] != "sha256$"+hex.EncodeToString(sum[:]) {
			t.Errorf("recipient %v", rec)
		}
		b, _ := getDoc(t, a["badge"].(string))
		require(t, "BadgeClass", b, "@context", "type", "id", "name", "description", "image", "criteria", "issuer")
		if b["type"] != "BadgeClass" || b["id"] != a["badge"] || b["id"] != f.h.BadgeClassURL(aw.Achievement) {
			t.Errorf("badge class %v", b)
		}
		if c := b["criteria"].(map[string]any); c["narrative"] == "" && c["id"] == "" {
			t.Errorf("criteria %v", c)
		}
		iss, _ := getDoc(t, b["issuer"].(string))
		require(t, "Profile", iss, "@context", "type", "id", "name", "url")
		if iss["type"] != "Issuer" || iss["id"] != b["issuer"] || iss["name"] != "Example University" {
			t.Errorf("issuer %v", iss)
		}
	}
	b, _ := getDoc(t, f.h.BadgeClassURL(f.badge.Achievement))
	if b["name"] != f.templateName || b["image"] != "https://example.edu/robot.png" {
		t.Errorf("badge from template: %v", b)
	}
	c, _ := getDoc(t, f.h.BadgeClassURL(f.course.Achievement))
	if c["name"] != f.courseName {
		t.Errorf("course badge class: %v", c)
	}
}

// A revoked award's assertion answers 410 Gone with only revoked and a
// generic reason.
func TestRevoked(t *testing.T) {
	f := newFixture(t)
	code, hdr, body := get(t, f.h.AssertionURL(f.revoked.UUID))
	if code != http.StatusGone || hdr.Get("Content-Type") != ob2.ContentType {
		t.Fatalf("%d %s", code, hdr.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["revoked"] != true || m["revocationReason"] == "" || m["id"] != f.h.AssertionURL(f.revoked.UUID) {
		t.Errorf("revoked body %v", m)
	}
	for _, k := range []string{"recipient", "badge", "verification", "issuedOn"} {
		if _, ok := m[k]; ok {
			t.Errorf("revoked assertion carries %s", k)
		}
	}
	if strings.Contains(string(body), "secret-reason-event") || strings.Contains(string(body), "plagiarism") {
		t.Error("the revocation's cause leaked")
	}
}

// Nothing personal is served (no name, e-mail, username, learner id or
// evidence), and text from templates is JSON-escaped.
func TestNoPIIAndEscaping(t *testing.T) {
	f := newFixture(t)
	var all []byte
	for _, u := range []string{f.h.AssertionURL(f.badge.UUID), f.h.AssertionURL(f.course.UUID), f.h.AssertionURL(f.revoked.UUID),
		f.h.BadgeClassURL(f.badge.Achievement), f.h.BadgeClassURL(f.course.Achievement), f.h.IssuerURL()} {
		_, _, b := get(t, u)
		all = append(all, b...)
	}
	low := strings.ToLower(string(all))
	for _, pii := range []string{f.email, f.fullName, "lovelace", `"adal"`, f.grade, `"learner`} {
		if strings.Contains(low, strings.ToLower(pii)) {
			t.Errorf("served documents contain %q", pii)
		}
	}
	if strings.Contains(string(all), "<script>") || !strings.Contains(string(all), `\u003cscript\u003e`) {
		t.Error("template text not escaped")
	}
}

// URLs and documents are the same from another Handler with the same
// configuration (a restart, another replica): ids come from award ids.
func TestStableAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	again, err := ob2.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, aw := range []credential.Award{f.badge, f.course, f.revoked} {
		r1 := httptest.NewRecorder()
		f.h.ServeHTTP(r1, httptest.NewRequest("GET", f.h.AssertionURL(aw.UUID), nil))
		r2 := httptest.NewRecorder()
		again.ServeHTTP(r2, httptest.NewRequest("GET", again.AssertionURL(aw.UUID), nil))
		if r1.Body.String() != r2.Body.String() || r1.Code != r2.Code || !strings.Contains(r1.Body.String(), aw.UUID.String()) {
			t.Errorf("award %s: %d %s / %d %s", aw.UUID, r1.Code, r1.Body, r2.Code, r2.Body)
		}
	}
	if f.h.Salt(f.badge.UUID) == f.h.Salt(f.course.UUID) {
		t.Error("two awards share a salt")
	}
	other := f.cfg
	other.SaltKey = []byte("another-salt-key-of-16+-bytes")
	o, _ := ob2.New(other)
	if o.Salt(f.badge.UUID) == f.h.Salt(f.badge.UUID) {
		t.Error("the salt does not depend on the key")
	}
}

// Every unknown or unservable URL gets the same generic 404.
func TestNotFound(t *testing.T) {
	f := newFixture(t)
	base := f.cfg.BaseURL
	for _, u := range []string{
		base + "/assertions/" + uuid.NewString(),
		base + "/assertions/not-a-uuid",
		base + "/assertions/" + strings.ToUpper(f.badge.UUID.String()),
		base + "/assertions/" + f.noEmail.UUID.String(), // no e-mail address to hash
		base + "/badges/nonsense/x",
		base + "/badges/badge/" + uuid.NewString(),
		base + "/badges/course/course-v1:X+Nothing+2026",
		base + "/issuer/extra",
		base + "/",
		f.srv.URL + "/assertions/" + f.badge.UUID.String(),
	} {
		code, hdr, b := get(t, u)
		if code != http.StatusNotFound || string(b) != "{\"error\":\"not found\"}\n" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %q", u, code, b)
		}
	}
}

func TestConfig(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	good := ob2.Config{Store: st, BaseURL: "https://example.edu/ob2", SaltKey: make([]byte, 16), Issuer: ob2.Issuer{Name: "U", URL: "https://u", Image: "https://u/i.png"}}
	if _, err := ob2.New(good); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*ob2.Config){
		"no store":  func(c *ob2.Config) { c.Store = nil },
		"relative":  func(c *ob2.Config) { c.BaseURL = "/ob2" },
		"query":     func(c *ob2.Config) { c.BaseURL = "https://example.edu/ob2?x=1" },
		"no name":   func(c *ob2.Config) { c.Issuer.Name = "" },
		"short key": func(c *ob2.Config) { c.SaltKey = []byte("short") },
		"no image":  func(c *ob2.Config) { c.Issuer.Image = "" },
	} {
		c := good
		mut(&c)
		if _, err := ob2.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The handler parses request paths (outside input): whatever the path, it
// answers 200, 410 or the generic 404, never 500, and never panics.
func FuzzHandler(f *testing.F) {
	st := memstore.New()
	defer st.Close()
	h, err := ob2.New(ob2.Config{Store: st, BaseURL: "https://example.edu/ob2", SaltKey: make([]byte, 16), Issuer: ob2.Issuer{Name: "U", URL: "https://u", Image: "https://u/i.png"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"/ob2/assertions/" + uuid.NewString(), "/ob2/badges/course/a%2Fb", "/ob2/badges/badge/%zz", "/ob2/issuer", "/ob2/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest("GET", "https://example.edu", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.Path, req.URL.RawPath = path, ""
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusGone, http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			t.Fatalf("%q: %d %s", path, w.Code, w.Body)
		}
	})
}
