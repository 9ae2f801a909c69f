package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/outbox"
)

func enqueue(t *testing.T, st store.Store, n int, target string) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		id, _, err := st.Outbox().Enqueue(context.Background(), store.OutboxItem{Kind: "k", Target: target,
			IdempotencyKey: fmt.Sprintf("%s-%d", target, i), Payload: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// Stopping a dispatcher hands claimed-but-unstarted items back at once, and
// lets the call in flight finish and record its outcome.
func TestDispatcherStopReleasesUnstartedItems(t *testing.T) {
	st := memstore.New()
	ids := enqueue(t, st, 3, "slow")
	d, err := outbox.NewDispatcher(outbox.Config{Store: st, Logger: slog.New(slog.DiscardHandler),
		Limits: map[string]outbox.Limits{"slow": {Concurrency: 1}}, Lease: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 3)
	release := make(chan struct{})
	d.Handle("k", func(ctx context.Context, it store.OutboxItem) error {
		started <- struct{}{}
		<-release
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	<-started
	cancel()
	time.Sleep(20 * time.Millisecond) // let Run notice the cancellation while the call blocks
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var doneItems, pending int
	for _, id := range ids {
		it, err := st.Outbox().Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch it.Status {
		case store.OutboxDone:
			doneItems++
		case store.OutboxPending:
			pending++
		default:
			t.Errorf("item %d is %s after stop (lease owner %q)", id, it.Status, it.LeaseOwner)
		}
	}
	if doneItems != 1 || pending != 2 {
		t.Fatalf("done %d pending %d, want 1 and 2", doneItems, pending)
	}
}

// Per-target concurrency is never exceeded.
func TestDispatcherPerTargetConcurrency(t *testing.T) {
	st := memstore.New()
	enqueue(t, st, 12, "a")
	enqueue(t, st, 12, "b")
	d, err := outbox.NewDispatcher(outbox.Config{Store: st, Logger: slog.New(slog.DiscardHandler),
		Limits: map[string]outbox.Limits{"a": {Concurrency: 2}, "b": {Concurrency: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	var inA, inB, maxA, maxB atomic.Int32
	track := func(cur, max *atomic.Int32) func() {
		n := cur.Add(1)
		for {
			m := max.Load()
			if n <= m || max.CompareAndSwap(m, n) {
				break
			}
		}
		return func() { cur.Add(-1) }
	}
	d.Handle("k", func(ctx context.Context, it store.OutboxItem) error {
		var end func()
		if it.Target == "a" {
			end = track(&inA, &maxA)
		} else {
			end = track(&inB, &maxB)
		}
		defer end()
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	n, err := d.Drain(context.Background())
	if err != nil || n != 24 {
		t.Fatalf("drained %d, %v", n, err)
	}
	if maxA.Load() > 2 || maxB.Load() > 3 || maxA.Load() < 1 {
		t.Fatalf("max in flight a=%d b=%d, limits 2 and 3", maxA.Load(), maxB.Load())
	}
}

func TestNewDispatcherValidates(t *testing.T) {
	if _, err := outbox.NewDispatcher(outbox.Config{}); err == nil {
		t.Fatal("no store accepted")
	}
	if _, err := outbox.NewDispatcher(outbox.Config{Store: memstore.New(), MinBackoff: time.Second, MaxBackoff: time.Millisecond}); err == nil {
		t.Fatal("MaxBackoff < MinBackoff accepted")
	}
}
