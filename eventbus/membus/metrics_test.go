package membus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/membus"
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

// TestMetrics publishes ten events on one partition; the handler rejects
// the first three (decode error, panic, permanent error), accepts four and
// holds the eighth: the counters and the lag gauge must say so.
func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	bus := membus.New(membus.Config{Partitions: 1, TopicPrefix: "m"})
	defer bus.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := eventbustest.Events(10, "k")
	for _, e := range events {
		if err := bus.Publish(ctx, topic, e); err != nil {
			t.Fatal(err)
		}
	}
	src, err := bus.NewSource(membus.SourceConfig{Group: "g", Topics: []string{topic}, Meter: meter})
	if err != nil {
		t.Fatal(err)
	}
	full := "m-" + topic
	lagKey := "credshare.bus.lag{group=g,partition=0,topic=" + full + ",transport=mem}"
	if got := collect(t, reader)[lagKey]; got != 10 {
		t.Fatalf("lag before reading = %d, want 10", got)
	}
	holding := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- src.Receive(ctx, func(ctx context.Context, e eventbus.Event) error {
			switch e.ID {
			case events[0].ID:
				return eventbus.DecodeError("garbage")
			case events[1].ID:
				panic("boom")
			case events[2].ID:
				return retry.Permanent(errors.New("no such course"))
			case events[7].ID:
				close(holding)
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
	}()
	select {
	case <-holding:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never reached the eighth event")
	}
	got := collect(t, reader)
	for k, want := range map[string]int64{
		"credshare.bus.delivered{topic=" + full + ",transport=mem}":                           4,
		"credshare.bus.dead_lettered{reason_kind=decode,topic=" + full + ",transport=mem}":    1,
		"credshare.bus.dead_lettered{reason_kind=panic,topic=" + full + ",transport=mem}":     1,
		"credshare.bus.dead_lettered{reason_kind=permanent,topic=" + full + ",transport=mem}": 1,
		lagKey: 3,
	} {
		if got[k] != want {
			t.Errorf("%s = %d, want %d\nall: %v", k, got[k], want, got)
		}
	}
	if n := len(bus.DeadLetters(full)); n != 3 {
		t.Errorf("%d dead letters, want 3", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := collect(t, reader)[lagKey]; got != 3 {
		t.Errorf("lag after stopping = %d, want 3 (the held event was not acknowledged)", got)
	}
	_ = src.Close()
	if _, ok := collect(t, reader)[lagKey]; ok {
		t.Error("a closed source still reports lag")
	}
}

func TestLagWithoutMeterOnEmptyTopic(t *testing.T) {
	bus := membus.New(membus.Config{Partitions: 2})
	src, err := bus.NewSource(membus.SourceConfig{Group: "g", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	if l := src.Lag(); len(l) != 2 || l[0].Messages != 0 || l[1].Messages != 0 {
		t.Fatalf("Lag of an empty topic = %+v", l)
	}
	_ = src.Close()
}
