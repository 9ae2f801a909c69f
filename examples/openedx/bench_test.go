package main

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/google/uuid"
)

// BenchmarkEndToEnd measures the whole deployment on in-process peers:
// b.N passing-status events (one learner each, each earning the Python
// badge) are written to kfake as an LMS would, then the App consumes them,
// applies them in SQLite, issues every badge on the Credly fake and
// publishes badge.awarded. The time is from start to the last published
// badge event: events/s is that rate, applied/s the rate at which the
// consumer applied them. The events share one course key, hence one
// partition (Open edX keys passing-status events by course), so they are
// applied one after the other, as they would be in production.
func BenchmarkEndToEnd(b *testing.B) {
	b.Run("store=sqlite", func(b *testing.B) { benchEndToEnd(b, "") })
	b.Run("store=mysql", func(b *testing.B) { benchEndToEnd(b, mysqltest.DSN(b)) })
}

func benchEndToEnd(b *testing.B, mysqlDSN string) {
	var cl cleanups
	defer cl.run()
	ctx := context.Background()
	w, err := newFakeWorld(ctx, fakeOptions{Log: io.Discard, Dir: b.TempDir(), MySQLDSN: mysqlDSN}, &cl)
	if err != nil {
		b.Fatal(err)
	}
	p, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{
		Client:   kafkabus.ClientConfig{Brokers: w.cfg.Kafka.BootstrapServers, TopicPrefix: w.cfg.Bus.TopicPrefix},
		Registry: kafkabus.RegistryConfig{URLs: w.cfg.Kafka.SchemaRegistryURL}, Source: "openedx/lms/web",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var lastID string
	for i := range b.N {
		ev := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: true,
			Course: eventbus.CourseData{CourseKey: coursePY101, DisplayName: "Python 101"},
			User:   user(int64(10000+i), fmt.Sprintf("learner%d", i), "Learner")})
		ev.ID, ev.Time = uuid.NewString(), time.Now().UTC()
		lastID = ev.ID
		if err := p.Publish(ctx, eventbus.TopicBadgesLifecycle, ev); err != nil {
			b.Fatal(err)
		}
	}
	// The world's own ten events earn three badges too.
	want := b.N + 3
	b.ResetTimer()
	start := time.Now()
	app, err := NewApp(ctx, w.cfg, w.log, w.appOpts)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(rctx) }()
	var applied time.Duration
	for {
		if applied == 0 {
			// All events share the course key, hence the partition, so
			// the last one written is the last one applied.
			if ok, err := app.Store().Events().IsProcessed(ctx, w.cfg.Bus.ConsumerGroup, lastID); err == nil && ok {
				applied = time.Since(start)
			}
		}
		pub, _ := w.watch.snapshot()
		if pub[eventbus.TypeBadgeAwarded] >= want {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d badges published", pub[eventbus.TypeBadgeAwarded], want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(want)/elapsed.Seconds(), "events/s")
	if applied > 0 {
		b.ReportMetric(float64(want)/applied.Seconds(), "applied/s")
	}
}
