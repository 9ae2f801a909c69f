package redisbus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/redisbus"
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

// Count 100 reads the whole stream in one batch, so the lag is all pending
// entries; Count 2 leaves entries undelivered, which only a server with
// XINFO GROUPS "lag" (Redis 7) can count.
func TestMetricsMiniredis(t *testing.T)               { testMetrics(t, miniBackend(t), 100) }
func TestMetricsRedisServerSmallBatches(t *testing.T) { testMetrics(t, realBackend(t), 2) }
func TestMetricsRedisServerOneBatch(t *testing.T)     { testMetrics(t, realBackend(t), 100) }

// testMetrics writes a poison entry and nine events to one stream; the
// handler panics on the first event, fails the second permanently, accepts
// four and holds the seventh: the counters and the lag gauge must say so.
func testMetrics(t *testing.T, rdb redis.UniversalClient, count int64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	prefix := fmt.Sprintf("m%d-%d", time.Now().UnixNano(), seq.Add(1))
	h := &harness{rdb: rdb, prefix: prefix}
	stream := h.stream()
	t.Cleanup(func() { rdb.Del(context.Background(), stream, eventbus.DLQName(stream)) })
	pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: rdb, TopicPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", eventbus.TypeBadgeAwarded, "id", "poison-1", "event_data", "\x02"}}).Err(); err != nil {
		t.Fatal(err)
	}
	events := eventbustest.Events(9, "k")
	for _, e := range events {
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sourceConfig(rdb, prefix, "g", "c1")
	cfg.Count, cfg.ClaimMinIdle, cfg.ClaimInterval, cfg.Meter = count, time.Minute, 0, meter
	src, err := redisbus.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	lagKey := "credshare.bus.lag{group=g,topic=" + stream + ",transport=redis}"
	if _, ok := collect(t, reader)[lagKey]; ok {
		t.Fatal("lag reported before the group exists")
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
	case <-time.After(10 * time.Second):
		t.Fatal("handler never reached the seventh event")
	}
	got := collect(t, reader)
	for k, want := range map[string]int64{
		"credshare.bus.delivered{topic=" + stream + ",transport=redis}":                           4,
		"credshare.bus.dead_lettered{reason_kind=decode,topic=" + stream + ",transport=redis}":    1,
		"credshare.bus.dead_lettered{reason_kind=panic,topic=" + stream + ",transport=redis}":     1,
		"credshare.bus.dead_lettered{reason_kind=permanent,topic=" + stream + ",transport=redis}": 1,
		lagKey: 3, // the held event and the two after it
	} {
		if got[k] != want {
			t.Errorf("%s = %d, want %d\nall: %v", k, got[k], want, got)
		}
	}
	if n, _ := rdb.XLen(ctx, eventbus.DLQName(stream)).Result(); n != 3 {
		t.Errorf("%d dead letters, want 3", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = src.Close()
	if _, ok := collect(t, reader)[lagKey]; ok {
		t.Error("a closed source still reports lag")
	}
}
