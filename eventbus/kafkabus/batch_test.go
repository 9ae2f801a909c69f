package kafkabus_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
)

// TestReceiveBatch checks the acknowledgement contract in batch mode on one
// partition: events come in order, in batches of at most MaxEvents; a
// poison record and an event the handler fails permanently are
// dead-lettered and the rest go on; an event that fails retryably is
// delivered again together with the events after it, and nothing is lost;
// a second consumer of the group then gets nothing (all acknowledged).
func TestReceiveBatch(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "batch"
	full := eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle)
	env.createTopic(full, 1)
	pub := env.publisher(prefix)
	evs := eventbustest.Events(10, "k")
	for i, e := range evs {
		if i == 4 {
			if err := env.client().ProduceSync(ctx, &kgo.Record{Topic: full, Value: []byte{0x02, 'x'},
				Headers: []kgo.RecordHeader{{Key: "ce_id", Value: []byte("poison")}}}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	retryable, permanent := evs[6].ID, evs[2].ID
	src := env.source(prefix, "g")
	defer src.Close()
	var (
		mu       sync.Mutex
		order    []string
		failed   bool
		maxBatch int
	)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- src.ReceiveBatch(rctx, func(_ context.Context, es []eventbus.Event) []error {
			mu.Lock()
			defer mu.Unlock()
			maxBatch = max(maxBatch, len(es))
			errs := make([]error, len(es))
			for i, e := range es {
				order = append(order, e.ID)
				switch {
				case e.ID == permanent:
					errs[i] = retry.Permanent(errors.New("cannot apply"))
				case e.ID == retryable && !failed:
					failed = true
					errs[i] = errors.New("database busy")
				}
			}
			if e := es[len(es)-1]; e.ID == evs[len(evs)-1].ID && failed {
				cancel()
			}
			return errs
		}, eventbus.BatchOptions{MaxEvents: 4, Linger: time.Millisecond})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("timed out; delivered %v", order)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxBatch > 4 {
		t.Errorf("a batch of %d events, want at most 4", maxBatch)
	}
	// Every event delivered in order; from the retryable one on, again.
	var want []string
	for _, e := range evs {
		want = append(want, e.ID)
	}
	i := slices.Index(order, retryable)
	if i < 0 || !slices.Equal(dedupe(order), want) {
		t.Fatalf("delivered %v, want every event in order", order)
	}
	if !slices.Contains(order[i+1:], retryable) {
		t.Errorf("the event that failed retryably was not delivered again: %v", order)
	}
	dl := env.readAll(eventbus.DLQName(full))
	var ids []string
	for _, r := range dl {
		ids = append(ids, header(r, "ce_id"))
	}
	slices.Sort(ids)
	if w := []string{permanent, "poison"}; !slices.Equal(ids, w) {
		t.Errorf("dead letters %v, want %v", ids, w)
	}
	// All acknowledged: a new consumer of the group gets nothing.
	src2 := env.source(prefix, "g")
	defer src2.Close()
	got := 0
	rctx2, cancel2 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel2()
	_ = src2.ReceiveBatch(rctx2, func(_ context.Context, es []eventbus.Event) []error {
		got += len(es)
		return make([]error, len(es))
	}, eventbus.BatchOptions{})
	if got != 0 {
		t.Errorf("a second consumer got %d events; the first did not acknowledge them", got)
	}
}

// dedupe keeps the first occurrence of each id, in order.
func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
