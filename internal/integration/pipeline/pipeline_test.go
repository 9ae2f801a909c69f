package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/outbox"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func user(id int64, email string) eventbus.UserData {
	return eventbus.UserData{ID: id, IsActive: true, PII: eventbus.UserPersonalData{Username: fmt.Sprintf("u%d", id), Email: email, Name: "Ada Lovelace"}}
}

func certEvent(typ string, id string, u eventbus.UserData, course string, at time.Time) eventbus.Event {
	e := eventbus.CertificateEvent(typ, eventbus.CertificateData{User: u, Course: eventbus.CourseData{CourseKey: course, DisplayName: "Demo"},
		Mode: "verified", Grade: "0.91", CurrentStatus: "downloadable"})
	e.ID = id
	e.Time = at
	return e
}

// recordingPublisher is a real eventbus.Publisher that keeps what it sent.
type recordingPublisher struct {
	mu   sync.Mutex
	sent []eventbus.Event
	fail atomic.Int32
}

func (r *recordingPublisher) Publish(_ context.Context, topic string, e eventbus.Event) error {
	if r.fail.Load() > 0 {
		r.fail.Add(-1)
		return errors.New("broker unavailable")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, e)
	return nil
}
func (r *recordingPublisher) Close() error { return nil }

func newPipeline(t *testing.T, st store.Store, cfg pipeline.Config) (*pipeline.Pipeline, *outbox.Dispatcher) {
	t.Helper()
	cfg.Store = st
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := outbox.NewDispatcher(outbox.Config{Store: st, Logger: cfg.Logger, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	p.RegisterHandlers(d)
	return p, d
}

func TestCertificateCreatedThenRevoked(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	p, _ := newPipeline(t, st, pipeline.Config{})
	u := user(7, "ada@example.org")
	course := "course-v1:edX+DemoX+Demo_Course"
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateCreated, "e1", u, course, t0)); err != nil {
		t.Fatal(err)
	}
	a, err := st.Awards().Get(ctx, 7, credential.CourseCertificate(course))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != credential.StatusAwarded || a.Awarded.EventID != "e1" || !a.Awarded.EventTime.Equal(t0) || a.AwardedAt.Equal(t0) || a.Evidence["grade"] != "0.91" || a.Evidence["mode"] != "verified" {
		t.Fatalf("award after created: %+v", a)
	}
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateRevoked, "e2", u, course, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	a, _ = st.Awards().Get(ctx, 7, credential.CourseCertificate(course))
	if a.Status != credential.StatusRevoked || a.Revoked.EventID != "e2" {
		t.Fatalf("award after revoked: %+v", a)
	}
}

func TestRevocationOfUnknownCertificateCreatesNothing(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	p, _ := newPipeline(t, st, pipeline.Config{})
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateRevoked, "e1", user(3, "x@example.org"), "course-v1:a+b+c", t0)); err != nil {
		t.Fatal(err)
	}
	if as, _ := st.Awards().List(ctx, store.AwardFilter{}); len(as) != 0 {
		t.Fatalf("revocation created awards: %+v", as)
	}
}

func TestLearnerPIIRefreshedFromEveryEvent(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	p, _ := newPipeline(t, st, pipeline.Config{})
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateCreated, "e1", user(9, "old@example.org"), "course-v1:a+b+c", t0)); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateChanged, "e2", user(9, "new@example.org"), "course-v1:a+b+c", t0)); err != nil {
		t.Fatal(err)
	}
	l, err := st.Learners().Get(ctx, 9)
	if err != nil || l.Email != "new@example.org" {
		t.Fatalf("learner = %+v, %v", l, err)
	}
}

func TestEventWithoutIDIsPermanent(t *testing.T) {
	p, _ := newPipeline(t, memstore.New(), pipeline.Config{})
	err := p.Handle(context.Background(), certEvent(eventbus.TypeCertificateCreated, "", user(1, "a@example.org"), "course-v1:a+b+c", t0))
	if !retry.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestProgramCertificatePublishedOnceWhenEnabled(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Publisher: pub, PublishProgramEvents: true})
	ev := eventbus.ProgramCertificateEvent(eventbus.TypeProgramCertificateAwarded, eventbus.ProgramCertificateData{
		User: user(4, "p@example.org"), Program: eventbus.ProgramData{UUID: uuid.NewString(), Title: "Data Science", ProgramType: "MicroMasters"},
		UUID: uuid.NewString(), Status: "awarded"})
	ev.ID, ev.Time = "pe1", t0
	pub.fail.Store(2) // the broker fails twice: the dispatcher retries
	for range 3 {     // redelivered three times
		if err := p.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(pub.sent) != 1 || pub.sent[0].Type != eventbus.TypeProgramCertificateAwarded {
		t.Fatalf("published %d events: %+v", len(pub.sent), pub.sent)
	}
	if _, err := uuid.Parse(pub.sent[0].ID); err != nil {
		t.Fatalf("published event id %q is not a UUID", pub.sent[0].ID)
	}
}

// fakeProvider is a badge.Provider kept in memory (a plugin's view, not a
// store double): it counts calls and can fail.
type fakeProvider struct {
	mu     sync.Mutex
	issued map[string]string // idempotency key -> id
	calls  int
	fail   int
}

func (f *fakeProvider) ID() string { return "fake" }
func (f *fakeProvider) Issue(_ context.Context, r badge.IssueRequest) (badge.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail > 0 {
		f.fail--
		return badge.Result{}, &badge.Error{Provider: "fake", Op: "issue", StatusCode: 503, Temporary: true, Message: "unavailable"}
	}
	if f.issued == nil {
		f.issued = map[string]string{}
	}
	id, ok := f.issued[r.IdempotencyKey]
	if !ok {
		id = fmt.Sprintf("b%d", len(f.issued)+1)
		f.issued[r.IdempotencyKey] = id
	}
	return badge.Result{ExternalID: id, State: "pending"}, nil
}
func (f *fakeProvider) Revoke(_ context.Context, r badge.RevokeRequest) (badge.Result, error) {
	return badge.Result{ExternalID: r.ExternalID, State: "revoked"}, nil
}

func TestDispatcherRetriesThenRecordsProviderRef(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	prov := &fakeProvider{fail: 2}
	p, d := newPipeline(t, st, pipeline.Config{Providers: map[string]badge.Provider{"fake": prov}})
	_ = p
	a, _ := credential.NewAward(5, credential.Badge(uuid.NewString()), credential.Cause{EventID: "x", EventTime: t0})
	if _, _, err := st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(badge.IssueRequest{IdempotencyKey: "k1", AwardUUID: a.UUID, Recipient: credential.Learner{UserID: 5, Email: "e@example.org"}})
	if _, _, err := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: pipeline.KindBadgeIssue, Target: "fake", IdempotencyKey: "k1", Payload: body}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Millisecond)
	}
	got, _ := st.Awards().GetByUUID(ctx, a.UUID)
	if ref, ok := got.Provider("fake"); !ok || ref.ExternalID != "b1" || ref.State != "pending" {
		t.Fatalf("provider ref = %+v (calls %d)", got.Providers, prov.calls)
	}
	if prov.calls != 3 {
		t.Fatalf("calls = %d, want 3 (two 503s then success)", prov.calls)
	}
}

func TestDispatcherKillsAfterMaxAttemptsAndRequeue(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	prov := &fakeProvider{fail: 100}
	_, d := newPipeline(t, st, pipeline.Config{Providers: map[string]badge.Provider{"fake": prov}})
	body, _ := json.Marshal(badge.IssueRequest{IdempotencyKey: "k", AwardUUID: uuid.New()})
	id, _, _ := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: pipeline.KindBadgeIssue, Target: "fake", IdempotencyKey: "k", Payload: body})
	for range 10 {
		_, _ = d.Drain(ctx)
		time.Sleep(3 * time.Millisecond)
	}
	it, _ := st.Outbox().Get(ctx, id)
	if it.Status != store.OutboxDead || it.Attempts != 3 || it.LastError == "" {
		t.Fatalf("item = %+v", it)
	}
	dead, _ := st.Outbox().ListDead(ctx, 0, 0)
	if len(dead) != 1 {
		t.Fatalf("dead = %d", len(dead))
	}
}

func TestDispatcherPermanentErrorDiesAtOnce(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	_, d := newPipeline(t, st, pipeline.Config{})
	id, _, _ := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: pipeline.KindBadgeIssue, Target: "x", IdempotencyKey: "k", Payload: json.RawMessage(`"not an object"`)})
	_, _ = d.Drain(ctx)
	it, _ := st.Outbox().Get(ctx, id)
	if it.Status != store.OutboxDead || it.Attempts != 1 {
		t.Fatalf("item = %+v", it)
	}
}

func TestOwnBadgeEventsDoNotFeedTheRules(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	tpl := rules.Template{UUID: uuid.New(), Name: "Collector", Provider: "none", State: "active", Repeatable: true,
		Set: rules.Set{Requirements: []rules.Requirement{{ID: "any-badge", EventType: eventbus.TypeBadgeAwarded}}}}
	if _, err := rules.PutTemplates(ctx, st.Config(), []rules.Template{tpl}); err != nil {
		t.Fatal(err)
	}
	rules, err := pipeline.LoadRules(ctx, st.Config())
	if err != nil {
		t.Fatal(err)
	}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: rules, Publisher: pub})
	// A badge awarded elsewhere (another system's award) counts.
	foreign := eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, eventbus.BadgeData{UUID: uuid.NewString(), User: user(8, "c@example.org"),
		Template: eventbus.BadgeTemplateData{UUID: uuid.NewString(), Origin: "credly"}})
	foreign.ID, foreign.Time = "foreign-1", t0
	if err := p.Handle(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	sent := pub.snapshot()
	if len(sent) != 1 {
		t.Fatalf("published %d events, want 1", len(sent))
	}
	// Our own badge.awarded comes back on the same topic: no new grant.
	own := sent[0]
	own.Time = t0.Add(time.Minute)
	if err := p.Handle(ctx, own); err != nil {
		t.Fatal(err)
	}
	a, err := st.Awards().Get(ctx, 8, credential.Badge(tpl.UUID.String()))
	if err != nil || a.Times != 1 {
		t.Fatalf("award = %+v, %v; want granted once", a, err)
	}
}
