package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
)

// BenchmarkEndToEnd runs the pipeline behind a real bus: b.N
// passing-status events are written to Kafka (kfake, in process, one
// partition, as Open edX keys these events by course) by four producers
// while a kafkabus consumer group feeds them to the pipeline — batched
// (ReceiveBatch into HandleBatch, up to 256 events, 2ms linger) or one by
// one (Receive into Handler) — on SQLite or MariaDB. Every second event
// completes a badge (an award and two outbox rows). It reports events/s
// (first write to last commit), the latency from an event's write to the
// commit of its effects (p50, p99), the CPU time per event of this
// process (the producers, kfake and the pipeline; not MariaDB's server),
// the peak RSS (VmHWM) and the heap in use at the end.
//
// Unpaced, the producers outrun the consumer and the latencies measure the
// backlog; CREDSHARE_BENCH_RATE=<events/s> paces the producers to an
// offered load below capacity, for the latency an event sees then.
func BenchmarkEndToEnd(b *testing.B) {
	for _, mode := range []string{"batch", "single"} {
		b.Run("store=sqlite/"+mode, func(b *testing.B) { benchEndToEnd(b, openSQLite(b), mode == "batch") })
		b.Run("store=mariadb/"+mode, func(b *testing.B) { benchEndToEnd(b, mysqltest.Open(b), mode == "batch") })
	}
}

func benchEndToEnd(b *testing.B, st store.Store, batch bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	if err != nil {
		b.Fatal(err)
	}
	defer cluster.Close()
	reg := srfake.New()
	defer reg.Close()
	srcl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		b.Fatal(err)
	}
	client := kafkabus.ClientConfig{Brokers: cluster.ListenAddrs(), TopicPrefix: "bench"}
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: client, Registry: kafkabus.RegistryConfig{Client: srcl}})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	rules := loadRules(b, st)
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: rules, Logger: slog.New(slog.DiscardHandler),
		Providers: map[string]badge.Provider{"fake": &fakeProvider{}}, Publisher: &recordingPublisher{}})
	if err != nil {
		b.Fatal(err)
	}
	// One warm-up event creates the topic and registers the schema.
	warm := passing("warm-up", user(1_000_000, "w@example.org"), pyCourse, true, t0)
	if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, warm); err != nil {
		b.Fatal(err)
	}
	src, err := kafkabus.NewSource(kafkabus.SourceConfig{Client: client, Registry: kafkabus.RegistryConfig{Client: srcl},
		Group: "bench", Topics: []string{eventbus.TopicBadgesLifecycle},
		FetchMaxWait: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()

	n := b.N
	written := make([]atomic.Int64, n) // unix nanos of each event's write
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var committed atomic.Int64
	allDone := make(chan struct{})
	record := func(es []eventbus.Event, errs []error) {
		now := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		for i, e := range es {
			if errs[i] != nil {
				b.Errorf("event %s: %v", e.ID, errs[i])
				continue
			}
			k, ok := strings.CutPrefix(e.ID, "e2e-")
			if !ok {
				continue
			}
			j, _ := strconv.Atoi(k)
			lat = append(lat, time.Duration(now-written[j].Load()))
			if committed.Add(1) == int64(n) {
				close(allDone)
			}
		}
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		if batch {
			h := p.BatchHandler()
			done <- src.ReceiveBatch(rctx, func(ctx context.Context, es []eventbus.Event) []error {
				errs := h(ctx, es)
				record(es, errs)
				return errs
			}, eventbus.BatchOptions{MaxEvents: 256, Linger: 2 * time.Millisecond})
			return
		}
		h := p.Handler()
		done <- src.Receive(rctx, func(ctx context.Context, e eventbus.Event) error {
			err := h(ctx, e)
			record([]eventbus.Event{e}, []error{err})
			return err
		})
	}()

	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	const producers = 4
	rate, _ := strconv.ParseFloat(os.Getenv("CREDSHARE_BENCH_RATE"), 64)
	var wg sync.WaitGroup
	for w := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += producers {
				learner := int64(i/2 + 1)
				course := pyCourse
				if i%2 == 1 {
					course = dataCourse
				}
				ev := passing(fmt.Sprintf("e2e-%d", i), user(learner, fmt.Sprintf("l%d@example.org", learner)), course, true, t0)
				ev.Key = "course-v1:bench" // one partition, as Open edX keys by course
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
				}
				written[i].Store(time.Now().UnixNano())
				if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, ev); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-allDone:
	case <-ctx.Done():
		b.Fatalf("timed out with %d of %d committed", committed.Load(), n)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	slices.Sort(lat)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/event")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(rss, "peak-rss-MB")
	}
	if s := p.Stats(); s.Applied < int64(n) {
		b.Fatalf("applied %d of %d", s.Applied, n)
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in MiB, or 0
// where /proc is not there.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
