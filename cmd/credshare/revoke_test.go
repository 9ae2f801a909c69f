package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/outbox"
	"github.com/credshare/credshare/store/sqlitestore"
)

const (
	personOrg   = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	personTpl   = "8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f"
	personRules = `{"templates": [
  {"uuid": %q, "name": "Python Pioneer", "provider": "credly", "account_id": %q, "external_id": %q, "state": "active",
   "requirements": [{"id": "pass-py", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+Py+1"},
               {"path": "is_passing", "operator": "eq", "value": "true"}]}],
   "penalties": [{"id": "fail-py", "resets": ["pass-py"],
     "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+Py+1"},
               {"path": "is_passing", "operator": "eq", "value": "false"}]}]}]}`
)

// keptEvents is an eventbus.Publisher keeping what it publishes.
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

// deployment is the running side: a pipeline with the Credly provider
// (against a Credly-like fake) and a publisher, and its dispatcher.
type deployment struct {
	st   store.Store
	api  *credlyfake.Server
	pub  *keptEvents
	pipe *pipeline.Pipeline
	disp *outbox.Dispatcher
}

func newDeployment(t *testing.T, path string) *deployment {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api := credlyfake.New(t)
	api.AddOrg(personOrg, "token-1")
	tpl := api.AddTemplate(personOrg, credlyfake.Template{Name: "Python Pioneer"})
	if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: personOrg, Provider: credly.ProviderID, Secret: "token-1", Active: true}); err != nil {
		t.Fatal(err)
	}
	ts, err := rules.ParseFile(fmt.Appendf(nil, personRules, personTpl, personOrg, tpl.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.PutTemplates(ctx, st.Config(), ts); err != nil {
		t.Fatal(err)
	}
	rules, err := pipeline.LoadRules(ctx, st.Config())
	if err != nil {
		t.Fatal(err)
	}
	prov, err := credly.NewProvider(st.Config(), httpapi.WithBaseURL(api.URL()))
	if err != nil {
		t.Fatal(err)
	}
	pub := &keptEvents{}
	log := slog.New(slog.DiscardHandler)
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: rules, Providers: map[string]badge.Provider{credly.ProviderID: prov}, Publisher: pub, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	d, err := outbox.NewDispatcher(outbox.Config{Store: st, Logger: log, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p.RegisterHandlers(d)
	return &deployment{st: st, api: api, pub: pub, pipe: p, disp: d}
}

func (d *deployment) drain(t *testing.T) {
	t.Helper()
	if _, err := d.disp.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (d *deployment) passing(t *testing.T, id string, pass bool) {
	t.Helper()
	e := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: pass,
		User:   eventbus.UserData{ID: 42, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org", Name: "Ada Lovelace"}},
		Course: eventbus.CourseData{CourseKey: "course-v1:X+Py+1"}})
	e.ID, e.Time = id, time.Now()
	if err := d.pipe.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	d.drain(t)
}

func (d *deployment) current(t *testing.T) credential.Award {
	t.Helper()
	a, err := d.st.Awards().Get(context.Background(), 42, credential.Badge(personTpl))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (d *deployment) credlyStates() []string {
	var out []string
	for _, b := range d.api.Badges(personOrg) {
		out = append(out, b.State)
	}
	return out
}

// TestRevokeAndReinstateQueueForTheDeployment: the CLI, which has no
// provider or publisher, records a person's revocation (with its reason)
// and queues the Credly revoke call and badge.revoked; the deployment's
// dispatcher performs them afterwards. The rules do not override it;
// reinstate issues a new generation whose Credly badge and badge.awarded
// the dispatcher sends.
func TestRevokeAndReinstateQueueForTheDeployment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "person.db")
	dep := newDeployment(t, path)
	db := "sqlite:" + path
	dep.passing(t, "p1", true)
	first := dep.current(t)

	if _, err := run(t, "--db", db, "revoke", first.UUID.String()); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("revoke without --reason: %v", err)
	}
	out, err := run(t, "--db", db, "revoke", first.UUID.String(), "--reason", "issued in error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"revoked " + first.UUID.String(), "issued in error", pipeline.KindBadgeRevoke, "credly", pipeline.KindEventPublish, eventbus.TopicBadgesLifecycle} {
		if !strings.Contains(out, want) {
			t.Errorf("revoke output lacks %q:\n%s", want, out)
		}
	}
	got := dep.current(t)
	if got.Status != credential.StatusRevoked || got.RevokedBy != credential.RevokedByPerson || got.Revoked.Reason != "issued in error" {
		t.Fatalf("after revoke: %+v", got)
	}
	if s := dep.credlyStates(); !slices.Equal(s, []string{"pending"}) {
		t.Fatalf("Credly badges before the dispatcher ran: %v (the CLI must not call Credly)", s)
	}
	dep.drain(t)
	if s := dep.credlyStates(); !slices.Equal(s, []string{credly.StateRevoked}) {
		t.Errorf("Credly badges after the dispatcher ran: %v, want the badge revoked", s)
	}
	if ty := dep.pub.types(); !slices.Equal(ty, []string{eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked}) {
		t.Errorf("published %v", ty)
	}

	// Again: nothing changes, nothing is queued.
	out, err = run(t, "--db", db, "--json", "revoke", first.UUID.String(), "--reason", "twice")
	if err != nil {
		t.Fatal(err)
	}
	var po personOutput
	if err := json.Unmarshal([]byte(out), &po); err != nil || po.Changed || len(po.Queued) != 0 || po.Award.Revoked.Reason != "issued in error" {
		t.Errorf("second revoke: %+v, %v\n%s", po, err, out)
	}

	// The rules never override a person's revocation.
	dep.passing(t, "f1", false)
	dep.passing(t, "p2", true)
	if cur := dep.current(t); cur.UUID != first.UUID || cur.RevokedBy != credential.RevokedByPerson {
		t.Fatalf("after fail → pass: %+v", cur)
	}
	if n := len(dep.pub.types()); n != 2 {
		t.Errorf("fail → pass published %d more events", n-2)
	}

	// Reinstate: a new generation, issued at Credly by the dispatcher.
	out, err = run(t, "--db", db, "--json", "reinstate", first.UUID.String(), "--reason", "appeal upheld")
	if err != nil {
		t.Fatal(err)
	}
	po = personOutput{}
	if err := json.Unmarshal([]byte(out), &po); err != nil {
		t.Fatal(err)
	}
	if po.Award.Gen() != 2 || po.Award.UUID == first.UUID || po.Replaces != first.UUID.String() || po.Award.Awarded.Reason != "appeal upheld" || len(po.Queued) != 2 {
		t.Errorf("reinstate printed %+v", po)
	}
	if cur := dep.current(t); cur.UUID != po.Award.UUID || cur.Status != credential.StatusAwarded {
		t.Fatalf("after reinstate: %+v", cur)
	}
	// The dispatcher asks Credly for the new badge. The fake, like Credly
	// for a template that does not allow duplicates, refuses it while the
	// revoked one exists: the refusal lands in the dead letters, where an
	// operator sees it.
	calls := dep.api.Faults.Requests()
	dep.drain(t)
	if dep.api.Faults.Requests() == calls {
		t.Error("the dispatcher did not call Credly for the reinstated credential")
	}
	dead, err := dep.st.Outbox().ListDead(context.Background(), 0, 10)
	if err != nil || len(dead) != 1 || dead[0].Kind != pipeline.KindBadgeIssue || !strings.Contains(dead[0].IdempotencyKey, po.Award.UUID.String()) {
		t.Errorf("dead letters after reinstate: %+v, %v", dead, err)
	}
	if ty := dep.pub.types(); !slices.Equal(ty, []string{eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked, eventbus.TypeBadgeAwarded}) {
		t.Errorf("published %v", ty)
	}
	if _, err := run(t, "--db", db, "reinstate", first.UUID.String(), "--reason", "again"); err == nil {
		t.Error("reinstating a replaced credential succeeded")
	}
	out, err = run(t, "--db", db, "awards", "--learner", "42")
	if err != nil || !strings.Contains(out, "revoked (by person)") || !strings.Contains(out, "appeal upheld") {
		t.Errorf("awards: %v\n%s", err, out)
	}
}

// TestRevokeProvidersFlag: --providers replaces the store's accounts;
// naming none queues only the published event.
func TestRevokeProvidersFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.db")
	dep := newDeployment(t, path)
	dep.passing(t, "p1", true)
	a := dep.current(t)
	out, err := run(t, "--db", "sqlite:"+path, "--json", "revoke", a.UUID.String(), "--reason", "x", "--providers", "", "--publish=false")
	if err != nil {
		t.Fatal(err)
	}
	var po personOutput
	if err := json.Unmarshal([]byte(out), &po); err != nil || len(po.Queued) != 0 || !po.Changed {
		t.Errorf("revoke --providers '' --publish=false: %+v, %v", po, err)
	}
	if _, err := run(t, "--db", "sqlite:"+path, "revoke", "not-a-uuid", "--reason", "x"); err == nil {
		t.Error("a malformed UUID was accepted")
	}
	if _, err := run(t, "--db", "sqlite:"+path, "revoke", "5b0c2f7e-4d1a-4f39-9d7e-2a6c1e8b9f01", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "no award") {
		t.Errorf("unknown award: %v", err)
	}
}
