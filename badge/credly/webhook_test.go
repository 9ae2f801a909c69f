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

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, st.Config().PutAccount(context.Background(), store.ProviderAccount{
		ID: testOrg, Provider: "credly", Secret: testToken, Active: true, Settings: settings}))
	p, err := credly.NewProvider(st.Config(), append(fast(), credly.WithBaseURL(srv.URL()))...)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	cfg.Store = st
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h, err := credly.NewWebhookHandler(p, cfg)
	require.NoError(t, err)
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

func TestWebhookTemplateEvents(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	ctx := context.Background()

	tpl, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "Data Science", Description: "d", ImageURL: "https://i/ds.png"})
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
	got, err := e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	require.NoError(t, err)
	assert.Equal(t, "Data Science", got.Name)
	assert.Equal(t, store.TemplateActive, got.State)
	assert.Equal(t, badge.TemplateUUID("credly", testOrg, tpl.ID), got.UUID)

	// Rules added locally survive changes and deletion at Credly.
	got.Rules = []byte(`{"requirements":[{"id":"r1"}]}`)
	_, err = e.st.Config().PutTemplate(ctx, got)
	require.NoError(t, err)

	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, func(t *credlyfake.Template) { t.Name = "Data Science II"; t.State = "archived" }, false)
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
	got, _ = e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	assert.Equal(t, "Data Science II", got.Name)
	assert.Equal(t, store.TemplateArchived, got.State)

	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, func(t *credlyfake.Template) { t.State = "active" }, false)
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
	ev = e.srv.UpdateTemplate(testOrg, tpl.ID, nil, true)
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
	got, _ = e.st.Config().FindTemplate(ctx, "credly", testOrg, tpl.ID)
	assert.Equal(t, store.TemplateArchived, got.State, "deleted at Credly: archived, not deleted")
	assert.JSONEq(t, `{"requirements":[{"id":"r1"}]}`, string(got.Rules))
}

func TestWebhookBadgeStateAndIdempotency(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{}, nil)
	ctx := context.Background()
	ref := badge.TemplateRef{AccountID: testOrg, ExternalID: e.tpl.ID}
	req := issueFor(ref)
	res, err := e.p.Issue(ctx, req)
	require.NoError(t, err)

	aw, err := credential.NewAward(req.Recipient.UserID, credential.AchievementRef{Kind: credential.KindBadge, ID: uuid.NewString()},
		credential.Cause{EventID: "e1", EventTime: time.Now()})
	require.NoError(t, err)
	aw.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: res.ExternalID, State: res.State})
	_, _, err = e.st.Awards().Put(ctx, aw)
	require.NoError(t, err)

	ev := e.srv.SetBadgeState(testOrg, res.ExternalID, "accepted")
	body := e.srv.Notification(testOrg, ev)
	require.Equal(t, http.StatusOK, e.post(t, "", body).Code)
	got, err := e.st.Awards().FindByProviderRef(ctx, "credly", res.ExternalID)
	require.NoError(t, err)
	pr, _ := got.Provider("credly")
	assert.Equal(t, "accepted", pr.State)

	done, err := e.st.Events().IsProcessed(ctx, credly.WebhookGroup, ev)
	require.NoError(t, err)
	assert.True(t, done)

	// Redelivery: 200 at once, no API call, nothing changes.
	before := e.srv.Faults.Requests()
	require.Equal(t, http.StatusOK, e.post(t, "", body).Code)
	assert.Equal(t, before, e.srv.Faults.Requests(), "a processed event is not fetched again")

	// A badge credshare did not issue is ignored.
	other, err := e.p.Issue(ctx, issueFor(ref))
	require.NoError(t, err)
	ev = e.srv.SetBadgeState(testOrg, other.ExternalID, "rejected")
	require.Equal(t, http.StatusOK, e.post(t, "", e.srv.Notification(testOrg, ev)).Code)
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
		rec := e.post(t, "", []byte(tc.body))
		assert.Equal(t, tc.status, rec.Code, tc.name)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hook", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	rec = e.post(t, "", bytes.Repeat([]byte("x"), credly.MaxWebhookBody+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.NotContains(t, e.logs.String(), testToken)
}

func TestWebhookSecretAndExpiredToken(t *testing.T) {
	e := newHook(t, credly.WebhookConfig{Secret: "global-secret"}, map[string]string{credly.SettingWebhookSecret: "org-secret-42"})
	_, ev := e.srv.TemplateCreated(testOrg, credlyfake.Template{Name: "X"})
	body := e.srv.Notification(testOrg, ev)
	assert.Equal(t, http.StatusUnauthorized, e.post(t, "", body).Code)
	assert.Equal(t, http.StatusUnauthorized, e.post(t, "/hook?secret=global-secret", body).Code, "the organisation's own secret wins")

	e.srv.ExpireToken(testOrg)
	rec := e.post(t, "/hook?secret=org-secret-42", body)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "an expired token is our problem: Credly should retry later")
	assert.Contains(t, e.logs.String(), "expired")
	assert.NotContains(t, e.logs.String(), testToken)
	assert.NotContains(t, e.logs.String(), "org-secret-42")

	// Nothing was recorded, so the retry after the token is fixed works.
	done, err := e.st.Events().IsProcessed(context.Background(), credly.WebhookGroup, ev)
	require.NoError(t, err)
	assert.False(t, done)
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
	p, err := credly.NewProvider(st.Config(), append(fast(), credly.WithBaseURL(srv.URL()))...)
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
