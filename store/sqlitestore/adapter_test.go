package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		path  string
		opts  []sqlitestore.Option
		field string
	}{
		{"", nil, "sqlitestore.path"},
		{":memory:", nil, "sqlitestore.path"},
		{filepath.Join(dir, "b.db"), []sqlitestore.Option{sqlitestore.WithReadConns(0)}, "sqlitestore.read_conns"},
		{filepath.Join(dir, "c.db"), []sqlitestore.Option{sqlitestore.WithBusyTimeout(-time.Second)}, "sqlitestore.busy_timeout"},
	} {
		_, err := sqlitestore.Open(ctx, tc.path, tc.opts...)
		var ve *credential.ValidationError
		if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("Open(%q) = %v, want ErrInvalid naming %s", tc.path, err, tc.field)
		}
	}
}

// Paths are taken literally, whatever characters they hold.
func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{"a b.db", "c%20d.db", "e?mode=ro#f.db", "g%zz.db"} {
		path := filepath.Join(t.TempDir(), name)
		s, err := sqlitestore.Open(context.Background(), path)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		if _, err := s.Events().MarkProcessed(context.Background(), "g", "e", time.Now()); err != nil {
			t.Errorf("%q: write: %v", name, err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not create the file at that path: %v", name, err)
		}
	}
}

func TestOpenUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")
	_, err := sqlitestore.Open(context.Background(), path)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open in a missing directory = %v, want ErrUnavailable naming the path", err)
	}
}

func TestMigrateTwiceAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "credshare.db")
	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, _, err := s.Learners().Upsert(ctx, credential.Learner{UserID: 7, Username: "ann"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != 3 {
		t.Fatalf("SchemaVersion = %d, %v; want 3", v, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if l, err := s.Learners().Get(ctx, 7); err != nil || l.Username != "ann" {
		t.Fatalf("after reopen: %+v, %v", l, err)
	}
}

// Several stores (separate connection pools, as separate processes would
// have) opening one new file at once apply each migration once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "credshare.db")
	const n = 4
	stores := make([]*sqlitestore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = sqlitestore.Open(ctx, path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer stores[i].Close()
	}
	if v, err := stores[0].SchemaVersion(ctx); err != nil || v != 3 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
}

// Two stores on one file (two processes) share the outbox: each item is
// claimed once, the lock being SQLite's.
func TestTwoStoresShareOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "credshare.db")
	a, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const items = 40
	for i := range items {
		if _, _, err := a.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "k", IdempotencyKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w, s := range []*sqlitestore.Store{a, b, a, b} {
		wg.Go(func() {
			owner := fmt.Sprint("w", w)
			for {
				got, err := s.Outbox().Claim(ctx, owner, time.Now().Add(time.Second), time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					if prev, dup := seen[it.ID]; dup {
						t.Errorf("item %d claimed by %s and %s", it.ID, prev, owner)
					}
					seen[it.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != items {
		t.Fatalf("claimed %d distinct items, want %d", len(seen), items)
	}
}

func TestUseAfterClose(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	outbox := s.Outbox()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := outbox.Get(ctx, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close = %v", err)
	}
	if err := s.InTx(ctx, func(context.Context, store.Repos) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("InTx after Close = %v", err)
	}
	if err := s.Migrate(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Migrate after Close = %v", err)
	}
}

// Using the Store instead of the transaction's Repos inside InTx would wait
// forever for the single writer connection; it fails fast instead.
func TestStoreUsedInsideItsOwnTx(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	err := s.InTx(ctx, func(ctx context.Context, _ store.Repos) error {
		_, err := s.Events().MarkProcessed(ctx, "g", "e", time.Now())
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("nested use = %v, want ErrConflict", err)
	}
}

func TestRejectsNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "credshare.db")
	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Simulate a database migrated by a newer credshare.
	raw := openRaw(t, path)
	if _, err := raw.Exec("INSERT INTO credshare_schema_migrations (version, name, applied_at) VALUES (999, '0999_future', '')"); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlitestore.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema = %v", err)
	}
}
