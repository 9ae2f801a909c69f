package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) lifecycle(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	must(t, "Migrate", st.Migrate(ctx))
	must(t, "Migrate again", st.Migrate(ctx))
	l := credential.Learner{UserID: 1, Username: "ann", Email: "ann@example.org"}
	if _, _, err := st.Learners().Upsert(ctx, l); err != nil {
		t.Fatalf("Upsert after two migrations: %v", err)
	}
	must(t, "Migrate with data", st.Migrate(ctx))
	if got, err := st.Learners().Get(ctx, 1); err != nil || got != l {
		t.Fatalf("Get after a third migration = %+v, %v", got, err)
	}

	must(t, "Close", st.Close())
	_, err := st.Learners().Get(ctx, 1)
	wantErr(t, "Get after Close", err, store.ErrClosed)
	_, _, err = st.Learners().Upsert(ctx, l)
	wantErr(t, "Upsert after Close", err, store.ErrClosed)
	_, err = st.Outbox().Claim(ctx, "w", base(), 1, 1)
	wantErr(t, "Claim after Close", err, store.ErrClosed)
	_, _, err = st.Awards().Put(ctx, newAward(t, 1, credential.Badge("b"), "e"))
	wantErr(t, "Put after Close", err, store.ErrClosed)
	wantErr(t, "Migrate after Close", st.Migrate(ctx), store.ErrClosed)
	called := false
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error { called = true; return nil })
	wantErr(t, "InTx after Close", err, store.ErrClosed)
	if called {
		t.Error("InTx ran its function on a closed store")
	}
}

func (s suite) learners(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	lr := st.Learners()

	_, err := lr.Get(ctx, 7)
	wantErr(t, "Get of a missing learner", err, store.ErrNotFound)

	ann := credential.Learner{UserID: 7, Username: "ann", Email: "ann@old.example", FullName: "Ann Old", IsActive: true}
	got, changed, err := lr.Upsert(ctx, ann)
	if err != nil || !changed || got != ann {
		t.Fatalf("Upsert(new) = %+v, %v, %v", got, changed, err)
	}
	got, changed, err = lr.Upsert(ctx, ann)
	if err != nil || changed || got != ann {
		t.Fatalf("Upsert(same) = %+v, %v, %v; want no change", got, changed, err)
	}
	// Only the e-mail is known in this event: the rest is kept.
	got, changed, err = lr.Upsert(ctx, credential.Learner{UserID: 7, Email: "ann@new.example", IsActive: true})
	want := ann
	want.Email = "ann@new.example"
	if err != nil || !changed || got != want {
		t.Fatalf("Upsert(new e-mail) = %+v, %v, %v; want %+v, true", got, changed, err, want)
	}
	if got, err := lr.Get(ctx, 7); err != nil || got != want {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, want)
	}
	// A second learner does not disturb the first.
	bob := credential.Learner{UserID: 8, Username: "bob"}
	if _, _, err := lr.Upsert(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if got, _ := lr.Get(ctx, 7); got != want {
		t.Fatalf("learner 7 changed after upserting 8: %+v", got)
	}

	_, _, err = lr.Upsert(ctx, credential.Learner{UserID: 0, Username: "zero"})
	wantInvalid(t, "Upsert(user 0)", err, "learner.user_id")
	_, _, err = lr.Upsert(ctx, credential.Learner{UserID: 9, Email: "not-an-address"})
	wantInvalid(t, "Upsert(bad e-mail)", err, "learner.email")
	if _, err := lr.Get(ctx, 9); !isNotFound(err) {
		t.Fatalf("an invalid learner was stored: %v", err)
	}
}

// newAward builds a valid award for the tests.
func newAward(t *testing.T, learner int64, ref credential.AchievementRef, eventID string) credential.Award {
	t.Helper()
	a, err := credential.NewAward(learner, ref, credential.Cause{EventID: eventID, EventTime: base().Add(-time.Hour)})
	must(t, "NewAward", err)
	return a
}

// checkAward compares the fields a store must keep.
func checkAward(t *testing.T, what string, got, want credential.Award) {
	t.Helper()
	if got.UUID != want.UUID || got.LearnerID != want.LearnerID || got.Achievement != want.Achievement ||
		got.Status != want.Status || got.Times != want.Times ||
		got.RevokedBy != want.RevokedBy || got.Gen() != want.Gen() ||
		got.Awarded.EventID != want.Awarded.EventID || got.Awarded.Reason != want.Awarded.Reason ||
		got.Revoked.EventID != want.Revoked.EventID || got.Revoked.Reason != want.Revoked.Reason {
		t.Errorf("%s = %+v\nwant %+v", what, got, want)
	}
	checkTime(t, what+".AwardedAt", got.AwardedAt, want.AwardedAt)
	checkTime(t, what+".RevokedAt", got.RevokedAt, want.RevokedAt)
	checkTime(t, what+".Awarded.EventTime", got.Awarded.EventTime, want.Awarded.EventTime)
	checkTime(t, what+".Revoked.EventTime", got.Revoked.EventTime, want.Revoked.EventTime)
	if len(got.Evidence) != len(want.Evidence) || (len(want.Evidence) > 0 && !maps.Equal(got.Evidence, want.Evidence)) {
		t.Errorf("%s.Evidence = %v, want %v", what, got.Evidence, want.Evidence)
	}
	if len(got.Providers) != len(want.Providers) {
		t.Errorf("%s.Providers = %+v, want %+v", what, got.Providers, want.Providers)
		return
	}
	for i := range want.Providers {
		g, w := got.Providers[i], want.Providers[i]
		if g.Provider != w.Provider || g.ExternalID != w.ExternalID || g.State != w.State || !sameTime(g.UpdatedAt, w.UpdatedAt) {
			t.Errorf("%s.Providers[%d] = %+v, want %+v", what, i, g, w)
		}
	}
}

func (s suite) awards(t *testing.T) {
	t.Run("PutGet", s.awardsPutGet)
	t.Run("Validation", s.awardsValidation)
	t.Run("ProviderRef", s.awardsProviderRef)
	t.Run("ListAndPages", s.awardsList)
	t.Run("RaceOnePerKey", s.awardsRace)
	t.Run("ReadModifyWriteInTx", s.awardsReadModifyWrite)
	t.Run("Generations", s.awardsGenerations)
}

// awardsReadModifyWrite: transactions that read an award, change it and put
// it back must not lose each other's changes (an award read inside InTx is
// locked until commit). Eight goroutines each add their own provider
// reference through GetByUUID + SetProvider + Put; all eight must remain.
func (s suite) awardsReadModifyWrite(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	a := newAward(t, 77, credential.Badge("rmw"), "e-rmw")
	if _, _, err := st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
				cur, err := tx.Awards().GetByUUID(ctx, a.UUID)
				if err != nil {
					return err
				}
				cur.SetProvider(credential.ProviderRef{Provider: fmt.Sprintf("p%d", i), ExternalID: fmt.Sprint(i), State: "pending"})
				_, _, err = tx.Awards().Put(ctx, cur)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Awards().GetByUUID(ctx, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Providers) != workers {
		t.Fatalf("%d provider references survived concurrent read-modify-write transactions, want %d: %+v", len(got.Providers), workers, got.Providers)
	}
}

func (s suite) awardsPutGet(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	course := credential.CourseCertificate("course-v1:edX+DemoX+Demo")

	_, err := aw.Get(ctx, 5, course)
	wantErr(t, "Get of a missing award", err, store.ErrNotFound)
	_, err = aw.GetByUUID(ctx, uuid.New())
	wantErr(t, "GetByUUID of a missing award", err, store.ErrNotFound)

	a := newAward(t, 5, course, "e1")
	a.Evidence = map[string]string{"grade": "0.93", "mode": "verified"}
	stored, created, err := aw.Put(ctx, a)
	if err != nil || !created {
		t.Fatalf("Put(new) = %v, %v", created, err)
	}
	checkAward(t, "Put(new)", stored, a)
	recent(t, "Put(new).UpdatedAt", stored.UpdatedAt)
	got, err := aw.Get(ctx, 5, course)
	must(t, "Get", err)
	checkAward(t, "Get", got, a)
	got, err = aw.GetByUUID(ctx, a.UUID)
	must(t, "GetByUUID", err)
	checkAward(t, "GetByUUID", got, a)

	// Values are copies: changing what was passed or returned changes nothing stored.
	a.Evidence["grade"] = "0.10"
	got.Evidence["mode"] = "audit"
	got, _ = aw.GetByUUID(ctx, a.UUID)
	if got.Evidence["grade"] != "0.93" || got.Evidence["mode"] != "verified" {
		t.Fatalf("stored evidence aliased a caller's map: %v", got.Evidence)
	}
	a.Evidence["grade"] = "0.93"

	// A second Put for the same key (here with a fresh UUID, as a redelivered
	// event would build) updates the award and keeps the first UUID.
	b := a
	b.UUID = uuid.New()
	b.Evidence = map[string]string{"grade": "0.95"}
	b.Revoke(credential.Cause{EventID: "e2", EventTime: base(), Reason: "certificate revoked"})
	stored, created, err = aw.Put(ctx, b)
	if err != nil || created {
		t.Fatalf("Put(existing key) = created %v, %v", created, err)
	}
	if stored.UUID != a.UUID {
		t.Fatalf("Put(existing key) returned UUID %s, want the first one %s", stored.UUID, a.UUID)
	}
	wantB := b
	wantB.UUID = a.UUID
	checkAward(t, "Put(existing key)", stored, wantB)
	got, err = aw.Get(ctx, 5, course)
	must(t, "Get after update", err)
	checkAward(t, "Get after update", got, wantB)
	_, err = aw.GetByUUID(ctx, b.UUID)
	wantErr(t, "GetByUUID of the discarded UUID", err, store.ErrNotFound)

	// Re-award with the explicit transition.
	if _, err := got.Grant(credential.Cause{EventID: "e3", EventTime: base()}, false, true); err != nil {
		t.Fatal(err)
	}
	stored, created, err = aw.Put(ctx, got)
	if err != nil || created || stored.Status != credential.StatusAwarded || !stored.RevokedAt.IsZero() || stored.Times != 2 {
		t.Fatalf("Put(re-awarded) = %+v, %v, %v", stored, created, err)
	}

	// The same achievement for another learner, and another achievement for
	// the same learner, are other awards.
	other := newAward(t, 6, course, "e4")
	if _, created, err := aw.Put(ctx, other); err != nil || !created {
		t.Fatalf("Put(other learner) = %v, %v", created, err)
	}
	prog := newAward(t, 5, credential.ProgramCertificate(uuid.NewString()), "e5")
	if _, created, err := aw.Put(ctx, prog); err != nil || !created {
		t.Fatalf("Put(other achievement) = %v, %v", created, err)
	}
	if got, _ := aw.Get(ctx, 5, course); got.UUID != a.UUID {
		t.Fatalf("award of learner 5 changed UUID to %s", got.UUID)
	}
}

func (s suite) awardsValidation(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	good := newAward(t, 5, credential.Badge(uuid.NewString()), "e1")

	bad := good
	bad.LearnerID = 0
	_, _, err := aw.Put(ctx, bad)
	wantInvalid(t, "Put(learner 0)", err, "award.learner_id")
	bad = good
	bad.UUID = uuid.Nil
	_, _, err = aw.Put(ctx, bad)
	wantInvalid(t, "Put(no uuid)", err, "award.uuid")
	bad = good
	bad.Achievement.Kind = "medal"
	_, _, err = aw.Put(ctx, bad)
	wantInvalid(t, "Put(bad kind)", err, "achievement.kind")
	bad = good
	bad.Status = "lost"
	_, _, err = aw.Put(ctx, bad)
	wantInvalid(t, "Put(bad status)", err, "award.status")
	bad = good
	bad.Status, bad.RevokedAt = credential.StatusRevoked, time.Time{}
	_, _, err = aw.Put(ctx, bad)
	wantInvalid(t, "Put(revoked without time)", err, "award.revoked_at")

	if list, err := aw.List(ctx, store.AwardFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("invalid awards were stored: %d, %v", len(list), err)
	}
}

func (s suite) awardsProviderRef(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	a := newAward(t, 5, credential.Badge(uuid.NewString()), "e1")
	a.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "cr-1", State: "pending", UpdatedAt: base()})
	a.SetProvider(credential.ProviderRef{Provider: "accredible", ExternalID: "ac-9", State: "issued", UpdatedAt: base()})
	stored, _, err := aw.Put(ctx, a)
	must(t, "Put", err)
	checkAward(t, "Put with providers", stored, a)
	b := newAward(t, 6, a.Achievement, "e2")
	b.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "cr-2", State: "pending"})
	_, _, err = aw.Put(ctx, b)
	must(t, "Put", err)

	got, err := aw.FindByProviderRef(ctx, "credly", "cr-1")
	if err != nil || got.UUID != a.UUID {
		t.Fatalf("FindByProviderRef(credly, cr-1) = %s, %v; want %s", got.UUID, err, a.UUID)
	}
	checkAward(t, "FindByProviderRef", got, a)
	if got, err := aw.FindByProviderRef(ctx, "accredible", "ac-9"); err != nil || got.UUID != a.UUID {
		t.Fatalf("FindByProviderRef(accredible) = %s, %v", got.UUID, err)
	}
	if got, err := aw.FindByProviderRef(ctx, "credly", "cr-2"); err != nil || got.UUID != b.UUID {
		t.Fatalf("FindByProviderRef(cr-2) = %s, %v", got.UUID, err)
	}
	_, err = aw.FindByProviderRef(ctx, "credly", "ac-9")
	wantErr(t, "FindByProviderRef(wrong provider)", err, store.ErrNotFound)
	_, err = aw.FindByProviderRef(ctx, "credly", "nope")
	wantErr(t, "FindByProviderRef(unknown)", err, store.ErrNotFound)

	// Updating the provider state replaces the reference; the old external
	// id is no longer found once replaced.
	a.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "cr-1b", State: "accepted", UpdatedAt: base()})
	_, _, err = aw.Put(ctx, a)
	must(t, "Put(new ref)", err)
	if got, err := aw.FindByProviderRef(ctx, "credly", "cr-1b"); err != nil || got.UUID != a.UUID {
		t.Fatalf("FindByProviderRef(new ref) = %s, %v", got.UUID, err)
	}
	_, err = aw.FindByProviderRef(ctx, "credly", "cr-1")
	wantErr(t, "FindByProviderRef(replaced ref)", err, store.ErrNotFound)
}

func (s suite) awardsList(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	tpl := credential.Badge(uuid.NewString())
	var all []uuid.UUID
	revoked := map[uuid.UUID]bool{}
	for i := range 25 {
		learner := int64(100 + i%3)
		ref := credential.CourseCertificate(fmt.Sprintf("course-v1:Org+C%d+R", i))
		if i%5 == 0 {
			ref = credential.Badge(uuid.NewString())
		}
		if i == 24 {
			ref = tpl
		}
		a := newAward(t, learner, ref, fmt.Sprint("e", i))
		if i%4 == 0 {
			a.Revoke(credential.Cause{EventID: fmt.Sprint("r", i), EventTime: base()})
			revoked[a.UUID] = true
		}
		_, _, err := aw.Put(ctx, a)
		must(t, "Put", err)
		all = append(all, a.UUID)
	}
	slices.SortFunc(all, func(a, b uuid.UUID) int { return cmpString(a.String(), b.String()) })

	got, err := aw.List(ctx, store.AwardFilter{})
	must(t, "List", err)
	if ids := uuids(got); !slices.Equal(ids, all) {
		t.Fatalf("List() = %v\nwant (ordered by UUID) %v", ids, all)
	}

	// Pages of 10 cover everything once, in order.
	var paged []uuid.UUID
	after := uuid.Nil
	for range 10 {
		page, err := aw.List(ctx, store.AwardFilter{After: after, Limit: 10})
		must(t, "List(page)", err)
		if len(page) > 10 {
			t.Fatalf("page of %d awards with Limit 10", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, uuids(page)...)
		after = page[len(page)-1].UUID
	}
	if !slices.Equal(paged, all) {
		t.Fatalf("paging gave %v\nwant %v", paged, all)
	}

	// Filters.
	for _, tc := range []struct {
		name string
		f    store.AwardFilter
		keep func(a credential.Award) bool
	}{
		{"learner", store.AwardFilter{LearnerID: 101}, func(a credential.Award) bool { return a.LearnerID == 101 }},
		{"kind", store.AwardFilter{Kind: credential.KindBadge}, func(a credential.Award) bool { return a.Achievement.Kind == credential.KindBadge }},
		{"achievement", store.AwardFilter{Kind: tpl.Kind, AchievementID: tpl.ID}, func(a credential.Award) bool { return a.Achievement == tpl }},
		{"status", store.AwardFilter{Status: credential.StatusRevoked}, func(a credential.Award) bool { return a.Status == credential.StatusRevoked }},
		{"learner+status", store.AwardFilter{LearnerID: 100, Status: credential.StatusAwarded}, func(a credential.Award) bool {
			return a.LearnerID == 100 && a.Status == credential.StatusAwarded
		}},
	} {
		var want []uuid.UUID
		for _, id := range all {
			a, err := aw.GetByUUID(ctx, id)
			must(t, "GetByUUID", err)
			if tc.keep(a) {
				want = append(want, id)
			}
		}
		got, err := aw.List(ctx, tc.f)
		if err != nil || !slices.Equal(uuids(got), want) {
			t.Errorf("List(%s) = %v, %v\nwant %v", tc.name, uuids(got), err, want)
		}
		if len(want) == 0 {
			t.Errorf("List(%s): the test data selects nothing", tc.name)
		}
	}
	if n := len(revoked); n == 0 {
		t.Fatal("no revoked awards in the test data")
	}
}

// awardsRace: many goroutines upsert overlapping keys; each key ends with
// exactly one award, created exactly once, whose UUID every Put returned.
func (s suite) awardsRace(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	const keys = 64
	ref := func(k int) (int64, credential.AchievementRef) {
		return int64(1000 + k/8), credential.CourseCertificate(fmt.Sprintf("course-v1:Race+K%d+R", k%8))
	}
	type result struct {
		id      uuid.UUID
		created bool
	}
	results := make([][]result, keys)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, s.o.awardWorkers)
	for w := range s.o.awardWorkers {
		wg.Go(func() {
			local := make([][]result, keys)
			for i := range s.o.awardPuts {
				k := (i*7 + w*13) % keys // every worker visits the keys in its own order
				learner, r := ref(k)
				a, err := credential.NewAward(learner, r, credential.Cause{EventID: fmt.Sprintf("w%d-%d", w, i), EventTime: base()})
				if err == nil {
					var stored credential.Award
					var created bool
					stored, created, err = aw.Put(ctx, a)
					local[k] = append(local[k], result{stored.UUID, created})
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d put %d: %w", w, i, err)
					return
				}
			}
			mu.Lock()
			for k := range local {
				results[k] = append(results[k], local[k]...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for k, rs := range results {
		if len(rs) == 0 {
			continue
		}
		learner, r := ref(k)
		stored, err := aw.Get(ctx, learner, r)
		must(t, "Get", err)
		creations := 0
		for _, res := range rs {
			if res.created {
				creations++
			}
			if res.id != stored.UUID {
				t.Fatalf("key %d: a Put returned UUID %s, the stored award has %s", k, res.id, stored.UUID)
			}
		}
		if creations != 1 {
			t.Fatalf("key %d: %d Puts reported created, want exactly 1", k, creations)
		}
		total++
	}
	var n int
	after := uuid.Nil
	for {
		page, err := aw.List(ctx, store.AwardFilter{After: after, Limit: 1000})
		must(t, "List", err)
		if len(page) == 0 {
			break
		}
		n += len(page)
		after = page[len(page)-1].UUID
	}
	if n != total {
		t.Fatalf("%d awards stored for %d keys", n, total)
	}
}

func uuids(as []credential.Award) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(as))
	for _, a := range as {
		out = append(out, a.UUID)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// awardsGenerations: a re-award after a rules revocation is a new award row
// (credential.Award.Reissue, the next generation) beside the revoked one,
// which keeps its UUID, state and provider reference; Get returns the
// highest generation; Put of an older generation updates that row only;
// the revocation kind round-trips.
func (s suite) awardsGenerations(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	aw := st.Awards()
	ref := credential.Badge(uuid.NewString())
	first := newAward(t, 31, ref, "pass-1")
	if _, _, err := aw.Put(ctx, first); err != nil {
		t.Fatal(err)
	}
	first.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "cr-gen-1", State: "accepted", UpdatedAt: base()})
	first.Revoke(credential.Cause{EventID: "fail-1", EventTime: base(), Reason: "penalty"})
	if first.RevokedBy != credential.RevokedByRules {
		t.Fatalf("Revoke recorded %q, want rules", first.RevokedBy)
	}
	if _, _, err := aw.Put(ctx, first); err != nil {
		t.Fatal(err)
	}
	second, err := first.Reissue(credential.Cause{EventID: "pass-2", EventTime: base()}, false)
	must(t, "Reissue", err)
	if second.UUID == first.UUID || second.Gen() != 2 || second.Status != credential.StatusAwarded {
		t.Fatalf("Reissue = %+v", second)
	}
	stored, created, err := aw.Put(ctx, second)
	if err != nil || !created || stored.UUID != second.UUID {
		t.Fatalf("Put(generation 2) = %s, %v, %v; want a new row %s", stored.UUID, created, err, second.UUID)
	}
	cur, err := aw.Get(ctx, 31, ref)
	must(t, "Get", err)
	checkAward(t, "Get after the re-award", cur, second)
	old, err := aw.GetByUUID(ctx, first.UUID)
	must(t, "GetByUUID(generation 1)", err)
	checkAward(t, "generation 1", old, first)
	if got, err := aw.FindByProviderRef(ctx, "credly", "cr-gen-1"); err != nil || got.UUID != first.UUID {
		t.Fatalf("FindByProviderRef(old badge) = %s, %v; want %s", got.UUID, err, first.UUID)
	}
	// A late provider reply for the old credential updates only that row.
	old.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "cr-gen-1", State: "revoked", UpdatedAt: base()})
	if st, created, err := aw.Put(ctx, old); err != nil || created || st.UUID != first.UUID {
		t.Fatalf("Put(generation 1 again) = %s, %v, %v", st.UUID, created, err)
	}
	if cur, err = aw.Get(ctx, 31, ref); err != nil || cur.UUID != second.UUID || len(cur.Providers) != 0 {
		t.Fatalf("Get after updating generation 1 = %+v, %v; want generation 2 untouched", cur, err)
	}
	// Putting generation 2 again (another NewAward-style UUID) keeps the stored UUID.
	again := second
	again.UUID = uuid.New()
	if st, created, err := aw.Put(ctx, again); err != nil || created || st.UUID != second.UUID {
		t.Fatalf("Put(generation 2, other uuid) = %s, %v, %v; want %s kept", st.UUID, created, err, second.UUID)
	}
	all, err := aw.List(ctx, store.AwardFilter{LearnerID: 31, Kind: ref.Kind, AchievementID: ref.ID})
	if err != nil || len(all) != 2 {
		t.Fatalf("List = %d awards, %v; want both generations", len(all), err)
	}
	// A person's revocation is recorded as such and blocks Reissue by the rules.
	second.RevokeBy(credential.Cause{Reason: "misconduct", EventTime: base()}, credential.RevokedByPerson)
	if _, _, err := aw.Put(ctx, second); err != nil {
		t.Fatal(err)
	}
	cur, err = aw.Get(ctx, 31, ref)
	must(t, "Get", err)
	if cur.RevokedBy != credential.RevokedByPerson || cur.Status != credential.StatusRevoked {
		t.Fatalf("Get after a person revocation = %s by %q", cur.Status, cur.RevokedBy)
	}
	if _, err := cur.Reissue(credential.Cause{EventID: "pass-3", EventTime: base()}, false); !errors.Is(err, credential.ErrTransition) {
		t.Fatalf("Reissue of a person revocation by the rules = %v, want ErrTransition", err)
	}
	third, err := cur.Reissue(credential.Cause{Reason: "reinstated", EventTime: base()}, true)
	must(t, "Reissue by a person", err)
	if _, created, err := aw.Put(ctx, third); err != nil || !created || third.Gen() != 3 {
		t.Fatalf("Put(generation 3) = %v, %v", created, err)
	}
}
