// Package sqltest holds benchmarks and checks shared by the SQL adapters'
// tests (sqlitestore, mysqlstore), so each adapter runs the same workload.
package sqltest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/storetest"
)

// hotTx is the transaction the pipeline runs per event: mark the event
// processed, upsert the award, enqueue the outbox call.
func hotTx(ctx context.Context, s store.Store, n int64) error {
	at := time.Now()
	id := fmt.Sprintf("evt-%d", n)
	return s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		first, err := tx.Events().MarkProcessed(ctx, "bench", id, at)
		if err != nil || !first {
			return err
		}
		a, err := credential.NewAward(n+1, credential.CourseCertificate("course-v1:edX+DemoX+Demo"),
			credential.Cause{EventID: id, EventTime: at})
		if err != nil {
			return err
		}
		a.Evidence = map[string]string{"grade": "0.91", "mode": "verified"}
		stored, _, err := tx.Awards().Put(ctx, a)
		if err != nil {
			return err
		}
		_, _, err = tx.Outbox().Enqueue(ctx, store.OutboxItem{
			Kind: "badge.issue", Target: "credly", IdempotencyKey: "issue:" + stored.UUID.String(),
			Payload: []byte(`{"award":"` + stored.UUID.String() + `"}`),
		})
		return err
	})
}

// BenchHotTx measures the hot transaction, one goroutine.
func BenchHotTx(b *testing.B, s store.Store) {
	ctx := context.Background()
	var n int64
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		n++
		if err := hotTx(ctx, s, n); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, n)
}

// reportCPU adds the process CPU time per operation since cpu0 (this
// process only: for MySQL the server's CPU is not included).
func reportCPU(b *testing.B, cpu0 time.Duration, ops int64) {
	if cpu1 := cpuTime(); cpu0 > 0 && ops > 0 {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(ops), "cpu-µs/op")
	}
}

// BenchHotTxParallel measures the hot transaction from GOMAXPROCS×p
// goroutines.
func BenchHotTxParallel(b *testing.B, s store.Store, p int) {
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(p)
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := hotTx(ctx, s, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportCPU(b, cpu0, n.Load())
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "tx/s")
}

// BenchClaim measures one dispatcher round: Outbox.Claim of batch items,
// then Complete of each in one transaction, from an outbox preloaded with
// b.N×batch due items.
func BenchClaim(b *testing.B, s store.Store, batch int) {
	ctx := context.Background()
	total := b.N * batch
	for start := 0; start < total; start += 1000 {
		err := s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			for i := start; i < min(start+1000, total); i++ {
				if _, _, err := tx.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "badge.issue", Target: "credly",
					IdempotencyKey: fmt.Sprintf("k-%d", i), Payload: []byte(`{}`)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().Add(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		items, err := s.Outbox().Claim(ctx, "bench", now, time.Minute, batch)
		if err != nil {
			b.Fatal(err)
		}
		if len(items) != batch {
			b.Fatalf("claimed %d items, want %d", len(items), batch)
		}
		err = s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			for _, it := range items {
				if err := tx.Outbox().Complete(ctx, it.ID, "bench"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, int64(b.N))
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "items/s")
}

// SuiteOptions returns the storetest options the SQL adapters run the
// conformance suite with: the full 8 × 2,000 award race normally, and
// 8 × 1,000 under the race detector (see RaceEnabled).
func SuiteOptions() []storetest.Option {
	if RaceEnabled {
		return []storetest.Option{storetest.WithAwardRace(8, 1000)}
	}
	return nil
}
