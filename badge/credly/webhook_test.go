package credly_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

type hookEnv struct {
	srv  *credlyfake.Server
	p    *credly.Provider
	st   *memstore.Store
	h    http.Handler
	tpl  credlyfake.Template
	logs *bytes.Buffer
}

func newHook(t *testing.T, cfg credly.WebhookConfig, settings map[string]string) hookEnv {
	t.Helper()
	srv, _, tpl := newFake(t)
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Config().PutAccount(context.Background(), store.ProviderAccount{
		ID: testOrg, Provider: "credly", Secret: testToken, Active: true, Settings: settings}); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
	p, err := credly.NewProvider(st.Config(), append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	logs := &bytes.Buffer{}
	cfg.Store = st
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h, err := credly.NewWebhookHandler(p, cfg)
	if err != nil {
		t.Fatalf("NewWebhookHandler: %v", err)
	}
	return hookEnv{srv: srv, p: p, st: st, h: h, tpl: tpl, logs: logs}
}

func (e hookEnv) post(t *testing.T, target string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	if target == "" {
		target = "/badges/credly/webhook/"
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body)))
	return rec
}

// postOK posts body and fails the test unless the answer is 200.
func (e hookEnv) postOK(t *testing.T, body []byte) {
	t.Helper()
	if rec := e.post(t, "", body); rec.Code != http.StatusOK {
		t.Fatalf("webhook answered %d (%q), want 200", rec.Code, rec.Body.String())
	}
}

func TestWebhookTemplateEvents(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	ctx := context.Background()

	tpl, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "Data Science", Description: "d", ImageURL: "https://i/ds.png"})
	e.postOK(t, e.srv.Notification(testOrg, ev))
	got, err := e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	if err != nil {
		t.Fatalf("FindTemplate: %v", err)
	}
	if got.Name != "Data Science" {
		t.Errorf("name %q, want %q", got.Name, "Data Science")
	}
	if got.State != store.TemplateActive {
		t.Errorf("state %q, want %q", got.State, store.TemplateActive)
	}
	if want := badge.TemplateUUID("credly", testOrg, tpl.ID); got.UUID != want {
		t.Errorf("UUID %v, want %v", got.UUID, want)
	}

	// Rules added locally survive changes and deletion at Credly.
	got.Rules = []byte(`{"requirements":[{"id":"r1"}]}`)
	if _, err = e.st.Config().PutTemplate(ctx, got); err != nil {
		t.Fatalf("PutTemplate: %v", err)
	}

	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, func(t *credlyfake.Template) { t.Name = "Data Science II"; t.State = "archived" }, false)
	e.postOK(t, e.srv.Notification(testOrg, ev))
	got, _ = e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	if got.Name != "Data Science II" {
		t.Errorf("name %q, want %q", got.Name, "Data Science II")
	}
	if got.State != store.TemplateArchived {
		t.Errorf("state %q, want %q", got.State, store.TemplateArchived)
	}

	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, func(t *credlyfake.Template) { t.State = "active" }, false)
	e.postOK(t, e.srv.Notification(testOrg, ev))
	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, nil, true)
	e.postOK(t, e.srv.Notification(testOrg, ev))
	got, _ = e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	if got.State != store.TemplateArchived {
		t.Errorf("state %q, want %q: deleted at Credly means archived, not deleted", got.State, store.TemplateArchived)
	}
	checkJSON(t, "rules", string(got.Rules), `{"requirements":[{"id":"r1"}]}`)
}

func TestWebhookBadgeStateAndIdempotency(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	ctx := context.Background()
	ref := badge.TemplateRef{AccountID: testOrg, ExternalID: e.tpl.ID}
	req := issueFor(ref)
	res, err := e.p.Issue(ctx, req)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}

	aw, err := credential.NewAward(req.Recipient.UserID, credential.AchievementRef{Kind: credential.KindBadge, ID: uuid.NewString()},
		credential.Cause{EventID: "e1", EventTime: time.Now()})
	if err != nil {
		t.Fatalf("NewAward: %v", err)
	}
	aw.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: res.ExternalID, State: res.State})
	if _, _, err = e.st.Awards().Put(ctx, aw); err != nil {
		t.Fatalf("Put award: %v", err)
	}

	ev := e.srv.SetBadgeState(testOrg, res.ExternalID, "accepted")
	body := e.srv.Notification(testOrg, ev)
	e.postOK(t, body)
	got, err := e.st.Awards().FindByProviderRef(ctx, "credly", res.ExternalID)
	if err != nil {
		t.Fatalf("FindByProviderRef: %v", err)
	}
	if pr, _ := got.Provider("credly"); pr.State != "accepted" {
		t.Errorf("provider state %q, want accepted", pr.State)
	}

	done, err := e.st.Events().IsProcessed(ctx, credly.WebhookGroup, ev)
	if err != nil {
		t.Fatalf("IsProcessed: %v", err)
	}
	if !done {
		t.Error("the event is not marked processed")
	}

	// Redelivery: 200 at once, no API call, nothing changes.
	before := e.srv.Faults.Requests()
	e.postOK(t, body)
	if n := e.srv.Faults.Requests(); n != before {
		t.Errorf("%d requests to Credly, want %d: a processed event is not fetched again", n, before)
	}

	// A badge credshare did not issue is ignored.
	other, err := e.p.Issue(ctx, issueFor(ref))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	ev = e.srv.SetBadgeState(testOrg, other.ExternalID, "rejected")
	e.postOK(t, e.srv.Notification(testOrg, ev))
}

func issueFor(ref badge.TemplateRef) badge.IssueRequest {
	id := uuid.New()
	return badge.IssueRequest{IdempotencyKey: id.String(), AwardUUID: id, Template: ref,
		Recipient: credential.Learner{UserID: int64(id.ID()%1_000_000) + 1, Username: "u" + id.String()[:8], Email: id.String()[:8] + "@example.org"},
		IssuedAt:  time.Now()}
}

func TestWebhookRefusals(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"not json", `{"id":`, http.StatusBadRequest},
		{"array", `[1,2]`, http.StatusBadRequest},
		{"missing org", `{"id":"` + ev + `","event_type":"badge_template.created"}`, http.StatusBadRequest},
		{"wrong types", `{"id":5,"organization_id":true,"event_type":"x"}`, http.StatusBadRequest},
		{"malformed org", `{"id":"` + ev + `","organization_id":"not-ours","event_type":"badge_template.created"}`, http.StatusBadRequest},
		{"unknown org", `{"id":"` + ev + `","organization_id":"` + otherOrg + `","event_type":"badge_template.created"}`, http.StatusUnauthorized},
		{"malformed event id", `{"id":"forged-1","organization_id":"` + testOrg + `","event_type":"badge_template.created"}`, http.StatusBadRequest},
		{"forged event", `{"id":"` + uuid.NewString() + `","organization_id":"` + testOrg + `","event_type":"badge_template.created"}`, http.StatusBadRequest},
		{"type mismatch", `{"id":"` + ev + `","organization_id":"` + testOrg + `","event_type":"badge.state.changed"}`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		if rec := e.post(t, "", []byte(tc.body)); rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hook", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want %d", rec.Code, http.StatusMethodNotAllowed)
	}
	rec = e.post(t, "", bytes.Repeat([]byte("x"), credly.MaxWebhookBody+1))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want %d", rec.Code, http.StatusRequestEntityTooLarge)
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Errorf("token in the log: %s", e.logs)
	}
}

func TestWebhookSecretAndExpiredToken(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, map[string]string{credly.SettingWebhookSecret: "org-secret-42"})
	_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
	body := e.srv.Notification(testOrg, ev)
	if code := e.post(t, "", body).Code; code != http.StatusUnauthorized {
		t.Errorf("no secret: status %d, want 401", code)
	}
	if code := e.post(t, "/hook?secret=global-secret", body).Code; code != http.StatusUnauthorized {
		t.Errorf("global secret: status %d, want 401: the organisation's own secret wins", code)
	}

	e.srv.ExpireToken(testOrg)
	rec := e.post(t, "/hook?secret=org-secret-42", body)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("expired token: status %d, want 503: an expired token is our problem, Credly should retry later", rec.Code)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "expired") {
		t.Errorf("the log does not say the token expired: %s", logs)
	}
	if strings.Contains(logs, testToken) {
		t.Errorf("token in the log: %s", logs)
	}
	if strings.Contains(logs, "org-secret-42") {
		t.Errorf("webhook secret in the log: %s", logs)
	}

	// Nothing was recorded, so the retry after the token is fixed works.
	done, err := e.st.Events().IsProcessed(context.Background(), credly.WebhookGroup, ev)
	if err != nil {
		t.Fatalf("IsProcessed: %v", err)
	}
	if done {
		t.Error("the event is marked processed")
	}
}

// FuzzParseNotification checks the webhook body parser never panics,
// accepts only complete notifications whose ids are Credly ids, and that
// every refusal matches ErrBadNotification.
func FuzzParseNotification(f *testing.F) {
	for _, s := range []string{
		`{"id":"` + testOrg + `","organization_id":"` + otherOrg + `","event_type":"badge.created","occurred_at":"2026-01-01T00:00:00Z"}`,
		`{"id":"e1","organization_id":"o1","event_type":"badge.created","occurred_at":"2026-01-01T00:00:00Z"}`,
		`{"id":"..","organization_id":"` + testOrg + `","event_type":"badge.created"}`,
		`{"id":"%2e%2e","organization_id":"` + testOrg + `","event_type":"badge.created"}`,
		`{"id":"` + testOrg + `","organization_id":"a/b","event_type":"badge.created"}`,
		`{"id":"","organization_id":"o1","event_type":"x"}`,
		`{"id":"` + testOrg + `","organization_id":"` + testOrg + `","event_type":"badge_template.changed","occurred_at":12}`,
		`{"id":"` + testOrg + `","organization_id":"` + testOrg + `","event_type":"a b"}`,
		`{"id":1}`, `null`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := credly.ParseNotification(b)
		if err != nil {
			if !errors.Is(err, credly.ErrBadNotification) {
				t.Fatalf("error does not match ErrBadNotification: %v", err)
			}
			return
		}
		if !credly.ValidID(n.ID) || !credly.ValidID(n.OrganizationID) || n.EventType == "" || len(n.EventType) > 200 {
			t.Fatalf("accepted notification %+v", n)
		}
	})
}

// FuzzWebhookHandler checks that no body makes the handler answer 500.
func FuzzWebhookHandler(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","organization_id":"` + testOrg + `","event_type":"badge.created"}`,
		`{"id":"e1","organization_id":"other","event_type":"badge.created"}`,
		`{"id":"../../x","organization_id":"` + testOrg + `","event_type":"badge_template.deleted"}`,
		`{"id":"` + testOrg + `","organization_id":"` + testOrg + `","event_type":"badge.created"}`,
		`{"id":"` + otherOrg + `","organization_id":"` + otherOrg + `","event_type":"badge.created"}`,
		`{}`, `{"id":null}`, `garbage`,
	} {
		f.Add([]byte(s))
	}
	srv := credlyfake.New(f)
	srv.AddOrg(testOrg, testToken)
	st := memstore.New()
	_ = st.Config().PutAccount(context.Background(), store.ProviderAccount{ID: testOrg, Provider: "credly", Secret: testToken, Active: true})
	p, err := credly.NewProvider(st.Config(), append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		f.Fatal(err)
	}
	h, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(b)))
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q", rec.Code, b)
		}
		if rec.Code == http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), "Credly") {
			t.Fatalf("503 without an upstream reason for %q: %s", b, rec.Body.String())
		}
	})
}
