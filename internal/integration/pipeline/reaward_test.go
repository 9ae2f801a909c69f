package pipeline_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/google/uuid"
)

// TestReawardAfterPenaltyOnEveryStore runs pass → fail → pass through the
// pipeline and its outbox on memstore, sqlitestore and mysqlstore
// (MariaDB; skipped like the other MariaDB tests when CREDSHARE_MYSQL_DSN
// is unset). The badge revoked by the penalty is awarded again as a new
// credential (new award UUID, generation 2, a second provider badge, a
// second badge.awarded) and the first one stays revoked; replaying the
// whole stream changes nothing and calls nobody; a person's revocation
// then survives fail → pass. The published events carry the award's (or
// revocation's) time, the pipeline's clock, not the far older trigger
// time, and the triggering event's id as CauseID.
func TestReawardAfterPenaltyOnEveryStore(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"memstore": func(t *testing.T) store.Store { return memstore.New() },
		"sqlitestore": func(t *testing.T) store.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "reaward.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"mysqlstore": func(t *testing.T) store.Store { return mysqltest.Open(t) },
	}
	for _, name := range []string{"memstore", "sqlitestore", "mysqlstore"} {
		t.Run(name, func(t *testing.T) { testReaward(t, stores[name](t)) })
	}
}

func testReaward(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	trigger := time.Date(2001, 9, 1, 12, 0, 0, 0, time.UTC) // far in the past
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st), Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub,
		Now: func() time.Time { return now }})
	u := user(5, "grace@example.org")
	ref := credential.Badge(pioneer)
	stream := []eventbus.Event{
		passing("pass-1", u, pyCourse, true, trigger),
		passing("fail-1", u, pyCourse, false, trigger.Add(time.Hour)),
		passing("pass-2", u, pyCourse, true, trigger.Add(2*time.Hour)),
	}
	handle := func(evs ...eventbus.Event) {
		t.Helper()
		for _, e := range evs {
			if err := p.Handle(ctx, e); err != nil {
				t.Fatalf("Handle(%s): %v", e.ID, err)
			}
			// Drained after each event: the fixed clock gives every outbox
			// row the same due time, so their order would be arbitrary.
			if _, err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	handle(stream...)

	awards := func() []credential.Award {
		t.Helper()
		as, err := st.Awards().List(ctx, store.AwardFilter{LearnerID: 5, Kind: credential.KindBadge, AchievementID: pioneer})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(as, func(a, b credential.Award) int { return a.Gen() - b.Gen() })
		return as
	}
	as := awards()
	if len(as) != 2 {
		t.Fatalf("awards = %+v, want two credentials", as)
	}
	first, second := as[0], as[1]
	if first.Status != credential.StatusRevoked || first.RevokedBy != credential.RevokedByRules || first.Gen() != 1 ||
		first.Awarded.EventID != "pass-1" || first.Revoked.EventID != "fail-1" {
		t.Errorf("first credential = %+v", first)
	}
	if second.Status != credential.StatusAwarded || second.Gen() != 2 || second.UUID == first.UUID || second.Awarded.EventID != "pass-2" {
		t.Errorf("second credential = %+v", second)
	}
	if cur, err := st.Awards().Get(ctx, 5, ref); err != nil || cur.UUID != second.UUID {
		t.Errorf("current award = %s, %v; want %s", cur.UUID, err, second.UUID)
	}
	if !first.Awarded.EventTime.Equal(trigger) || !first.AwardedAt.Equal(now) || !first.RevokedAt.Equal(now) || !second.AwardedAt.Equal(now) {
		t.Errorf("times: first awarded %v (cause %v) revoked %v, second awarded %v; want the clock %v, causes at the trigger time",
			first.AwardedAt, first.Awarded.EventTime, first.RevokedAt, second.AwardedAt, now)
	}
	// Two provider badges, one per credential; each credential has its own.
	prov.mu.Lock()
	issued := len(prov.issued)
	prov.mu.Unlock()
	if issued != 2 {
		t.Errorf("provider issued %d badges, want 2", issued)
	}
	r1, ok1 := first.Provider("fake")
	r2, ok2 := second.Provider("fake")
	if !ok1 || !ok2 || r1.ExternalID == r2.ExternalID || r1.State != "revoked" || r2.State != "pending" {
		t.Errorf("provider refs: first %+v, second %+v", r1, r2)
	}
	// badge.awarded, badge.revoked, badge.awarded, stamped with the award's time.
	pub.mu.Lock()
	sent := slices.Clone(pub.sent)
	pub.mu.Unlock()
	want := []struct {
		typ, award, cause string
	}{
		{eventbus.TypeBadgeAwarded, first.UUID.String(), "pass-1"},
		{eventbus.TypeBadgeRevoked, first.UUID.String(), "fail-1"},
		{eventbus.TypeBadgeAwarded, second.UUID.String(), "pass-2"},
	}
	if len(sent) != len(want) {
		t.Fatalf("published %d events, want %d", len(sent), len(want))
	}
	for i, w := range want {
		e := sent[i]
		b, err := e.Badge()
		if err != nil || e.Type != w.typ || b.UUID != w.award || e.CauseID != w.cause {
			t.Errorf("published[%d] = %s about %s caused by %q (%v); want %s about %s caused by %q", i, e.Type, b.UUID, e.CauseID, err, w.typ, w.award, w.cause)
		}
		if !e.Time.Equal(now) || e.Time.Equal(stream[i].Time) {
			t.Errorf("published[%d].Time = %v; want the award's time %v, not the trigger's %v", i, e.Time, now, stream[i].Time)
		}
		if _, err := uuid.Parse(e.ID); err != nil || e.ID == w.cause {
			t.Errorf("published[%d].ID = %q", i, e.ID)
		}
	}

	// Replaying the stream: same state, no call, no event.
	handle(stream...)
	if got := awards(); len(got) != 2 || got[0].Status != first.Status || got[1].UUID != second.UUID || got[1].Status != second.Status {
		t.Errorf("after the replay: %+v", got)
	}
	prov.mu.Lock()
	issued, calls := len(prov.issued), prov.calls
	prov.mu.Unlock()
	pub.mu.Lock()
	published := len(pub.sent)
	pub.mu.Unlock()
	if issued != 2 || calls != 2 || published != 3 {
		t.Errorf("after the replay: %d badges issued in %d calls, %d events published; want 2, 2, 3", issued, calls, published)
	}

	// A person revokes the second credential: fail → pass leaves it revoked.
	if err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().Get(ctx, 5, ref)
		if err != nil {
			return err
		}
		cur.RevokeBy(credential.Cause{Reason: "revoked by an administrator", EventTime: now}, credential.RevokedByPerson)
		_, _, err = tx.Awards().Put(ctx, cur)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	handle(passing("fail-2", u, pyCourse, false, trigger.Add(3*time.Hour)), passing("pass-3", u, pyCourse, true, trigger.Add(4*time.Hour)))
	got := awards()
	if len(got) != 2 || got[1].Status != credential.StatusRevoked || got[1].RevokedBy != credential.RevokedByPerson {
		t.Errorf("after a person's revocation and fail → pass: %+v", got)
	}
	pub.mu.Lock()
	published = len(pub.sent)
	pub.mu.Unlock()
	if published != 3 {
		t.Errorf("%d events published, want still 3", published)
	}
}

// TestPersonRevokeAndReinstate: Pipeline.Revoke writes a person's
// revocation with its effects once; the rules leave it; Reinstate issues a
// new credential with a provider call and badge.awarded.
func TestPersonRevokeAndReinstate(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st), Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub})
	u := user(6, "kat@example.org")
	drain := func() {
		t.Helper()
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Handle(ctx, passing("k1", u, pyCourse, true, t0)); err != nil {
		t.Fatal(err)
	}
	drain()
	a, err := st.Awards().Get(ctx, 6, credential.Badge(pioneer))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := p.Revoke(ctx, a.UUID, "issued in error")
	if err != nil || rv.Status != credential.StatusRevoked || rv.RevokedBy != credential.RevokedByPerson {
		t.Fatalf("Revoke = %+v, %v", rv, err)
	}
	if _, err := p.Revoke(ctx, a.UUID, "again"); err != nil {
		t.Fatal(err)
	}
	drain()
	for _, e := range []eventbus.Event{passing("k2", u, pyCourse, false, t0.Add(time.Hour)), passing("k3", u, pyCourse, true, t0.Add(2*time.Hour))} {
		if err := p.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	drain()
	if cur, _ := st.Awards().Get(ctx, 6, credential.Badge(pioneer)); cur.UUID != a.UUID || cur.Status != credential.StatusRevoked {
		t.Fatalf("after fail → pass: %+v", cur)
	}
	n, err := p.Reinstate(ctx, a.UUID, "appeal upheld")
	if err != nil || n.UUID == a.UUID || n.Gen() != 2 || n.Status != credential.StatusAwarded {
		t.Fatalf("Reinstate = %+v, %v", n, err)
	}
	if _, err := p.Reinstate(ctx, a.UUID, "twice"); err == nil {
		t.Fatal("Reinstate of a replaced credential succeeded")
	}
	drain()
	pub.mu.Lock()
	var types []string
	for _, e := range pub.sent {
		types = append(types, e.Type)
	}
	pub.mu.Unlock()
	if want := []string{eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked, eventbus.TypeBadgeAwarded}; !slices.Equal(types, want) {
		t.Errorf("published %v, want %v", types, want)
	}
	prov.mu.Lock()
	issued := len(prov.issued)
	prov.mu.Unlock()
	if issued != 2 {
		t.Errorf("provider issued %d badges, want 2", issued)
	}
}
