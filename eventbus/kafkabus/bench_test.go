package kafkabus_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceN writes n certificate/passing/badge events (Open edX framing and
// headers, distinct ce_id each) to the benchmark topic.
func produceN(b *testing.B, e *env, prefix string, n int, ts bool) {
	b.Helper()
	ctx := context.Background()
	pub := e.publisher(prefix)
	var templates []*kgo.Record
	for _, ev := range eventbustest.Events(9) {
		r, err := pub.Record(ctx, eventbus.TopicBadgesLifecycle, ev)
		if err != nil {
			b.Fatal(err)
		}
		templates = append(templates, r)
	}
	cl := e.client(kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100000))
	var wg sync.WaitGroup
	var perr atomic.Value
	for i := 0; i < n; i++ {
		t := templates[i%len(templates)]
		r := &kgo.Record{Topic: t.Topic, Key: t.Key, Value: t.Value, Headers: slices.Clone(t.Headers)}
		for j := range r.Headers {
			if r.Headers[j].Key == kafkabus.HeaderID {
				r.Headers[j].Value = []byte(uuid.NewString())
			}
		}
		if ts {
			r.Timestamp = time.Now()
		}
		wg.Add(1)
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				perr.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err, _ := perr.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSourceThroughput measures decode + dispatch through a kafkabus
// Source on kfake (3 partitions, one consumer, no-op handler): one op is
// one event. Run it with a fixed count, e.g. -benchtime 100000x.
func BenchmarkSourceThroughput(b *testing.B) {
	e := newEnv(b)
	prefix := fmt.Sprintf("bench%d", time.Now().UnixNano())
	e.createTopic(eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle), 3)
	produceN(b, e, prefix, b.N, false)
	src := e.source(prefix, "bench")
	defer src.Close()
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	go func() {
		defer close(done)
		_ = src.Receive(ctx, func(context.Context, eventbus.Event) error {
			if n.Add(1) == int64(b.N) {
				cancel()
			}
			return nil
		})
	}()
	<-done
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	// CPU time of the whole process (consumer, kfake broker, GC) per event:
	// independent of other load on the machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
}

// BenchmarkSourceLatency produces events at a steady rate (2,000/s) while a
// Source consumes them, and reports the end-to-end latency from the
// producer's timestamp to the handler call (p50, p99), which includes the
// producer's linger and the fetch wait.
func BenchmarkSourceLatency(b *testing.B) {
	e := newEnv(b)
	prefix := fmt.Sprintf("lat%d", time.Now().UnixNano())
	e.createTopic(eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle), 3)
	ctx := context.Background()
	pub := e.publisher(prefix)
	tmpl, err := pub.Record(ctx, eventbus.TopicBadgesLifecycle, eventbustest.Events(1)[0])
	if err != nil {
		b.Fatal(err)
	}
	src := e.source(prefix, "lat")
	defer src.Close()
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = src.Receive(rctx, func(_ context.Context, ev eventbus.Event) error {
			d := time.Since(ev.Msg.Timestamp)
			mu.Lock()
			lat = append(lat, d)
			if len(lat) == b.N {
				cancel()
			}
			mu.Unlock()
			return nil
		})
	}()
	cl := e.client(kgo.ProducerLinger(0))
	b.ResetTimer()
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	for i := 0; i < b.N; i++ {
		<-tick.C
		r := &kgo.Record{Topic: tmpl.Topic, Key: tmpl.Key, Value: tmpl.Value, Headers: slices.Clone(tmpl.Headers), Timestamp: time.Now()}
		for j := range r.Headers {
			if r.Headers[j].Key == kafkabus.HeaderID {
				r.Headers[j].Value = []byte(uuid.NewString())
			}
		}
		cl.Produce(ctx, r, nil)
	}
	<-done
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
