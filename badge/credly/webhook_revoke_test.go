package credly_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

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
	if err != nil {
		t.Fatalf("rules.ParseFile: %v", err)
	}
	_, err = rules.PutTemplates(ctx, e.st.Config(), ts)
	if err != nil {
		t.Fatalf("rules.PutTemplates: %v", err)
	}
	rules, err := pipeline.LoadRules(ctx, e.st.Config())
	if err != nil {
		t.Fatalf("pipeline.LoadRules: %v", err)
	}
	pub := &keptEvents{}
	p, err := pipeline.New(pipeline.Config{Store: e.st, Rules: rules, Providers: map[string]badge.Provider{credly.ProviderID: e.p},
		Publisher: pub, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("pipeline.New: %v", err)
	}
	d, err := outbox.NewDispatcher(outbox.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler), MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatalf("outbox.NewDispatcher: %v", err)
	}
	p.RegisterHandlers(d)
	h, err := credly.NewWebhookHandler(e.p, credly.WebhookConfig{Store: e.st, Revocations: p, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("NewWebhookHandler: %v", err)
	}
	post := func(body []byte) int {
		t.Helper()
		return hookEnv{h: h}.post(t, "", body).Code
	}
	handle := func(evs ...eventbus.Event) {
		t.Helper()
		for _, ev := range evs {
			if err := p.Handle(ctx, ev); err != nil {
				t.Fatalf("Handle %s: %v", ev.ID, err)
			}
			_, err := d.Drain(ctx)
			if err != nil {
				t.Fatalf("Drain: %v", err)
			}
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
	if err != nil {
		t.Fatalf("Awards().Get: %v", err)
	}
	cr, ok := a.Provider(credly.ProviderID)
	if !ok {
		t.Fatal("the badge was not issued at Credly")
	}

	// An administrator revokes the badge at Credly.
	evID := e.srv.SetBadgeState(testOrg, cr.ExternalID, credly.StateRevoked)
	body := e.srv.Notification(testOrg, evID)
	if code := post(body); code != http.StatusOK {
		t.Fatalf("revocation webhook: webhook answered %d, want 200", code)
	}
	got, err := e.st.Awards().GetByUUID(ctx, a.UUID)
	if err != nil {
		t.Fatalf("GetByUUID: %v", err)
	}
	if got, want := got.Status, credential.StatusRevoked; got != want {
		t.Errorf("award status: %v, want %v", got, want)
	}
	if got, want := got.RevokedBy, credential.RevokedByPerson; got != want {
		t.Errorf("revoked by: %v, want %v", got, want)
	}
	if got, want := got.Revoked.EventID, evID; got != want {
		t.Errorf("revocation event: %v, want %v", got, want)
	}
	pr, _ := got.Provider(credly.ProviderID)
	if got, want := pr.State, credly.StateRevoked; got != want {
		t.Errorf("provider state: %v, want %v", got, want)
	}

	before := e.srv.Faults.Requests()
	_, err = d.Drain(ctx)
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if n := e.srv.Faults.Requests(); n != before {
		t.Errorf("%d requests to Credly after the drain, want %d: Credly is not called to revoke a badge it revoked", n, before)
	}
	if got, want := pub.types(), []string{eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked}; !reflect.DeepEqual(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}

	// The same webhook again, and another event about the same badge.
	if code := post(body); code != http.StatusOK {
		t.Fatalf("redelivery: webhook answered %d, want 200", code)
	}
	if code := post(e.srv.Notification(testOrg, e.srv.SetBadgeState(testOrg, cr.ExternalID, credly.StateRevoked))); code != http.StatusOK {
		t.Fatalf("second event about the badge: webhook answered %d, want 200", code)
	}
	_, err = d.Drain(ctx)
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	again, _ := e.st.Awards().GetByUUID(ctx, a.UUID)
	if !reflect.DeepEqual(again.Revoked, got.Revoked) {
		t.Errorf("revocation %+v after replays, want %+v: replayed webhooks change nothing", again.Revoked, got.Revoked)
	}
	if n := len(pub.types()); n != 2 {
		t.Errorf("events published after replays: %d, want 2", n)
	}

	// The rules never override it.
	handle(passing("f1", 11, false), passing("p2", 11, true))
	cur, err := e.st.Awards().Get(ctx, 11, ref)
	if err != nil {
		t.Fatalf("Awards().Get: %v", err)
	}
	if got, want := cur.UUID, a.UUID; got != want {
		t.Errorf("award after fail and pass: %v, want %v", got, want)
	}
	if got, want := cur.RevokedBy, credential.RevokedByPerson; got != want {
		t.Errorf("revoked by after fail and pass: %v, want %v", got, want)
	}
	if n := len(pub.types()); n != 2 {
		t.Errorf("events published after fail and pass: %d, want 2", n)
	}

	// A rules revocation: credshare revokes at Credly, whose webhook
	// reports it back; it stays a rules revocation, and pass awards again.
	handle(passing("q1", 12, true), passing("q2", 12, false))
	r, err := e.st.Awards().Get(ctx, 12, ref)
	if err != nil {
		t.Fatalf("Awards().Get: %v", err)
	}
	rr, _ := r.Provider(credly.ProviderID)
	if rr.State != credly.StateRevoked {
		t.Fatalf("provider state %q after the rules revoked, want %q", rr.State, credly.StateRevoked)
	}
	var revokedEvent string
	for _, b := range e.srv.Badges(testOrg) {
		if b.ID == rr.ExternalID {
			revokedEvent = e.srv.SetBadgeState(testOrg, b.ID, credly.StateRevoked)
		}
	}
	if code := post(e.srv.Notification(testOrg, revokedEvent)); code != http.StatusOK {
		t.Fatalf("Credly reporting the rules revocation: webhook answered %d, want 200", code)
	}
	r, _ = e.st.Awards().GetByUUID(ctx, r.UUID)
	if got, want := r.RevokedBy, credential.RevokedByRules; got != want {
		t.Errorf("revoked by after Credly's report: %v, want %v", got, want)
	}
	handle(passing("q3", 12, true))
	r2, err := e.st.Awards().Get(ctx, 12, ref)
	if err != nil {
		t.Fatalf("Awards().Get: %v", err)
	}
	if got, want := r2.Gen(), 2; got != want {
		t.Errorf("generation after pass again: %v, want %v", got, want)
	}
	if got, want := r2.Status, credential.StatusAwarded; got != want {
		t.Errorf("status after pass again: %v, want %v", got, want)
	}

	n, err := e.st.Awards().List(ctx, store.AwardFilter{Kind: credential.KindBadge})
	if err != nil {
		t.Fatalf("Awards().List: %v", err)
	}
	if n := len(n); n != 3 {
		t.Errorf("badge awards: %d, want 3", n)
	}
}
