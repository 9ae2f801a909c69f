package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/credshare/credshare/store"
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
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}
