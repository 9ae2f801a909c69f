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

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		assert.False(t, credly.ValidID(id), "%s: %q accepted", name, id)
	}
	for _, id := range []string{testOrg, otherOrg, "ba92621f-f22c-41e5-9157-c2dc274e3cf0", uuid.NewString()} {
		assert.True(t, credly.ValidID(id), id)
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
			assert.True(t, rec.Code >= 400 && rec.Code < 500, "%s in %s: status %d", name, field, rec.Code)
			assert.Equal(t, before, e.srv.Faults.Requests(), "%s in %s: a request reached Credly", name, field)
			assert.Equal(t, "malformed notification\n", rec.Body.String(), "%s in %s: the answer is generic", name, field)
		}
		done, err := e.st.Events().IsProcessed(ctx, credly.WebhookGroup, id)
		require.NoError(t, err)
		assert.False(t, done, name)
	}
	tpls, err := e.st.Config().ListTemplates(ctx, store.TemplateFilter{})
	require.NoError(t, err)
	assert.Empty(t, tpls, "no template was created")

	// The well-formed notification still works.
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
}

// The client refuses malformed ids itself, with no request.
func TestClientRefusesMalformedIDs(t *testing.T) {
	srv := credlyfake.New(t)
	srv.AddOrg(testOrg, testToken)
	c, err := credly.New(testOrg, testToken, append(fast(), credly.WithBaseURL(srv.URL()))...)
	require.NoError(t, err)
	ctx := context.Background()
	for name, id := range badIDs {
		_, err := c.Event(ctx, id)
		assert.ErrorIs(t, err, credly.ErrInvalidID, name)
		assert.ErrorIs(t, err, badge.ErrInvalid, name)
		assert.False(t, !retry.IsPermanent(err), name)
		_, err = c.Badge(ctx, id)
		assert.ErrorIs(t, err, credly.ErrInvalidID, name)
		_, err = c.RevokeBadge(ctx, id, "r", false)
		assert.ErrorIs(t, err, credly.ErrInvalidID, name)
	}
	assert.Zero(t, srv.Faults.Requests(), "no request for a malformed id")
	for _, org := range []string{".", ".."} {
		_, err := credly.New(org, testToken, credly.WithBaseURL(srv.URL()))
		assert.Error(t, err, org)
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
	require.NoError(t, st.Config().PutAccount(ctx, store.ProviderAccount{ID: testOrg, Provider: "credly", Secret: testToken, Active: true}))
	p, err := credly.NewProvider(st.Config(), append(fast(), credly.WithBaseURL(l.srv.URL+"/v1/"))...)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	h, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)

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
		assert.Equal(t, http.StatusBadRequest, rec.Code, name)
		assert.Equal(t, "event rejected\n", rec.Body.String(), name)
		assert.Equal(t, before+1, l.requests.Load(), "%s: one fetch", name)
		done, err := st.Events().IsProcessed(ctx, credly.WebhookGroup, id)
		require.NoError(t, err)
		assert.False(t, done, "%s: marked processed", name)
		tpls, err := st.Config().ListTemplates(ctx, store.TemplateFilter{})
		require.NoError(t, err)
		assert.Empty(t, tpls, "%s: had an effect", name)
	}
	assert.NotContains(t, logs.String(), testToken)

	// The same server answering with the right event: applied.
	id := uuid.NewString()
	l.set(id, event(id, testOrg, credly.EventTemplateCreated, tpl))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(note(id, testOrg, credly.EventTemplateCreated))))
	require.Equal(t, http.StatusOK, rec.Code)
	got, err := st.Config().FindTemplate(ctx, "credly", testOrg, tplID)
	require.NoError(t, err)
	assert.Equal(t, "Injected", got.Name)
}

// The client itself refuses an answer for another object.
func TestClientWrongObject(t *testing.T) {
	l := newLiar(t)
	c, err := credly.New(testOrg, testToken, append(fast(), credly.WithBaseURL(l.srv.URL+"/v1/"))...)
	require.NoError(t, err)
	id := uuid.NewString()
	l.set(id, map[string]any{"id": testOrg, "name": "Organisation"})
	ev, err := c.Event(context.Background(), id)
	assert.ErrorIs(t, err, credly.ErrWrongObject)
	assert.Equal(t, credly.Event{}, ev, "nothing of the answer is returned")
	var be *badge.Error
	require.True(t, errors.As(err, &be))
	assert.False(t, be.Retryable())
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
		assert.Equal(t, before, e.srv.Faults.Requests(), "a refused call reached Credly")
		return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
	}
	unknown := func() []byte { return note(uuid.NewString(), otherOrg, credly.EventTemplateCreated) }

	t.Run("global secret", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, nil)
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		require.Equal(t, http.StatusUnauthorized, badSecret.status)
		assert.Equal(t, badSecret, do(e, "/hook", e.srv.Notification(testOrg, ev)), "missing secret")
		assert.Equal(t, badSecret, do(e, "/hook?secret=global-secret", unknown()), "unknown org, good secret")
		assert.Equal(t, badSecret, do(e, "/hook?secret=wrong", unknown()), "unknown org, bad secret")
		assert.Equal(t, badSecret, do(e, "/hook", unknown()), "unknown org, no secret")
		assert.Contains(t, e.logs.String(), "unknown or inactive organisation")
		assert.Contains(t, e.logs.String(), "bad or missing webhook secret")
		assert.NotContains(t, e.logs.String(), "global-secret")
	})
	t.Run("per-organisation secret", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{}, map[string]string{credly.SettingWebhookSecret: "org-secret-42"})
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		require.Equal(t, http.StatusUnauthorized, badSecret.status)
		assert.Equal(t, badSecret, do(e, "/hook", unknown()), "unknown org")
		assert.Equal(t, badSecret, do(e, "/hook?secret=org-secret-42", unknown()), "unknown org with another org's secret")
	})
	t.Run("inactive organisation", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, nil)
		_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
		badSecret := do(e, "/hook?secret=wrong", e.srv.Notification(testOrg, ev))
		acc, err := e.st.Config().GetAccount(context.Background(), "credly", testOrg)
		require.NoError(t, err)
		acc.Active = false
		require.NoError(t, e.st.Config().PutAccount(context.Background(), acc))
		assert.Equal(t, badSecret, do(e, "/hook?secret=global-secret", e.srv.Notification(testOrg, ev)))
	})
	t.Run("no secret configured", func(t *testing.T) {
		e := newHook(t, credly.WebhookConfig{}, nil)
		got := do(e, "/hook", unknown())
		assert.Equal(t, http.StatusUnauthorized, got.status)
		assert.Equal(t, "unauthorized\n", got.body)
	})
}

// Refusals are logged with the caller's request id; the answer stays generic.
func TestWebhookLogsRequestID(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{"id":"..","organization_id":"`+testOrg+`","event_type":"x"}`))
	req.Header.Set("X-Request-Id", "req-7f3a")
	e.h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "malformed notification\n", rec.Body.String())
	assert.Contains(t, e.logs.String(), "request_id=req-7f3a")
	assert.Contains(t, e.logs.String(), "id is not in Credly's id format")
}
