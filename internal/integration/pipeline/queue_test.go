package pipeline_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// pendingKinds claims (and releases at once) every pending outbox item and
// returns "kind target" of each, sorted.
func pendingKinds(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	its, err := st.Outbox().Claim(ctx, "peek", time.Now().Add(time.Hour), time.Nanosecond, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range its {
		out = append(out, it.Kind+" "+it.Target)
		if err := st.Outbox().Reschedule(ctx, it.ID, "peek", time.Time{}, ""); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// TestQueueOnlyRevokeRunByAnotherProcess: a pipeline with no provider and
// no publisher, naming them in QueueProviders and QueuePublish (the CLI's
// set-up), writes the provider's revoke call and badge.revoked; the
// deployment's pipeline, which has both, runs them from its dispatcher.
func TestQueueOnlyRevokeRunByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	live, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st), Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub})
	if err := live.Handle(ctx, passing("q1", user(7, "q@example.org"), pyCourse, true, t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := st.Awards().Get(ctx, 7, credential.Badge(pioneer))
	if err != nil {
		t.Fatal(err)
	}

	cli, _ := newPipeline(t, st, pipeline.Config{QueueProviders: []string{"fake"}, QueuePublish: true})
	if _, err := cli.Revoke(ctx, a.UUID, "issued in error"); err != nil {
		t.Fatal(err)
	}
	if got, want := pendingKinds(t, st), []string{pipeline.KindBadgeRevoke + " fake", pipeline.KindEventPublish + " " + eventbus.TopicBadgesLifecycle}; !slices.Equal(got, want) {
		t.Fatalf("queued %v, want %v", got, want)
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Awards().GetByUUID(ctx, a.UUID)
	if ref, ok := got.Provider("fake"); !ok || ref.State != "revoked" {
		t.Errorf("provider ref after the deployment's dispatcher ran: %+v", got.Providers)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if n := len(pub.sent); n != 2 || pub.sent[1].Type != eventbus.TypeBadgeRevoked {
		t.Errorf("published %d events (%v), want badge.awarded then badge.revoked", n, pub.sent)
	}
}

func TestQueueProvidersValidated(t *testing.T) {
	for _, bad := range []string{"", " fake"} {
		if _, err := pipeline.New(pipeline.Config{Store: memstore.New(), QueueProviders: []string{bad}}); err == nil {
			t.Errorf("QueueProviders %q accepted", bad)
		}
	}
	if _, err := pipeline.New(pipeline.Config{Store: memstore.New(), QueueProviders: []string{"obv3"}, CertificateProvider: "obv3"}); err != nil {
		t.Errorf("CertificateProvider in QueueProviders refused: %v", err)
	}
}

// TestRevokedAtProvider: a revocation a provider's webhook reports is a
// person's, with badge.revoked but no call back to that provider; for an
// award already revoked (by the rules, e.g. the webhook of credshare's own
// revoke call) it changes nothing, and calling it twice changes nothing.
func TestRevokedAtProvider(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st), Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub})
	u := user(8, "w@example.org")
	for _, e := range []eventbus.Event{passing("w1", u, pyCourse, true, t0)} {
		if err := p.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	a, _ := st.Awards().Get(ctx, 8, credential.Badge(pioneer))
	revoke := func() (credential.Award, bool) {
		t.Helper()
		var out credential.Award
		var changed bool
		err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			var err error
			out, changed, err = p.RevokedAtProvider(ctx, tx, a.UUID, "fake", credential.Cause{EventID: "wh-1", EventTime: t0, Reason: "revoked at fake"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, changed
	}
	got, changed := revoke()
	if !changed || got.Status != credential.StatusRevoked || got.RevokedBy != credential.RevokedByPerson || got.Revoked.EventID != "wh-1" {
		t.Fatalf("RevokedAtProvider = %+v, %v", got, changed)
	}
	if kinds := pendingKinds(t, st); !slices.Equal(kinds, []string{pipeline.KindEventPublish + " " + eventbus.TopicBadgesLifecycle}) {
		t.Fatalf("queued %v, want only badge.revoked (no call back to the provider)", kinds)
	}
	if _, changed := revoke(); changed {
		t.Error("a second report changed the award")
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	if n := len(pub.sent); n != 2 || pub.sent[1].Type != eventbus.TypeBadgeRevoked || pub.sent[1].CauseID != "wh-1" {
		t.Errorf("published %v", pub.sent)
	}
	pub.mu.Unlock()

	// A rules revocation reported back by the provider stays the rules'.
	if err := p.Handle(ctx, passing("w2", user(9, "r@example.org"), pyCourse, true, t0)); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(ctx, passing("w3", user(9, "r@example.org"), pyCourse, false, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	r, _ := st.Awards().Get(ctx, 9, credential.Badge(pioneer))
	if r.RevokedBy != credential.RevokedByRules {
		t.Fatalf("setup: %+v", r)
	}
	var changedR bool
	if err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		var err error
		_, changedR, err = p.RevokedAtProvider(ctx, tx, r.UUID, "fake", credential.Cause{EventID: "wh-2"})
		return err
	}); err != nil || changedR {
		t.Fatalf("RevokedAtProvider on a rules revocation: changed %v, %v", changedR, err)
	}
	if r2, _ := st.Awards().GetByUUID(ctx, r.UUID); r2.RevokedBy != credential.RevokedByRules {
		t.Errorf("a rules revocation became %s", r2.RevokedBy)
	}
}
