package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/internal/sqltest"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/credshare/credshare/store/storetest"
)

// openTemp opens a fresh store in a file of the test's temporary directory.
func openTemp(t *testing.T, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "credshare.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) }, sqltest.SuiteOptions()...)
}

func BenchmarkHotTx(b *testing.B) { sqltest.BenchHotTx(b, openBench(b)) }

func BenchmarkHotTxParallel(b *testing.B) { sqltest.BenchHotTxParallel(b, openBench(b), 4) }

func BenchmarkClaim10(b *testing.B) { sqltest.BenchClaim(b, openBench(b), 10) }

func openBench(b *testing.B) *sqlitestore.Store {
	s, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}
