package status_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

var errRollback = errors.New("rolled back on purpose")

// allocationRace runs workers goroutines that each commit per allocations
// (and roll back one more every 25th) through svc on st, and checks that
// the committed entries are all distinct and that the store counted
// exactly the committed ones.
func allocationRace(t *testing.T, st store.Store, workers, per int) {
	t.Helper()
	ctx := context.Background()
	svc := newService(t, base, status.Config{})
	const issuer = "did:key:zRace"
	var (
		mu       sync.Mutex
		seen     = make(map[store.StatusRef]bool, workers*per)
		dup      []store.StatusRef
		rolled   []store.StatusRef
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range per {
				if k%25 == 0 {
					var lost store.StatusRef
					err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
						refs, err := svc.Allocate(ctx, tx, issuer)
						if err != nil {
							return err
						}
						lost = refs[0]
						return errRollback
					})
					if !errors.Is(err, errRollback) {
						mu.Lock()
						firstErr = errors.Join(firstErr, err)
						mu.Unlock()
						return
					}
					mu.Lock()
					rolled = append(rolled, lost)
					mu.Unlock()
				}
				var refs []store.StatusRef
				err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) (err error) {
					refs, err = svc.Allocate(ctx, tx, issuer)
					return err
				})
				mu.Lock()
				if err != nil {
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				if seen[refs[0]] {
					dup = append(dup, refs[0])
				}
				seen[refs[0]] = true
				mu.Unlock()
			}
			_ = w
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if len(dup) > 0 {
		t.Fatalf("%d entries handed out twice, e.g. %+v", len(dup), dup[0])
	}
	if len(seen) != workers*per {
		t.Fatalf("%d distinct entries, want %d", len(seen), workers*per)
	}
	fill, err := status.Fill(ctx, st, issuer)
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	for _, f := range fill {
		used += f.Used
	}
	if used != int64(workers*per) {
		t.Fatalf("the store counts %d entries handed out; %d were committed and %d rolled back", used, workers*per, len(rolled))
	}
	t.Logf("%d committed allocations in %d lists, %d rolled back", len(seen), len(fill), len(rolled))
}

func TestAllocationRaceSQLite(t *testing.T) {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "status.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	allocationRace(t, st, 8, allocationsPerWorker)
}

func TestAllocationRaceMariaDB(t *testing.T) {
	st := mysqltest.Open(t)
	allocationRace(t, st, 8, allocationsPerWorker)
}
