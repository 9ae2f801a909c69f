package credly_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

const otherOrg = "9d4c2b1a-0f3e-4d5c-8b7a-6e5f4d3c2b1a"

// badIDs are ids a notification may carry that must never reach a request
// URL: path traversal in every spelling, separators, and ids that are not
// Credly's lowercase canonical UUIDs.
var badIDs = map[string]string{
	"dotdot":        "..",
	"dotdot twice":  "../..",
	"encoded dots":  "%2e%2e",
	"encoded upper": "%2E%2E/%2E%2E",
	"dot":           ".",
	"slash":         "a/b",
	"traversal":     "../../organizations/" + otherOrg,
	"backslash":     `..\..`,
	"query":         "3fa85f64-5717-4562-b3fc-2c963f66afa6?x=1",
	"fragment":      "3fa85f64-5717-4562-b3fc-2c963f66afa6#x",
	"empty":         "",
	"space padded":  " 3fa85f64-5717-4562-b3fc-2c963f66afa6 ",
	"uppercase":     "3FA85F64-5717-4562-B3FC-2C963F66AFA6",
	"braces":        "{3fa85f64-5717-4562-b3fc-2c963f66afa6}",
	"urn":           "urn:uuid:3fa85f64-5717-4562-b3fc-2c963f66afa6",
	"no hyphens":    "3fa85f6457174562b3fc2c963f66afa6",
	"not a uuid":    "forged-1",
	"wrong length":  "3fa85f64-5717-4562-b3fc-2c963f66afa",
	"non-hex":       "3fa85f64-5717-4562-b3fc-2c963f66afag",
	"nul":           "3fa85f64-5717-4562-b3fc-2c963f66afa\x00",
}

func note(id, org, typ string) []byte {
	b, _ := json.Marshal(map[string]string{"id": id, "organization_id": org, "event_type": typ})
	return b
}

func TestValidID(t *testing.T) {
	for name, id := range badIDs {
		if credly.ValidID(id) {
			t.Errorf("%s: %q accepted", name, id)
		}
	}
	for _, id := range []string{testOrg, otherOrg, "ba92621f-f22c-41e5-9157-c2dc274e3cf0", uuid.NewString()} {
		if !credly.ValidID(id) {
			t.Errorf("%q refused", id)
		}
	}
}

// FuzzValidID checks that an id ValidID accepts is a UUID in canonical
// form and a single literal path segment, so it cannot change the URL it
// is put in.
func FuzzValidID(f *testing.F) {
	for _, s := range badIDs {
		f.Add(s)
	}
	f.Add(testOrg)
	f.Fuzz(func(t *testing.T, s string) {
		if !credly.ValidID(s) {
			return
		}
		u, err := uuid.Parse(s)
		if err != nil || u.String() != s {
			t.Fatalf("ValidID(%q) but not a canonical UUID", s)
		}
		if url.PathEscape(s) != s || s == "." || s == ".." {
			t.Fatalf("ValidID(%q) but not a literal path segment", s)
		}
	})
}

// Malformed ids in a notification are refused with a 4xx before any call
// to Credly, and leave nothing behind.
func TestWebhookMalformedIDsNoFetch(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	ctx := context.Background()
	_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
	for name, id := range badIDs {
		for field, body := range map[string][]byte{
			"id":              note(id, testOrg, credly.EventTemplateCreated),
			"organization_id": note(ev, id, credly.EventTemplateCreated),
		} {
			before := e.srv.Faults.Requests()
			rec := e.post(t, "", body)
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("%s in %s: status %d, want 4xx", name, field, rec.Code)
			}
			if n := e.srv.Faults.Requests(); n != before {
				t.Errorf("%s in %s: a request reached Credly (%d, before %d)", name, field, n, before)
			}
			if got := rec.Body.String(); got != "malformed notification\n" {
				t.Errorf("%s in %s: answer %q, want the generic %q", name, field, got, "malformed notification\n")
			}
		}
		done, err := e.st.Events().IsProcessed(ctx, credly.WebhookGroup, id)
		if err != nil {
			t.Fatalf("IsProcessed: %v", err)
		}
		if done {
			t.Errorf("%s: marked processed", name)
		}
	}
	tpls, err := e.st.Config().ListTemplates(ctx, store.TemplateFilter{})
	if err != nil {
		t.Fatalf("ListTemplates: %v", err)
	}
	if len(tpls) != 0 {
		t.Errorf("%d templates created, want none: %+v", len(tpls), tpls)
	}

	// The well-formed notification still works.
	e.postOK(t, e.srv.Notification(testOrg, ev))
}

// The client refuses malformed ids itself, with no request.
func TestClientRefusesMalformedIDs(t *testing.T) {
	srv := credlyfake.New(t)
	srv.AddOrg(testOrg, testToken)
	c, err := credly.New(testOrg, testToken, append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatalf("credly.New: %v", err)
	}
	ctx := context.Background()
	for name, id := range badIDs {
		_, err := c.Event(ctx, id)
		if !errors.Is(err, credly.ErrInvalidID) {
			t.Errorf("%s: Event error %v, want ErrInvalidID", name, err)
		}
		if !errors.Is(err, badge.ErrInvalid) {
			t.Errorf("%s: Event error %v, want ErrInvalid", name, err)
		}
		if !retry.IsPermanent(err) {
			t.Errorf("%s: Event error %v is retryable, want permanent", name, err)
		}
		_, err = c.Badge(ctx, id)
		if !errors.Is(err, credly.ErrInvalidID) {
			t.Errorf("%s: Badge error %v, want ErrInvalidID", name, err)
		}
		_, err = c.RevokeBadge(ctx, id, "r", false)
		if !errors.Is(err, credly.ErrInvalidID) {
			t.Errorf("%s: RevokeBadge error %v, want ErrInvalidID", name, err)
		}
	}
	if n := srv.Faults.Requests(); n != 0 {
		t.Errorf("%d requests, want none for a malformed id", n)
	}
	for _, org := range []string{".", ".."} {
		_, err := credly.New(org, testToken, httpapi.WithBaseURL(srv.URL()))
		if err == nil {
			t.Errorf("organisation %q accepted", org)
		}
	}
}

// liar speaks the documented Credly API for GET
// organizations/{org}/events/{id} (Basic auth with the organisation token,
// {"data": …} envelope, 404 with a message for an unknown event) but may
// answer with another object than the one asked for.
type liar struct {
	srv      *httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	answer   map[string]any // event id → the "data" object returned
}

func newLiar(t *testing.T) *liar {
	l := &liar{answer: map[string]any{}}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(testToken+":")) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"data":{"message":"Invalid authorization token"}}`))
			return
		}
		id, ok := strings.CutPrefix(r.URL.Path, "/v1/organizations/"+testOrg+"/events/")
		l.mu.Lock()
		data, known := l.answer[id]
		l.mu.Unlock()
		if !ok || !known || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"data":{"message":"Not found"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *liar) set(id string, data any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answer[id] = data
}

// An answer that is not the notified event — the organisation object (what
// "events/.." used to resolve to), another event, an event of another
// organisation or type, or one naming malformed ids — is refused with a
// 400 and has no effect.
func TestWebhookWrongObjectRejected(t *testing.T) {
	l := newLiar(t)
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: testOrg, Provider: "credly", Secret: testToken, Active: true}); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
	p, err := credly.NewProvider(st.Config(), append(fast(), httpapi.WithBaseURL(l.srv.URL+"/v1/"))...)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	logs := &bytes.Buffer{}
	h, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("NewWebhookHandler: %v", err)
	}

	tplID := uuid.NewString()
	tpl := map[string]any{"id": tplID, "name": "Injected", "state": "active"}
	event := func(id, org, typ string, t any) map[string]any {
		return map[string]any{"id": id, "organization_id": org, "event_type": typ, "occurred_at": "2026-03-15T10:00:00Z", "badge_template": t}
	}
	cases := map[string]func(id string) any{
		"the organisation": func(string) any {
			return map[string]any{"id": testOrg, "name": "Organisation", "webhook_url": nil}
		},
		"another event": func(string) any {
			return event(uuid.NewString(), testOrg, credly.EventTemplateCreated, tpl)
		},
		"uppercase id": func(id string) any {
			return event(strings.ToUpper(id), testOrg, credly.EventTemplateCreated, tpl)
		},
		"another organisation": func(id string) any {
			return event(id, otherOrg, credly.EventTemplateCreated, tpl)
		},
		"another type": func(id string) any {
			return event(id, testOrg, credly.EventTemplateDeleted, tpl)
		},
		"malformed template id": func(id string) any {
			return event(id, testOrg, credly.EventTemplateCreated, map[string]any{"id": "../" + tplID, "name": "Injected", "state": "active"})
		},
		"malformed badge id": func(id string) any {
			return map[string]any{"id": id, "organization_id": testOrg, "event_type": credly.EventBadgeStateChanged,
				"badge": map[string]any{"id": "..", "state": "revoked"}}
		},
	}
	for name, answer := range cases {
		id := uuid.NewString()
		l.set(id, answer(id))
		typ := credly.EventTemplateCreated
		if strings.Contains(name, "badge") {
			typ = credly.EventBadgeStateChanged
		}
		before := l.requests.Load()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(note(id, testOrg, typ))))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, rec.Code)
		}
		if got := rec.Body.String(); got != "event rejected\n" {
			t.Errorf("%s: answer %q, want %q", name, got, "event rejected\n")
		}
		if n := l.requests.Load(); n != before+1 {
			t.Errorf("%s: %d fetches, want one", name, n-before)
		}
		done, err := st.Events().IsProcessed(ctx, credly.WebhookGroup, id)
		if err != nil {
			t.Fatalf("IsProcessed: %v", err)
		}
		if done {
			t.Errorf("%s: marked processed", name)
		}
		tpls, err := st.Config().ListTemplates(ctx, store.TemplateFilter{})
		if err != nil {
			t.Fatalf("ListTemplates: %v", err)
		}
		if len(tpls) != 0 {
			t.Errorf("%s: had an effect: %+v", name, tpls)
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("token in the log: %s", logs)
	}

	// The same server answering with the right event: applied.
	id := uuid.NewString()
	l.set(id, event(id, testOrg, credly.EventTemplateCreated, tpl))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(note(id, testOrg, credly.EventTemplateCreated))))
	if rec.Code != http.StatusOK {
		t.Fatalf("the right event: status %d (%q), want 200", rec.Code, rec.Body.String())
	}
	got, err := st.Config().FindTemplate(ctx, "credly", testOrg, tplID)
	if err != nil {
		t.Fatalf("FindTemplate: %v", err)
	}
	if got.Name != "Injected" {
		t.Errorf("template name %q, want Injected", got.Name)
	}
}

// The client itself refuses an answer for another object.
func TestClientWrongObject(t *testing.T) {
	l := newLiar(t)
	c, err := credly.New(testOrg, testToken, append(fast(), httpapi.WithBaseURL(l.srv.URL+"/v1/"))...)
	if err != nil {
		t.Fatalf("credly.New: %v", err)
	}
	id := uuid.NewString()
	l.set(id, map[string]any{"id": testOrg, "name": "Organisation"})
	ev, err := c.Event(context.Background(), id)
	if !errors.Is(err, credly.ErrWrongObject) {
		t.Errorf("Event error %v, want ErrWrongObject", err)
	}
	if ev != (credly.Event{}) {
		t.Errorf("Event = %+v, want nothing of the answer returned", ev)
	}
	var be *badge.Error
	if !errors.As(err, &be) {
		t.Fatalf("Event error %T is not a *badge.Error", err)
	}
	if be.Retryable() {
		t.Errorf("error %v is retryable, want permanent", be)
	}
}

// A webhook naming an organisation credshare does not serve gets the very
// answer a bad secret gets — same status, same headers, same body — and
// only after the secret was checked; no request reaches Credly.
func TestWebhookUnknownOrgLooksLikeBadSecret(t *testing.T) {
	type answer struct {
		status int
		ctype  string
		body   string
	}
	do := func(e hookEnv, target string, body []byte) answer {
		t.Helper()
		before := e.srv.Faults.Requests()
		rec := e.post(t, target, body)
		if n := e.srv.Faults.Requests(); n != before {
			t.Errorf("a refused call reached Credly (%s)", target)
		}
		return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
	}
	unknown := func() []byte { return note(uuid.NewString(), otherOrg, credly.EventTemplateCreated) }
	sameAnswer := func(t *testing.T, what string, got, want answer) {
		t.Helper()
		if got != want {
			t.Errorf("%s: answer %+v, want the bad secret's %+v", what, got, want)
		}
	}

	t.Run("global secret", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, nil)
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		if badSecret.status != http.StatusUnauthorized {
			t.Fatalf("bad secret: status %d, want 401", badSecret.status)
		}
		sameAnswer(t, "missing secret", do(e, "/hook", e.srv.Notification(testOrg, ev)), badSecret)
		sameAnswer(t, "unknown org, good secret", do(e, "/hook?secret=global-secret", unknown()), badSecret)
		sameAnswer(t, "unknown org, bad secret", do(e, "/hook?secret=wrong", unknown()), badSecret)
		sameAnswer(t, "unknown org, no secret", do(e, "/hook", unknown()), badSecret)
		if !strings.Contains(e.logs.String(), "unknown or inactive organisation") {
			t.Errorf("the log lacks %q: %s", "unknown or inactive organisation", e.logs)
		}
		if !strings.Contains(e.logs.String(), "bad or missing webhook secret") {
			t.Errorf("the log lacks %q: %s", "bad or missing webhook secret", e.logs)
		}
		if strings.Contains(e.logs.String(), "global-secret") {
			t.Errorf("webhook secret in the log: %s", e.logs)
		}
	})
	t.Run("per-organisation secret", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{}, map[string]string{credly.SettingWebhookSecret: "org-secret-42"})
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		if badSecret.status != http.StatusUnauthorized {
			t.Fatalf("bad secret: status %d, want 401", badSecret.status)
		}
		sameAnswer(t, "unknown org", do(e, "/hook", unknown()), badSecret)
		sameAnswer(t, "unknown org with another org's secret", do(e, "/hook?secret=org-secret-42", unknown()), badSecret)
	})
	t.Run("inactive organisation", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, nil)
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		acc, err := e.st.Config().GetAccount(context.Background(), "credly", testOrg)
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		acc.Active = false
		if err := e.st.Config().PutAccount(context.Background(), acc); err != nil {
			t.Fatalf("PutAccount: %v", err)
		}
		sameAnswer(t, "inactive organisation", do(e, "/hook?secret=global-secret", e.srv.Notification(testOrg, ev)), badSecret)
	})
	t.Run("no secret configured", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{}, nil)
		got := do(e, "/hook", unknown())
		if got.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", got.status)
		}
		if got.body != "unauthorized\n" {
			t.Errorf("answer %q, want %q", got.body, "unauthorized\n")
		}
	})
}

// Refusals are logged with the caller's request id; the answer stays generic.
func TestWebhookLogsRequestID(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{"id":"..","organization_id":"`+testOrg+`","event_type":"x"}`))
	req.Header.Set("X-Request-Id", "req-7f3a")
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", rec.Code)
	}
	if got := rec.Body.String(); got != "malformed notification\n" {
		t.Errorf("answer %q, want %q", got, "malformed notification\n")
	}
	if !strings.Contains(e.logs.String(), "request_id=req-7f3a") {
		t.Errorf("the log lacks the request id: %s", e.logs)
	}
	if !strings.Contains(e.logs.String(), "id is not in Credly's id format") {
		t.Errorf("the log lacks the reason: %s", e.logs)
	}
}
