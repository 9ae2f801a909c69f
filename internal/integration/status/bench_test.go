package status_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

// benchAllocate measures committed allocations (one transaction each)
// from concurrent goroutines.
func benchAllocate(b *testing.B, st store.Store) {
	svc := newService(b, base, status.Config{})
	ctx := context.Background()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
				_, err := svc.Allocate(ctx, tx, "did:key:zBench")
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "allocs/s")
}

func BenchmarkAllocateMemstore(b *testing.B) { benchAllocate(b, newMem(b)) }

func BenchmarkAllocateSQLite(b *testing.B) {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	benchAllocate(b, st)
}

func BenchmarkAllocateMariaDB(b *testing.B) { benchAllocate(b, mysqltest.Open(b)) }
