package pipeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

// benchPipeline measures Pipeline.Handle end to end with exactly-once
// effects: each event is its own transaction (processed-event mark, PII
// refresh, rules, progress, awards, outbox rows). Every second event
// completes a badge for its learner, so half the events write an award and
// two outbox rows.
func benchPipeline(b *testing.B, st store.Store) {
	ctx := context.Background()
	rules := loadRules(b, st)
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: rules, Logger: slog.New(slog.DiscardHandler),
		Providers: map[string]badge.Provider{"fake": &fakeProvider{}}, Publisher: &recordingPublisher{}})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]eventbus.Event, b.N)
	for i := range evs {
		learner := int64(i/2 + 1)
		course := pyCourse
		if i%2 == 1 {
			course = dataCourse
		}
		evs[i] = passing(fmt.Sprintf("bench-%d", i), user(learner, fmt.Sprintf("l%d@example.org", learner)), course, true,
			t0.Add(time.Duration(i)*time.Second))
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := range evs {
		if err := p.Handle(ctx, evs[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
	if s := p.Stats(); s.Applied != int64(b.N) {
		b.Fatalf("applied %d of %d", s.Applied, b.N)
	}
}

func BenchmarkPipelineMemstore(b *testing.B) { benchPipeline(b, memstore.New()) }

func BenchmarkPipelineSQLite(b *testing.B) {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchPipeline(b, st)
}

func BenchmarkPipelineMariaDB(b *testing.B) { benchPipeline(b, mysqltest.Open(b)) }

// benchPipelineBatch is benchPipeline through HandleBatch, 256 events a
// batch.
func benchPipelineBatch(b *testing.B, st store.Store, stmts func() int64) {
	ctx := context.Background()
	rules := loadRules(b, st)
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: rules, Logger: benchLogger(),
		Providers: map[string]badge.Provider{"fake": &fakeProvider{}}, Publisher: &recordingPublisher{}})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]eventbus.Event, b.N)
	for i := range evs {
		learner := int64(i/2 + 1)
		course := pyCourse
		if i%2 == 1 {
			course = dataCourse
		}
		evs[i] = passing(fmt.Sprintf("bench-%d", i), user(learner, fmt.Sprintf("l%d@example.org", learner)), course, true,
			t0.Add(time.Duration(i)*time.Second))
	}
	b.ReportAllocs()
	b.ResetTimer()
	var q0 int64
	if stmts != nil {
		q0 = stmts()
	}
	start, cpu0 := time.Now(), cpuTime()
	for rest := evs; len(rest) > 0; {
		n := min(256, len(rest))
		for i, err := range p.HandleBatch(ctx, rest[:n]) {
			if err != nil {
				b.Fatalf("event %s: %v", rest[i].ID, err)
			}
		}
		rest = rest[n:]
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
	if stmts != nil {
		b.ReportMetric(float64(stmts()-q0)/float64(b.N), "stmts/event")
	}
	if s := p.Stats(); s.Applied != int64(b.N) {
		b.Fatalf("applied %d of %d", s.Applied, b.N)
	}
}

// mariaDBStatements returns a counter of the statements the MariaDB server
// received (its Questions status, which counts BEGIN and COMMIT too; the
// counter's own query adds one per call). It counts every client of the
// server: run the benchmark on a server of its own.
func mariaDBStatements(b *testing.B) func() int64 {
	db, err := sql.Open("mysql", mysqltest.BaseDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return func() int64 {
		var name string
		var n int64
		if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &n); err != nil {
			b.Fatal(err)
		}
		return n
	}
}

func benchLogger() *slog.Logger {
	if os.Getenv("CREDSHARE_BENCH_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func BenchmarkPipelineBatchMemstore(b *testing.B) { benchPipelineBatch(b, memstore.New(), nil) }

func BenchmarkPipelineBatchSQLite(b *testing.B) { benchPipelineBatch(b, openSQLite(b), nil) }

func BenchmarkPipelineBatchMariaDB(b *testing.B) {
	benchPipelineBatch(b, mysqltest.Open(b), mariaDBStatements(b))
}
