package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
)

func (s suite) outbox(t *testing.T) {
	t.Run("Enqueue", s.outboxEnqueue)
	t.Run("ClaimOrderAndLease", s.outboxClaim)
	t.Run("ClaimMixesExpiredLeases", s.outboxClaimMix)
	t.Run("Settle", s.outboxSettle)
	t.Run("DeadAndRequeue", s.outboxDead)
	t.Run("RaceClaimOnce", s.outboxRace)
	t.Run("TraceParent", s.outboxTraceParent)
}

// outboxTraceParent: an item's trace context comes back as stored from
// Get, Claim and ListDead; an item without one gives ""; an oversized one
// is refused.
func (s suite) outboxTraceParent(t *testing.T) {
	ctx := t.Context()
	ob := s.open(t).Outbox()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	with := item("tp1", time.Time{})
	with.TraceParent = tp
	idWith, _, err := ob.Enqueue(ctx, with)
	must(t, "Enqueue(with trace parent)", err)
	idWithout, _, err := ob.Enqueue(ctx, item("tp2", time.Time{}))
	must(t, "Enqueue(without trace parent)", err)
	want := map[int64]string{idWith: tp, idWithout: ""}
	for id, w := range want {
		got, err := ob.Get(ctx, id)
		must(t, "Get", err)
		if got.TraceParent != w {
			t.Errorf("Get(%d).TraceParent = %q, want %q", id, got.TraceParent, w)
		}
	}
	claimed, err := ob.Claim(ctx, "tracer", time.Now().Add(time.Second), time.Minute, 10)
	must(t, "Claim", err)
	if len(claimed) != 2 {
		t.Fatalf("Claim = %d items, want 2", len(claimed))
	}
	for _, it := range claimed {
		if it.TraceParent != want[it.ID] {
			t.Errorf("Claim: item %d TraceParent = %q, want %q", it.ID, it.TraceParent, want[it.ID])
		}
	}
	must(t, "Kill", ob.Kill(ctx, idWith, "tracer", "gone"))
	dead, err := ob.ListDead(ctx, 0, 10)
	must(t, "ListDead", err)
	if len(dead) != 1 || dead[0].TraceParent != tp {
		t.Fatalf("ListDead = %+v, want item %d with TraceParent %q", dead, idWith, tp)
	}
	long := item("tp3", time.Time{})
	long.TraceParent = strings.Repeat("a", store.MaxTraceParent+1)
	_, _, err = ob.Enqueue(ctx, long)
	wantInvalid(t, "Enqueue(oversized trace parent)", err, "trace_parent")
}

func item(key string, notBefore time.Time) store.OutboxItem {
	return store.OutboxItem{Kind: "badge.issue", Target: "credly", IdempotencyKey: key,
		Payload: []byte(`{"key":"` + key + `"}`), NotBefore: notBefore}
}

func (s suite) outboxEnqueue(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()

	_, err := ob.Get(ctx, 12345)
	wantErr(t, "Get(missing)", err, store.ErrNotFound)

	id, enq, err := ob.Enqueue(ctx, store.OutboxItem{Kind: "badge.issue", Target: "credly", IdempotencyKey: "k1",
		Payload: []byte(`{"award":"a1","n":1}`)})
	if err != nil || !enq || id <= 0 {
		t.Fatalf("Enqueue = %d, %v, %v", id, enq, err)
	}
	it, err := ob.Get(ctx, id)
	must(t, "Get", err)
	if it.ID != id || it.Kind != "badge.issue" || it.Target != "credly" || it.IdempotencyKey != "k1" ||
		it.Status != store.OutboxPending || it.Attempts != 0 || it.LeaseOwner != "" || it.LastError != "" {
		t.Fatalf("Get = %+v", it)
	}
	checkJSON(t, "Payload", it.Payload, []byte(`{"award":"a1","n":1}`))
	recent(t, "CreatedAt", it.CreatedAt)
	if !it.NotBefore.IsZero() {
		recent(t, "NotBefore (due now when not given)", it.NotBefore)
	}
	if got, err := ob.Claim(ctx, "peek", time.Now().Add(time.Second), time.Nanosecond, 10); err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("an item enqueued without NotBefore is not due at once: %v, %v", itemIDs(got), err)
	}

	// The same key again: same id, nothing changed.
	id2, enq, err := ob.Enqueue(ctx, store.OutboxItem{Kind: "badge.revoke", Target: "accredible", IdempotencyKey: "k1",
		Payload: []byte(`{"other":true}`)})
	if err != nil || enq || id2 != id {
		t.Fatalf("Enqueue(same key) = %d, %v, %v; want %d, false", id2, enq, err, id)
	}
	again, _ := ob.Get(ctx, id)
	if again.Attempts != 1 || again.Status != store.OutboxLeased {
		t.Fatalf("after the peek claim: %+v", again)
	}
	if again.Kind != "badge.issue" || again.Target != "credly" || !jsonEqual(again.Payload, it.Payload) {
		t.Fatalf("Enqueue(same key) changed the item: %+v", again)
	}
	id3, enq, err := ob.Enqueue(ctx, item("k2", time.Time{}))
	if err != nil || !enq || id3 == id {
		t.Fatalf("Enqueue(k2) = %d, %v, %v", id3, enq, err)
	}
	// The returned payload is a copy.
	again.Payload[0] = '['
	if it, _ := ob.Get(ctx, id); !jsonEqual(it.Payload, []byte(`{"award":"a1","n":1}`)) {
		t.Fatalf("stored payload aliased: %s", it.Payload)
	}

	_, _, err = ob.Enqueue(ctx, store.OutboxItem{Target: "credly", IdempotencyKey: "k9", Payload: []byte(`{}`)})
	wantInvalid(t, "Enqueue(no kind)", err, "kind")
	_, _, err = ob.Enqueue(ctx, store.OutboxItem{Kind: "badge.issue", Target: "credly", Payload: []byte(`{}`)})
	wantInvalid(t, "Enqueue(no idempotency key)", err, "idempotency")

	st2, err := ob.Stats(ctx)
	if err != nil || st2.Pending != 2 || st2.Dead != 0 {
		t.Fatalf("Stats = %+v, %v", st2, err)
	}
	checkTime(t, "Stats.OldestPending", st2.OldestPending, it.CreatedAt)
}

func (s suite) outboxClaim(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()
	t0 := base()
	// Enqueued in a different order than they are due.
	ids := map[string]int64{}
	for _, k := range []struct {
		key string
		off time.Duration
	}{{"b", 2 * time.Second}, {"a", 0}, {"c", 3 * time.Second}, {"later", time.Hour}} {
		id, _, err := ob.Enqueue(ctx, item(k.key, t0.Add(k.off)))
		must(t, "Enqueue", err)
		ids[k.key] = id
	}
	other := item("other-target", t0)
	other.Target = "accredible"
	idOther, _, err := ob.Enqueue(ctx, other)
	must(t, "Enqueue", err)

	if got, err := ob.Claim(ctx, "w0", t0.Add(-time.Second), time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("Claim before anything is due = %v, %v", got, err)
	}

	now := t0.Add(10 * time.Second)
	got, err := ob.Claim(ctx, "w1", now, time.Minute, 2, "credly")
	must(t, "Claim", err)
	if keys := itemKeys(got); !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("Claim(limit 2, credly) = %v, want [a b] (oldest NotBefore first)", keys)
	}
	for _, it := range got {
		if it.Status != store.OutboxLeased || it.LeaseOwner != "w1" || it.Attempts != 1 {
			t.Errorf("claimed item = %+v", it)
		}
		checkTime(t, "LeaseUntil", it.LeaseUntil, now.Add(time.Minute))
		checkJSON(t, "claimed Payload", it.Payload, []byte(`{"key":"`+it.IdempotencyKey+`"}`))
	}
	if stored, _ := ob.Get(ctx, ids["a"]); stored.Status != store.OutboxLeased || stored.LeaseOwner != "w1" || stored.Attempts != 1 {
		t.Fatalf("Get after Claim = %+v", stored)
	}

	// While the leases hold, others get only what is left.
	got, err = ob.Claim(ctx, "w2", now.Add(30*time.Second), time.Minute, 10)
	must(t, "Claim", err)
	if keys := itemKeys(got); !slices.Equal(keys, []string{"other-target", "c"}) {
		t.Fatalf("second Claim = %v, want [other-target c]", keys)
	}
	if got, _ := ob.Claim(ctx, "w3", now.Add(30*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("Claim while every lease holds = %v", itemKeys(got))
	}
	if got, _ := ob.Claim(ctx, "w3", now.Add(30*time.Second), time.Minute, 10, "nobody"); len(got) != 0 {
		t.Fatalf("Claim(unknown target) = %v", itemKeys(got))
	}

	// w1's lease expires at now+1m: the items become claimable again, with
	// one more attempt; w2's leases (until now+1m30s) still hold.
	got, err = ob.Claim(ctx, "w3", now.Add(time.Minute), time.Minute, 10)
	must(t, "Claim after expiry", err)
	if keys := itemKeys(got); !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("Claim after w1's lease expired = %v, want [a b]", keys)
	}
	for _, it := range got {
		if it.LeaseOwner != "w3" || it.Attempts != 2 {
			t.Errorf("re-claimed item = %+v", it)
		}
	}
	// The former owner lost the lease.
	wantErr(t, "Complete by the expired owner", ob.Complete(ctx, ids["a"], "w1"), store.ErrConflict)
	must(t, "Complete by the new owner", ob.Complete(ctx, ids["a"], "w3"))
	must(t, "Complete(other target)", ob.Complete(ctx, idOther, "w2"))
	_ = ids
}

// outboxClaimMix: expired leases and pending items are handed out together,
// oldest NotBefore first.
func (s suite) outboxClaimMix(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()
	t0 := base()
	for i, key := range []string{"p1", "p2", "p3", "p4"} {
		it := item(key, t0.Add(time.Duration(i)*time.Second))
		if key == "p3" {
			it.Target = "x"
		}
		_, _, err := ob.Enqueue(ctx, it)
		must(t, "Enqueue", err)
	}
	if got, err := ob.Claim(ctx, "w1", t0.Add(5*time.Second), 10*time.Second, 10, "x"); err != nil || !slices.Equal(itemKeys(got), []string{"p3"}) {
		t.Fatalf("Claim(target x) = %v, %v", itemKeys(got), err)
	}
	if got, err := ob.Claim(ctx, "w1", t0.Add(5*time.Second), 10*time.Second, 1); err != nil || !slices.Equal(itemKeys(got), []string{"p1"}) {
		t.Fatalf("Claim(limit 1) = %v, %v", itemKeys(got), err)
	}
	got, err := ob.Claim(ctx, "w2", t0.Add(30*time.Second), time.Minute, 10)
	must(t, "Claim", err)
	if keys := itemKeys(got); !slices.Equal(keys, []string{"p1", "p2", "p3", "p4"}) {
		t.Fatalf("Claim after the leases expired = %v, want [p1 p2 p3 p4]", keys)
	}
	if got, _ := ob.Claim(ctx, "w3", t0.Add(31*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("Claim while w2 holds everything = %v", itemKeys(got))
	}
}

func itemKeys(items []store.OutboxItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.IdempotencyKey)
	}
	return out
}

func (s suite) outboxSettle(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()
	t0 := base()
	var ids []int64
	for i := range 3 {
		id, _, err := ob.Enqueue(ctx, item(fmt.Sprint("s", i), t0.Add(time.Duration(i)*time.Millisecond)))
		must(t, "Enqueue", err)
		ids = append(ids, id)
	}
	missing := ids[2] + 1000

	// Settling an item that is not leased (or unknown) fails.
	wantErr(t, "Complete(pending)", ob.Complete(ctx, ids[0], "w"), store.ErrConflict)
	wantErr(t, "Complete(unknown)", ob.Complete(ctx, missing, "w"), store.ErrNotFound)
	wantErr(t, "Reschedule(unknown)", ob.Reschedule(ctx, missing, "w", t0, "x"), store.ErrNotFound)
	wantErr(t, "Kill(unknown)", ob.Kill(ctx, missing, "w", "x"), store.ErrNotFound)

	got, err := ob.Claim(ctx, "w", t0.Add(time.Second), time.Hour, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("Claim = %d items, %v", len(got), err)
	}
	// Non-owners are refused.
	wantErr(t, "Complete by a non-owner", ob.Complete(ctx, ids[0], "intruder"), store.ErrConflict)
	wantErr(t, "Reschedule by a non-owner", ob.Reschedule(ctx, ids[1], "intruder", t0, "x"), store.ErrConflict)
	wantErr(t, "Kill by a non-owner", ob.Kill(ctx, ids[2], "intruder", "x"), store.ErrConflict)

	// Complete.
	must(t, "Complete", ob.Complete(ctx, ids[0], "w"))
	if it, _ := ob.Get(ctx, ids[0]); it.Status != store.OutboxDone {
		t.Fatalf("completed item = %+v", it)
	}
	wantErr(t, "Complete(done)", ob.Complete(ctx, ids[0], "w"), store.ErrConflict)

	// Reschedule: pending again, not before at, with the error kept.
	at := t0.Add(time.Hour)
	must(t, "Reschedule", ob.Reschedule(ctx, ids[1], "w", at, "HTTP 503"))
	it, _ := ob.Get(ctx, ids[1])
	if it.Status != store.OutboxPending || it.LastError != "HTTP 503" || it.Attempts != 1 {
		t.Fatalf("rescheduled item = %+v", it)
	}
	checkTime(t, "NotBefore after Reschedule", it.NotBefore, at)
	wantErr(t, "Complete(rescheduled)", ob.Complete(ctx, ids[1], "w"), store.ErrConflict)
	if got, _ := ob.Claim(ctx, "w2", at.Add(-time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("rescheduled item claimed before its time: %v", itemKeys(got))
	}
	got, _ = ob.Claim(ctx, "w2", at, time.Minute, 10)
	if len(got) != 1 || got[0].ID != ids[1] || got[0].Attempts != 2 {
		t.Fatalf("Claim at the rescheduled time = %+v", got)
	}

	// Kill.
	must(t, "Kill", ob.Kill(ctx, ids[2], "w", "HTTP 400: bad badge template"))
	it, _ = ob.Get(ctx, ids[2])
	if it.Status != store.OutboxDead || it.LastError != "HTTP 400: bad badge template" {
		t.Fatalf("killed item = %+v", it)
	}
	wantErr(t, "Kill(dead)", ob.Kill(ctx, ids[2], "w", "again"), store.ErrConflict)

	stats, err := ob.Stats(ctx)
	if err != nil || stats.Pending != 1 || stats.Dead != 1 {
		t.Fatalf("Stats = %+v, %v; want 1 pending (leased), 1 dead", stats, err)
	}
	must(t, "Complete", ob.Complete(ctx, ids[1], "w2"))
	if stats, _ := ob.Stats(ctx); stats.Pending != 0 || !stats.OldestPending.IsZero() {
		t.Fatalf("Stats with nothing pending = %+v", stats)
	}
}

func (s suite) outboxDead(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()
	t0 := base()
	var dead []int64
	for i := range 5 {
		id, _, err := ob.Enqueue(ctx, item(fmt.Sprint("d", i), t0))
		must(t, "Enqueue", err)
		if i != 2 {
			dead = append(dead, id)
		}
	}
	got, err := ob.Claim(ctx, "w", t0, time.Minute, 10)
	if err != nil || len(got) != 5 {
		t.Fatalf("Claim = %d, %v", len(got), err)
	}
	for _, id := range dead {
		must(t, "Kill", ob.Kill(ctx, id, "w", fmt.Sprint("reason ", id)))
	}

	list, err := ob.ListDead(ctx, 0, 0)
	must(t, "ListDead", err)
	if gotIDs := itemIDs(list); !slices.Equal(gotIDs, dead) {
		t.Fatalf("ListDead = %v, want %v", gotIDs, dead)
	}
	if list[0].LastError != fmt.Sprint("reason ", dead[0]) || list[0].Status != store.OutboxDead {
		t.Errorf("dead item = %+v", list[0])
	}
	page, _ := ob.ListDead(ctx, 0, 2)
	if gotIDs := itemIDs(page); !slices.Equal(gotIDs, dead[:2]) {
		t.Fatalf("ListDead(limit 2) = %v", gotIDs)
	}
	page, _ = ob.ListDead(ctx, dead[1], 2)
	if gotIDs := itemIDs(page); !slices.Equal(gotIDs, dead[2:4]) {
		t.Fatalf("ListDead(after %d, limit 2) = %v, want %v", dead[1], gotIDs, dead[2:4])
	}
	if page, _ := ob.ListDead(ctx, dead[3], 10); len(page) != 0 {
		t.Fatalf("ListDead past the end = %v", itemIDs(page))
	}

	// Requeue.
	live := got[2].ID
	wantErr(t, "Requeue(leased)", ob.Requeue(ctx, live, t0), store.ErrConflict)
	wantErr(t, "Requeue(unknown)", ob.Requeue(ctx, dead[3]+1000, t0), store.ErrNotFound)
	must(t, "Complete", ob.Complete(ctx, live, "w"))
	wantErr(t, "Requeue(done)", ob.Requeue(ctx, live, t0), store.ErrConflict)
	now := t0.Add(time.Hour)
	must(t, "Requeue", ob.Requeue(ctx, dead[0], now))
	it, _ := ob.Get(ctx, dead[0])
	if it.Status != store.OutboxPending || it.Attempts != 0 {
		t.Fatalf("requeued item = %+v", it)
	}
	checkTime(t, "requeued NotBefore", it.NotBefore, now)
	wantErr(t, "Requeue(again)", ob.Requeue(ctx, dead[0], now), store.ErrConflict)
	if list, _ := ob.ListDead(ctx, 0, 0); len(list) != len(dead)-1 {
		t.Fatalf("ListDead after Requeue = %v", itemIDs(list))
	}
	claimed, _ := ob.Claim(ctx, "w2", now, time.Minute, 10)
	if len(claimed) != 1 || claimed[0].ID != dead[0] || claimed[0].Attempts != 1 {
		t.Fatalf("Claim after Requeue = %+v", claimed)
	}
	if stats, _ := ob.Stats(ctx); stats.Dead != len(dead)-1 || stats.Pending != 1 {
		t.Fatalf("Stats = %+v", stats)
	}
}

func itemIDs(items []store.OutboxItem) []int64 {
	out := []int64{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// outboxRace: 8 workers claim until nothing is left; every item is claimed
// by exactly one of them.
func (s suite) outboxRace(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ob := st.Outbox()
	t0 := base()
	n := s.o.outboxItems
	want := make([]int64, 0, n)
	for i := range n {
		id, _, err := ob.Enqueue(ctx, item(fmt.Sprint("race-", i), t0.Add(-time.Duration(i%7)*time.Second)))
		must(t, "Enqueue", err)
		want = append(want, id)
	}
	var mu sync.Mutex
	owner := map[int64]string{}
	var dup []string
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			name := fmt.Sprint("worker-", w)
			for range n { // bounded: a store that hands items out twice must not spin forever
				got, err := ob.Claim(ctx, name, t0, time.Hour, 3)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					if prev, ok := owner[it.ID]; ok {
						dup = append(dup, fmt.Sprintf("item %d claimed by %s and %s", it.ID, prev, name))
					}
					owner[it.ID] = name
				}
				stop := len(dup) > 0
				mu.Unlock()
				if stop {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Claim: %v", err)
	}
	if len(dup) > 0 {
		t.Fatalf("items claimed twice: %v", dup)
	}
	if len(owner) != n {
		t.Fatalf("%d of %d items claimed", len(owner), n)
	}
	for _, id := range want {
		if err := ob.Complete(ctx, id, owner[id]); err != nil {
			t.Fatalf("Complete(%d) by its claimer: %v", id, err)
		}
	}
	if stats, _ := ob.Stats(ctx); stats.Pending != 0 {
		t.Fatalf("Stats after completing all = %+v", stats)
	}
}
