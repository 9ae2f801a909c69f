package kafkabus_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
)

// TestLagFromCommittedOffset: a second consumer of the group, which has
// handled nothing itself, measures its lag from the group's commit.
func TestLagFromCommittedOffset(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "lagcommit"
	full := eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle)
	env.createTopic(full, 1)
	pub := env.publisher(prefix)
	events := eventbustest.Events(5, "k")
	for _, e := range events {
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	run := func(stopAfter int, check func(*kafkabus.Source)) {
		t.Helper()
		src := env.source(prefix, "g", func(c *kafkabus.SourceConfig) {
			c.Meter = sdkmetric.NewMeterProvider().Meter("test")
		})
		defer src.Close()
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		n := 0
		reached := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- src.Receive(rctx, func(ctx context.Context, e eventbus.Event) error {
				if n == stopAfter {
					close(reached)
					<-ctx.Done()
					return ctx.Err()
				}
				n++
				return nil
			})
		}()
		select {
		case <-reached:
		case <-time.After(20 * time.Second):
			t.Fatal("handler not reached")
		}
		check(src)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	lagOf := func(src *kafkabus.Source) int64 {
		t.Helper()
		l, err := src.Lag(ctx)
		if err != nil || len(l) != 1 || l[0].Topic != full || l[0].Partition != 0 {
			t.Fatalf("Lag = %+v, %v", l, err)
		}
		return l[0].Messages
	}
	run(2, func(src *kafkabus.Source) {
		if got := lagOf(src); got != 3 {
			t.Fatalf("first consumer: lag %d, want 3", got)
		}
	})
	// The first consumer committed offset 2 on its way out; the second one
	// is handed the third event and holds it before handling anything.
	run(0, func(src *kafkabus.Source) {
		if got := lagOf(src); got != 3 {
			t.Fatalf("second consumer: lag %d, want 3", got)
		}
	})
}
