package kafkabus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
)

// collect reads every data point as "name{k=v,...}" → value.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var pts []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				pts = d.DataPoints
			case metricdata.Gauge[int64]:
				pts = d.DataPoints
			}
			for _, dp := range pts {
				var kv []string
				for _, a := range dp.Attributes.ToSlice() {
					kv = append(kv, fmt.Sprintf("%s=%s", a.Key, a.Value.String()))
				}
				sort.Strings(kv)
				out[m.Name+"{"+strings.Join(kv, ",")+"}"] += dp.Value
			}
		}
	}
	return out
}

// TestMetrics writes a poison message and nine events to a one-partition
// topic; the handler panics on the first event, fails the second
// permanently, accepts four and holds the seventh: the counters and the
// lag gauge must say so.
func TestMetrics(t *testing.T) {
	env := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	const prefix = "metrics"
	full := eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle)
	env.createTopic(full, 1)
	if err := env.client().ProduceSync(ctx, &kgo.Record{Topic: full, Value: []byte{0x02, 0x04, 'h', 'i'},
		Headers: []kgo.RecordHeader{{Key: "ce_id", Value: []byte("poison-1")}, {Key: "ce_type", Value: []byte(eventbus.TypeBadgeAwarded)}}}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	pub := env.publisher(prefix)
	events := eventbustest.Events(9, "k")
	for _, e := range events {
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	src := env.source(prefix, "g", func(c *kafkabus.SourceConfig) { c.Meter = meter })
	defer src.Close()
	lagKey := "credshare.bus.lag{group=g,partition=0,topic=" + full + ",transport=kafka}"
	// The client joins the group on its own; once it holds the partition,
	// a group without a commit lags by the whole partition.
	if n, ok := collect(t, reader)[lagKey]; ok && n != 10 {
		t.Fatalf("lag before reading = %d, want 10", n)
	}
	holding := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- src.Receive(ctx, func(ctx context.Context, e eventbus.Event) error {
			switch e.ID {
			case events[0].ID:
				panic("boom")
			case events[1].ID:
				return retry.Permanent(errors.New("no such course"))
			case events[6].ID:
				close(holding)
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
	}()
	select {
	case <-holding:
	case <-time.After(20 * time.Second):
		t.Fatal("handler never reached the seventh event")
	}
	got := collect(t, reader)
	for k, want := range map[string]int64{
		"credshare.bus.delivered{topic=" + full + ",transport=kafka}":                           4,
		"credshare.bus.dead_lettered{reason_kind=decode,topic=" + full + ",transport=kafka}":    1,
		"credshare.bus.dead_lettered{reason_kind=panic,topic=" + full + ",transport=kafka}":     1,
		"credshare.bus.dead_lettered{reason_kind=permanent,topic=" + full + ",transport=kafka}": 1,
		lagKey: 3, // the held event and the two after it
	} {
		if got[k] != want {
			t.Errorf("%s = %d, want %d\nall: %v", k, got[k], want, got)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(env.readAll(eventbus.DLQName(full))); n != 3 {
		t.Errorf("%d dead letters, want 3", n)
	}
	_ = src.Close()
	if _, ok := collect(t, reader)[lagKey]; ok {
		t.Error("a closed source still reports lag")
	}
}

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
