package credly_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/outbox"
)

// revokeRules: one Credly badge for passing Python, with a penalty.
const revokeRules = `{"templates": [
  {"uuid": "8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f", "name": "Python Pioneer", "provider": "credly",
   "account_id": %q, "external_id": %q, "state": "active",
   "requirements": [{"id": "pass-py", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+Py+1"},
               {"path": "is_passing", "operator": "eq", "value": "true"}]}],
   "penalties": [{"id": "fail-py", "resets": ["pass-py"],
     "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+Py+1"},
               {"path": "is_passing", "operator": "eq", "value": "false"}]}]}]}`

// keptEvents is an eventbus.Publisher that keeps what it publishes.
type keptEvents struct {
	mu   sync.Mutex
	sent []eventbus.Event
}

func (k *keptEvents) Publish(_ context.Context, _ string, e eventbus.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sent = append(k.sent, e)
	return nil
}
func (k *keptEvents) Close() error { return nil }
func (k *keptEvents) types() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, e := range k.sent {
		out = append(out, e.Type)
	}
	return out
}

// TestWebhookRevocationAtCredlyIsAPersons: a badge revoked at Credly (the
// fake's badge.state.changed event, fetched back by the webhook) is
// recorded as a person's revocation of its award through the pipeline:
// badge.revoked is published, Credly is not called again, the same
// webhook delivered twice (and a second event about the same badge)
// changes nothing, and fail → pass does not award the badge again. A
// revocation credshare itself sent to Credly stays the rules'.
func TestWebhookRevocationAtCredlyIsAPersons(t *testing.T) {
	ctx := context.Background()
	e := newHook(t, credly.WebhookConfig{}, nil)
	ts, err := rules.ParseFile(fmt.Appendf(nil, revokeRules, testOrg, e.tpl.ID))
	require.NoError(t, err)
	_, err = rules.PutTemplates(ctx, e.st.Config(), ts)
	require.NoError(t, err)
	rules, err := pipeline.LoadRules(ctx, e.st.Config())
	require.NoError(t, err)
	pub := &keptEvents{}
	p, err := pipeline.New(pipeline.Config{Store: e.st, Rules: rules, Providers: map[string]badge.Provider{credly.ProviderID: e.p},
		Publisher: pub, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	d, err := outbox.NewDispatcher(outbox.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler), MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	require.NoError(t, err)
	p.RegisterHandlers(d)
	h, err := credly.NewWebhookHandler(e.p, credly.WebhookConfig{Store: e.st, Revocations: p, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	post := func(body []byte) int {
		t.Helper()
		return hookEnv{h: h}.post(t, "", body).Code
	}
	handle := func(evs ...eventbus.Event) {
		t.Helper()
		for _, ev := range evs {
			require.NoError(t, p.Handle(ctx, ev))
			_, err := d.Drain(ctx)
			require.NoError(t, err)
		}
	}
	passing := func(id string, user int64, pass bool) eventbus.Event {
		ev := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: pass,
			User:   eventbus.UserData{ID: user, IsActive: true, PII: eventbus.UserPersonalData{Username: fmt.Sprintf("u%d", user), Email: fmt.Sprintf("u%d@example.org", user), Name: "Ada Lovelace"}},
			Course: eventbus.CourseData{CourseKey: "course-v1:X+Py+1"}})
		ev.ID, ev.Time = id, time.Now()
		return ev
	}
	ref := credential.Badge("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")

	handle(passing("p1", 11, true))
	a, err := e.st.Awards().Get(ctx, 11, ref)
	require.NoError(t, err)
	cr, ok := a.Provider(credly.ProviderID)
	require.True(t, ok, "the badge was issued at Credly")

	// An administrator revokes the badge at Credly.
	evID := e.srv.SetBadgeState(testOrg, cr.ExternalID, credly.StateRevoked)
	body := e.srv.Notification(testOrg, evID)
	require.Equal(t, http.StatusOK, post(body))
	got, err := e.st.Awards().GetByUUID(ctx, a.UUID)
	require.NoError(t, err)
	assert.Equal(t, credential.StatusRevoked, got.Status)
	assert.Equal(t, credential.RevokedByPerson, got.RevokedBy)
	assert.Equal(t, evID, got.Revoked.EventID)
	pr, _ := got.Provider(credly.ProviderID)
	assert.Equal(t, credly.StateRevoked, pr.State)

	before := e.srv.Faults.Requests()
	_, err = d.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, e.srv.Faults.Requests(), "Credly is not called to revoke a badge it revoked")
	assert.Equal(t, []string{eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked}, pub.types())

	// The same webhook again, and another event about the same badge.
	require.Equal(t, http.StatusOK, post(body))
	require.Equal(t, http.StatusOK, post(e.srv.Notification(testOrg, e.srv.SetBadgeState(testOrg, cr.ExternalID, credly.StateRevoked))))
	_, err = d.Drain(ctx)
	require.NoError(t, err)
	again, _ := e.st.Awards().GetByUUID(ctx, a.UUID)
	assert.Equal(t, got.Revoked, again.Revoked, "replayed webhooks change nothing")
	assert.Len(t, pub.types(), 2)

	// The rules never override it.
	handle(passing("f1", 11, false), passing("p2", 11, true))
	cur, err := e.st.Awards().Get(ctx, 11, ref)
	require.NoError(t, err)
	assert.Equal(t, a.UUID, cur.UUID)
	assert.Equal(t, credential.RevokedByPerson, cur.RevokedBy)
	assert.Len(t, pub.types(), 2)

	// A rules revocation: credshare revokes at Credly, whose webhook
	// reports it back; it stays a rules revocation, and pass awards again.
	handle(passing("q1", 12, true), passing("q2", 12, false))
	r, err := e.st.Awards().Get(ctx, 12, ref)
	require.NoError(t, err)
	rr, _ := r.Provider(credly.ProviderID)
	require.Equal(t, credly.StateRevoked, rr.State)
	var revokedEvent string
	for _, b := range e.srv.Badges(testOrg) {
		if b.ID == rr.ExternalID {
			revokedEvent = e.srv.SetBadgeState(testOrg, b.ID, credly.StateRevoked)
		}
	}
	require.Equal(t, http.StatusOK, post(e.srv.Notification(testOrg, revokedEvent)))
	r, _ = e.st.Awards().GetByUUID(ctx, r.UUID)
	assert.Equal(t, credential.RevokedByRules, r.RevokedBy)
	handle(passing("q3", 12, true))
	r2, err := e.st.Awards().Get(ctx, 12, ref)
	require.NoError(t, err)
	assert.Equal(t, 2, r2.Gen())
	assert.Equal(t, credential.StatusAwarded, r2.Status)

	n, err := e.st.Awards().List(ctx, store.AwardFilter{Kind: credential.KindBadge})
	require.NoError(t, err)
	assert.Len(t, n, 3)
}
