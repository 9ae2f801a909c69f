package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

// batch checks store.BatchWriter, when the adapter's InTx Repos have it:
// the same results as MarkProcessed and Enqueue one row at a time, with
// duplicates inside a batch and across batches, all-or-nothing validation
// and rollback.
func (s suite) batch(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	t0 := base()
	inTx := func(fn func(ctx context.Context, bw store.BatchWriter) error) error {
		return st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			bw, ok := tx.(store.BatchWriter)
			if !ok {
				return errNoBatch
			}
			return fn(ctx, bw)
		})
	}
	if err := inTx(func(context.Context, store.BatchWriter) error { return nil }); errors.Is(err, errNoBatch) {
		t.Skip("the adapter's InTx Repos do not implement store.BatchWriter")
	}

	t.Run("MarkProcessedBatch", func(t *testing.T) {
		if _, err := st.Events().MarkProcessed(ctx, "g", "old", t0); err != nil {
			t.Fatal(err)
		}
		var first []bool
		ids := []string{"a", "old", "b", "a", "c"}
		must(t, "MarkProcessedBatch", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "g", ids, t0)
			return err
		}))
		if want := []bool{true, false, true, false, true}; !slices.Equal(first, want) {
			t.Fatalf("first = %v, want %v", first, want)
		}
		for _, id := range []string{"a", "b", "c"} {
			if done, err := st.Events().IsProcessed(ctx, "g", id); err != nil || !done {
				t.Fatalf("IsProcessed(%s) = %v, %v", id, done, err)
			}
		}
		// Across batches, and per group.
		must(t, "MarkProcessedBatch(again)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "g", []string{"c", "d"}, t0)
			return err
		}))
		if want := []bool{false, true}; !slices.Equal(first, want) {
			t.Fatalf("second batch: first = %v, want %v", first, want)
		}
		if first, err := st.Events().MarkProcessed(ctx, "g", "d", t0); err != nil || first {
			t.Fatalf("MarkProcessed after the batch = %v, %v; want false", first, err)
		}
		must(t, "MarkProcessedBatch(other group)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "h", []string{"a"}, t0)
			return err
		}))
		if !slices.Equal(first, []bool{true}) {
			t.Fatalf("other group: first = %v", first)
		}
		// Empty batch.
		must(t, "MarkProcessedBatch(empty)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "g", nil, t0)
			return err
		}))
		if len(first) != 0 {
			t.Fatalf("empty batch: first = %v", first)
		}
		// Invalid input marks nothing.
		err := inTx(func(ctx context.Context, bw store.BatchWriter) error {
			_, err := bw.MarkProcessedBatch(ctx, "g", []string{"e", ""}, t0)
			if err == nil {
				return nil
			}
			_, err2 := bw.MarkProcessedBatch(ctx, "", []string{"e"}, t0)
			wantInvalid(t, "MarkProcessedBatch(no group)", err2, "group")
			return err
		})
		wantInvalid(t, "MarkProcessedBatch(empty id)", err, "id")
		if done, _ := st.Events().IsProcessed(ctx, "g", "e"); done {
			t.Fatal("an invalid batch marked an id")
		}
		// Rolled back with its transaction.
		boom := errors.New("boom")
		err = inTx(func(ctx context.Context, bw store.BatchWriter) error {
			if _, err := bw.MarkProcessedBatch(ctx, "g", []string{"f"}, t0); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if done, _ := st.Events().IsProcessed(ctx, "g", "f"); done {
			t.Fatal("a rolled-back batch left its mark")
		}
		// A large batch (more rows than one statement holds).
		many := make([]string, 700)
		for i := range many {
			many[i] = fmt.Sprintf("m%03d", i)
		}
		must(t, "MarkProcessedBatch(700)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "g", many, t0)
			return err
		}))
		if n := countTrue(first); n != len(many) {
			t.Fatalf("700 ids: %d first", n)
		}
		must(t, "MarkProcessedBatch(700 again)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			first, err = bw.MarkProcessedBatch(ctx, "g", append(many, "z"), t0)
			return err
		}))
		if n := countTrue(first); n != 1 || !first[len(many)] {
			t.Fatalf("700 ids again: %d first (last %v), want only the new one", n, first[len(many)])
		}
	})

	t.Run("MarkProcessedBatchRace", func(t *testing.T) {
		// Concurrent batches marking one id: exactly one committed
		// transaction sees it first; the others see it marked or fail.
		const workers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		firsts := 0
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var first []bool
				err := inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
					first, err = bw.MarkProcessedBatch(ctx, "race", []string{fmt.Sprintf("own%d", w), "shared"}, t0)
					return err
				})
				if err == nil && first[1] {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if done, err := st.Events().IsProcessed(ctx, "race", "shared"); err != nil || !done {
			t.Fatalf("shared id not marked: %v, %v", done, err)
		}
		if firsts != 1 {
			t.Fatalf("%d committed transactions saw the shared id first, want 1", firsts)
		}
	})

	t.Run("EnqueueBatch", func(t *testing.T) {
		tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		old, _, err := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "k", Target: "t", IdempotencyKey: "old", Payload: []byte(`{"n":0}`)})
		must(t, "Enqueue", err)
		items := []store.OutboxItem{
			{Kind: "k", Target: "t", IdempotencyKey: "b1", Payload: []byte(`{"n":1}`), TraceParent: tp},
			{Kind: "k", Target: "t", IdempotencyKey: "old", Payload: []byte(`{"n":9}`)},
			{Kind: "k", Target: "u", IdempotencyKey: "b2", Payload: []byte(`{"n":2}`), NotBefore: t0.Add(-1)},
			{Kind: "k", Target: "t", IdempotencyKey: "b1", Payload: []byte(`{"n":8}`)},
		}
		var n int
		must(t, "EnqueueBatch", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			n, err = bw.EnqueueBatch(ctx, items)
			return err
		}))
		if n != 2 {
			t.Fatalf("enqueued = %d, want 2", n)
		}
		if it, err := st.Outbox().Get(ctx, old); err != nil || !jsonEqual(it.Payload, []byte(`{"n":0}`)) {
			t.Fatalf("existing item = %+v, %v; want it unchanged", it, err)
		}
		claimed, err := st.Outbox().Claim(ctx, "w", time.Now().Add(time.Minute), time.Minute, 10)
		must(t, "Claim", err)
		var got []string
		for _, it := range claimed {
			got = append(got, it.IdempotencyKey)
			switch it.IdempotencyKey {
			case "b1":
				checkJSON(t, "b1 payload", it.Payload, []byte(`{"n":1}`))
				if it.TraceParent != tp {
					t.Errorf("b1 trace parent = %q, want %q", it.TraceParent, tp)
				}
				if it.Status != store.OutboxLeased || it.Attempts != 1 {
					t.Errorf("b1 = %+v", it)
				}
			case "b2":
				checkTime(t, "b2 not_before", it.NotBefore, t0.Add(-1))
				if it.Target != "u" || it.TraceParent != "" {
					t.Errorf("b2 = %+v", it)
				}
			}
		}
		slices.Sort(got)
		if want := []string{"b1", "b2", "old"}; !slices.Equal(got, want) {
			t.Fatalf("claimed %v, want %v", got, want)
		}
		// Ids ascend in the order of the items.
		var ids = map[string]int64{}
		for _, it := range claimed {
			ids[it.IdempotencyKey] = it.ID
		}
		if !(old < ids["b1"] && ids["b1"] < ids["b2"]) {
			t.Errorf("ids old=%d b1=%d b2=%d, want ascending", old, ids["b1"], ids["b2"])
		}
		// Invalid items enqueue nothing; a rollback takes the items back.
		err = inTx(func(ctx context.Context, bw store.BatchWriter) error {
			_, err := bw.EnqueueBatch(ctx, []store.OutboxItem{{Kind: "k", IdempotencyKey: "c1"}, {Kind: "k"}})
			return err
		})
		wantInvalid(t, "EnqueueBatch(no key)", err, "idempotency_key")
		boom := errors.New("boom")
		err = inTx(func(ctx context.Context, bw store.BatchWriter) error {
			if _, err := bw.EnqueueBatch(ctx, []store.OutboxItem{{Kind: "k", IdempotencyKey: "c2"}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if s, err := st.Outbox().Stats(ctx); err != nil || s.Pending != 3 {
			t.Fatalf("Stats = %+v, %v; want 3 pending (nothing from the failed batches)", s, err)
		}
		// A large batch; and an empty one.
		many := make([]store.OutboxItem, 600)
		for i := range many {
			many[i] = store.OutboxItem{Kind: "k", Target: "t", IdempotencyKey: fmt.Sprintf("m%03d", i)}
		}
		must(t, "EnqueueBatch(600)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			if n, err = bw.EnqueueBatch(ctx, nil); err != nil || n != 0 {
				return fmt.Errorf("empty batch: %d, %w", n, err)
			}
			n, err = bw.EnqueueBatch(ctx, many)
			return err
		}))
		if n != len(many) {
			t.Fatalf("600 items: enqueued %d", n)
		}
		if s, err := st.Outbox().Stats(ctx); err != nil || s.Pending != 603 {
			t.Fatalf("Stats = %+v, %v; want 603 pending", s, err)
		}
	})

	t.Run("FulfillBatch", func(t *testing.T) {
		tpl := uuid.MustParse("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")
		p1, _, err := st.Progress().GetOrCreate(ctx, 501, tpl, 1)
		must(t, "GetOrCreate", err)
		p2, _, err := st.Progress().GetOrCreate(ctx, 502, tpl, 1)
		must(t, "GetOrCreate", err)
		_, err = st.Progress().Fulfill(ctx, p2.ID, store.Fulfillment{RequirementID: "old", Group: "A", EventID: "e0", EventTime: t0})
		must(t, "Fulfill", err)
		at1, at2 := t0.Add(time.Hour+time.Microsecond), t0.Add(2*time.Hour)
		fs := []store.ProgressFulfillment{
			{ProgressID: p1.ID, Fulfillment: store.Fulfillment{RequirementID: "b", Group: "B", EventID: "e1", EventTime: t0, Matched: []byte(`{"m":1}`), CreatedAt: at2}},
			{ProgressID: p1.ID, Fulfillment: store.Fulfillment{RequirementID: "a", Group: "A", EventID: "e2", EventTime: t0.Add(time.Second), CreatedAt: at1}},
			{ProgressID: p2.ID, Fulfillment: store.Fulfillment{RequirementID: "new", Group: "B", EventID: "e3", EventTime: t0, CreatedAt: at1}},
		}
		must(t, "FulfillBatch", inTx(func(ctx context.Context, bw store.BatchWriter) error {
			if err := bw.FulfillBatch(ctx, nil); err != nil {
				return fmt.Errorf("empty batch: %w", err)
			}
			return bw.FulfillBatch(ctx, fs)
		}))
		got, err := st.Progress().Fulfillments(ctx, p1.ID)
		must(t, "Fulfillments", err)
		if len(got) != 2 || got[0].RequirementID != "a" || got[1].RequirementID != "b" {
			t.Fatalf("fulfilments of p1 = %+v, want a, b", got)
		}
		if got[1].Group != "B" || got[1].EventID != "e1" {
			t.Errorf("b = %+v", got[1])
		}
		checkJSON(t, "b matched", got[1].Matched, []byte(`{"m":1}`))
		checkTime(t, "a created_at", got[0].CreatedAt, at1)
		checkTime(t, "b created_at", got[1].CreatedAt, at2)
		checkTime(t, "a event_time", got[0].EventTime, t0.Add(time.Second))
		// The progress rows' UpdatedAt is the latest CreatedAt given.
		for _, c := range []struct {
			learner int64
			want    time.Time
		}{{501, at2}, {502, at1}} {
			p, err := st.Progress().Get(ctx, c.learner, tpl)
			must(t, "Get", err)
			checkTime(t, fmt.Sprintf("progress %d updated_at", c.learner), p.UpdatedAt, c.want)
		}
		if got, err := st.Progress().Fulfillments(ctx, p2.ID); err != nil || len(got) != 2 {
			t.Fatalf("fulfilments of p2 = %+v, %v; want old and new", got, err)
		}
		// Fulfilled already, repeated, no progress, invalid: nothing is kept.
		one := func(pf ...store.ProgressFulfillment) error {
			return inTx(func(ctx context.Context, bw store.BatchWriter) error { return bw.FulfillBatch(ctx, pf) })
		}
		c := store.Fulfillment{RequirementID: "c", Group: "C", EventID: "e4", EventTime: t0, CreatedAt: at1}
		wantErr(t, "FulfillBatch(fulfilled)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: c}, store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: fs[0].Fulfillment}), store.ErrConflict)
		wantErr(t, "FulfillBatch(repeated)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: c}, store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: c}), store.ErrConflict)
		wantErr(t, "FulfillBatch(no progress)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: c}, store.ProgressFulfillment{ProgressID: p1.ID + p2.ID + 1000, Fulfillment: c}), store.ErrNotFound)
		noTime := c
		noTime.CreatedAt = time.Time{}
		wantInvalid(t, "FulfillBatch(no created_at)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: noTime}), "created_at")
		noID := c
		noID.RequirementID = " "
		wantInvalid(t, "FulfillBatch(no requirement)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: noID}), "requirement_id")
		badJSON := c
		badJSON.Matched = []byte(`{`)
		wantInvalid(t, "FulfillBatch(bad matched)", one(store.ProgressFulfillment{ProgressID: p1.ID, Fulfillment: badJSON}), "matched")
		if got, err := st.Progress().Fulfillments(ctx, p1.ID); err != nil || len(got) != 2 {
			t.Fatalf("after the failed batches: %+v, %v; want a and b only", got, err)
		}
		// More rows than one statement holds.
		many := make([]store.ProgressFulfillment, 600)
		for i := range many {
			many[i] = store.ProgressFulfillment{ProgressID: p2.ID, Fulfillment: store.Fulfillment{RequirementID: fmt.Sprintf("m%03d", i), EventID: "e5", EventTime: t0, CreatedAt: at1}}
		}
		must(t, "FulfillBatch(600)", one(many...))
		if got, err := st.Progress().Fulfillments(ctx, p2.ID); err != nil || len(got) != 602 {
			t.Fatalf("after 600: %d fulfilments, %v; want 602", len(got), err)
		}
	})

	t.Run("CreateAwardsBatch", func(t *testing.T) {
		at := t0.Add(time.Minute + time.Microsecond)
		a1 := newAward(t, 601, credential.Badge("b1"), "e1")
		a1.UpdatedAt, a1.AwardedAt = at, at
		a2 := newAward(t, 601, credential.CourseCertificate("course-v1:X+Y+Z"), "e2")
		a2.UpdatedAt, a2.AwardedAt = at, at
		a2.Evidence = map[string]string{"grade": "0.9"}
		a2.Providers = []credential.ProviderRef{{Provider: "p", ExternalID: "x-601"}}
		must(t, "CreateAwardsBatch", inTx(func(ctx context.Context, bw store.BatchWriter) error {
			if err := bw.CreateAwardsBatch(ctx, nil); err != nil {
				return fmt.Errorf("empty batch: %w", err)
			}
			return bw.CreateAwardsBatch(ctx, []credential.Award{a1, a2})
		}))
		for _, want := range []credential.Award{a1, a2} {
			got, err := st.Awards().Get(ctx, want.LearnerID, want.Achievement)
			must(t, "Get", err)
			checkAward(t, "created award", got, want)
			checkTime(t, "updated_at", got.UpdatedAt, at)
			if got.Generation != want.Gen() {
				t.Errorf("generation = %d, want %d", got.Generation, want.Gen())
			}
		}
		got, err := st.Awards().FindByProviderRef(ctx, "p", "x-601")
		must(t, "FindByProviderRef", err)
		if got.UUID != a2.UUID || got.Evidence["grade"] != "0.9" {
			t.Errorf("by provider ref = %+v", got)
		}
		// A taken key or UUID, or an invalid award: nothing is kept.
		one := func(as ...credential.Award) error {
			return inTx(func(ctx context.Context, bw store.BatchWriter) error { return bw.CreateAwardsBatch(ctx, as) })
		}
		a3 := newAward(t, 602, credential.Badge("b1"), "e3")
		a3.UpdatedAt = at
		again := newAward(t, 601, credential.Badge("b1"), "e4")
		again.UpdatedAt = at
		wantErr(t, "CreateAwardsBatch(taken key)", one(a3, again), store.ErrConflict)
		sameUUID := newAward(t, 603, credential.Badge("b1"), "e5")
		sameUUID.UUID, sameUUID.UpdatedAt = a1.UUID, at
		wantErr(t, "CreateAwardsBatch(taken uuid)", one(a3, sameUUID), store.ErrConflict)
		wantErr(t, "CreateAwardsBatch(repeated)", one(a3, a3), store.ErrConflict)
		noTime := a3
		noTime.UpdatedAt = time.Time{}
		wantInvalid(t, "CreateAwardsBatch(no updated_at)", one(noTime), "updated_at")
		if _, err := st.Awards().Get(ctx, 602, credential.Badge("b1")); !isNotFound(err) {
			t.Fatalf("a failed batch kept an award: %v", err)
		}
		// The next generation of a revoked award is a creation too.
		rev := a1
		if !rev.Revoke(credential.Cause{EventID: "e6", EventTime: t0}) {
			t.Fatal("Revoke changed nothing")
		}
		_, _, err = st.Awards().Put(ctx, rev)
		must(t, "Put(revoked)", err)
		next, err := rev.Reissue(credential.Cause{EventID: "e7", EventTime: t0.Add(time.Second)}, false)
		must(t, "Reissue", err)
		next.UpdatedAt = at
		must(t, "CreateAwardsBatch(next generation)", one(next))
		if got, err := st.Awards().Get(ctx, 601, credential.Badge("b1")); err != nil || got.UUID != next.UUID || got.Gen() != rev.Gen()+1 {
			t.Fatalf("current award = %+v, %v; want the reissued one", got, err)
		}
	})

	t.Run("CurrentAwardsBatch", func(t *testing.T) {
		put := func(a credential.Award) credential.Award {
			t.Helper()
			stored, _, err := st.Awards().Put(ctx, a)
			must(t, "Put", err)
			return stored
		}
		b1 := put(newAward(t, 701, credential.Badge("cb1"), "e1"))
		c1 := put(newAward(t, 701, credential.CourseCertificate("course-v1:A+B+C"), "e2"))
		other := put(newAward(t, 703, credential.Badge("cb1"), "e3"))
		put(newAward(t, 704, credential.Badge("cb1"), "e4")) // not asked for
		// A revoked award and its next generation: only the latter is current.
		rev := other
		if !rev.Revoke(credential.Cause{EventID: "e5", EventTime: t0}) {
			t.Fatal("Revoke changed nothing")
		}
		put(rev)
		next, err := rev.Reissue(credential.Cause{EventID: "e6", EventTime: t0.Add(time.Second)}, false)
		must(t, "Reissue", err)
		next = put(next)
		var got []credential.Award
		must(t, "CurrentAwardsBatch", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			if none, err := bw.CurrentAwardsBatch(ctx, nil); err != nil || len(none) != 0 {
				return fmt.Errorf("no learners: %v, %w", none, err)
			}
			got, err = bw.CurrentAwardsBatch(ctx, []int64{703, 701, 702, 701})
			return err
		}))
		byUUID := map[uuid.UUID]credential.Award{}
		for _, a := range got {
			byUUID[a.UUID] = a
		}
		if len(got) != 3 || len(byUUID) != 3 {
			t.Fatalf("CurrentAwardsBatch = %d awards %+v, want 3", len(got), got)
		}
		for _, want := range []credential.Award{b1, c1, next} {
			a, ok := byUUID[want.UUID]
			if !ok {
				t.Errorf("award %s (%s of %d) missing", want.UUID, want.Achievement, want.LearnerID)
				continue
			}
			cur, err := st.Awards().Get(ctx, want.LearnerID, want.Achievement)
			must(t, "Get", err)
			checkAward(t, "current award", a, cur)
		}
	})

	t.Run("UpsertLearnersBatch", func(t *testing.T) {
		_, _, err := st.Learners().Upsert(ctx, credential.Learner{UserID: 801, Username: "old", Email: "old@example.org", IsActive: true})
		must(t, "Upsert", err)
		_, _, err = st.Learners().Upsert(ctx, credential.Learner{UserID: 803, Username: "same", IsActive: true})
		must(t, "Upsert", err)
		ls := []credential.Learner{
			{UserID: 801, FullName: "Ada", IsActive: true},
			{UserID: 802, Username: "new", IsActive: true},
			{UserID: 801, Email: "ada@example.org", IsActive: false},
			{UserID: 803, Username: "same", IsActive: true},
			{UserID: 802, FullName: "Bo", IsActive: true},
		}
		var out []credential.Learner
		must(t, "UpsertLearnersBatch", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			if none, err := bw.UpsertLearnersBatch(ctx, nil); err != nil || len(none) != 0 {
				return fmt.Errorf("empty batch: %v, %w", none, err)
			}
			out, err = bw.UpsertLearnersBatch(ctx, ls)
			return err
		}))
		want := []credential.Learner{
			{UserID: 801, Username: "old", Email: "old@example.org", FullName: "Ada", IsActive: true},
			{UserID: 802, Username: "new", IsActive: true},
			{UserID: 801, Username: "old", Email: "ada@example.org", FullName: "Ada", IsActive: false},
			{UserID: 803, Username: "same", IsActive: true},
			{UserID: 802, Username: "new", FullName: "Bo", IsActive: true},
		}
		if !slices.Equal(out, want) {
			t.Fatalf("UpsertLearnersBatch =\n%+v\nwant\n%+v", out, want)
		}
		for _, w := range []credential.Learner{want[2], want[3], want[4]} {
			got, err := st.Learners().Get(ctx, w.UserID)
			if err != nil || got != w {
				t.Errorf("stored learner = %+v, %v; want %+v", got, err, w)
			}
		}
		// Invalid: nothing stored.
		err = inTx(func(ctx context.Context, bw store.BatchWriter) error {
			_, err := bw.UpsertLearnersBatch(ctx, []credential.Learner{{UserID: 804, Username: "x"}, {UserID: 0}})
			return err
		})
		wantInvalid(t, "UpsertLearnersBatch(user 0)", err, "user_id")
		if _, err := st.Learners().Get(ctx, 804); !isNotFound(err) {
			t.Fatalf("an invalid batch stored a learner: %v", err)
		}
		// More learners than one statement holds.
		many := make([]credential.Learner, 600)
		for i := range many {
			many[i] = credential.Learner{UserID: int64(10000 + i), Username: fmt.Sprintf("u%d", i), IsActive: true}
		}
		must(t, "UpsertLearnersBatch(600)", inTx(func(ctx context.Context, bw store.BatchWriter) (err error) {
			out, err = bw.UpsertLearnersBatch(ctx, many)
			return err
		}))
		if got, err := st.Learners().Get(ctx, 10599); err != nil || got.Username != "u599" || len(out) != 600 {
			t.Fatalf("600 learners: last = %+v, %v (%d returned)", got, err, len(out))
		}
	})
}

var errNoBatch = errors.New("no BatchWriter")

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
