package txcache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/txcache"
)

var tpl = uuid.MustParse("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")

// clock is a fake clock moving one second per call.
func clock() func() time.Time {
	t := time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

// TestWriteBehindReadsItsWrites: what the cache held back is what later
// reads in the transaction return, and what the store holds after Flush
// and the commit, with the store-set fields the cache chose.
func TestWriteBehindReadsItsWrites(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	ref := credential.Badge(tpl.String())
	var (
		prog  store.BadgeProgress
		fs    []store.Fulfillment
		award credential.Award
	)
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, clock())
		p, created, err := tx.Progress().GetOrCreate(ctx, 7, tpl, 1)
		if err != nil || !created {
			return fmt.Errorf("GetOrCreate = %v, %v", created, err)
		}
		for _, req := range []string{"b", "a", "b"} {
			if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: req, Group: "G", EventID: "e-" + req, EventTime: time.Now()}); err != nil {
				return err
			}
		}
		if added, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "a", EventID: "e9"}); err != nil || added {
			return fmt.Errorf("second Fulfill of a = %v, %v; want false", added, err)
		}
		// Held back: the store has nothing yet.
		if got, err := raw.Progress().Fulfillments(ctx, p.ID); err != nil || len(got) != 0 {
			return fmt.Errorf("store before Flush: %v, %v", got, err)
		}
		if fs, err = tx.Progress().Fulfillments(ctx, p.ID); err != nil {
			return err
		}
		if prog, err = tx.Progress().Get(ctx, 7, tpl); err != nil {
			return err
		}
		if _, err := tx.Awards().Get(ctx, 7, ref); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get before Put: %v", err)
		}
		a, err := credential.NewAward(7, ref, credential.Cause{EventID: "e-b", EventTime: time.Now()})
		if err != nil {
			return err
		}
		stored, created, err := tx.Awards().Put(ctx, a)
		if err != nil || !created {
			return fmt.Errorf("Put = %v, %v", created, err)
		}
		if award, err = tx.Awards().Get(ctx, 7, ref); err != nil || award.UUID != stored.UUID || !award.UpdatedAt.Equal(stored.UpdatedAt) {
			return fmt.Errorf("Get after Put = %+v, %v; want %+v", award, err, stored)
		}
		// A call the cache does not answer flushes first.
		if got, err := tx.Awards().GetByUUID(ctx, stored.UUID); err != nil || got.UUID != stored.UUID {
			return fmt.Errorf("GetByUUID = %+v, %v", got, err)
		}
		return tx.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].RequirementID != "a" || fs[1].RequirementID != "b" {
		t.Fatalf("cached fulfilments = %+v, want a, b", fs)
	}
	got, err := st.Progress().Fulfillments(ctx, prog.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("stored fulfilments = %+v, %v", got, err)
	}
	for i := range got {
		if got[i].RequirementID != fs[i].RequirementID || !got[i].CreatedAt.Equal(fs[i].CreatedAt) || !got[i].EventTime.Equal(fs[i].EventTime) {
			t.Errorf("stored %+v, cache said %+v", got[i], fs[i])
		}
	}
	p, err := st.Progress().Get(ctx, 7, tpl)
	if err != nil || !p.UpdatedAt.Equal(prog.UpdatedAt) || !p.UpdatedAt.Equal(fs[0].CreatedAt) {
		t.Fatalf("stored progress = %+v, %v; cache said %+v (last fulfilment %v)", p, err, prog, fs[0].CreatedAt)
	}
	a, err := st.Awards().Get(ctx, 7, ref)
	if err != nil || a.UUID != award.UUID || !a.UpdatedAt.Equal(award.UpdatedAt) || a.Generation != award.Generation {
		t.Fatalf("stored award = %+v, %v; cache said %+v", a, err, award)
	}
}

// TestWriteBehindFlushFails: a held-back creation whose key another writer
// took first fails Flush with ErrConflict (and the caller's transaction
// with it), so nothing is kept.
func TestWriteBehindFlushFails(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	ref := credential.Badge(tpl.String())
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		if _, err := tx.Awards().Get(ctx, 8, ref); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		mine, _ := credential.NewAward(8, ref, credential.Cause{EventID: "mine", EventTime: time.Now()})
		if _, _, err := tx.Awards().Put(ctx, mine); err != nil {
			return err
		}
		// The other writer (in a SQL store: a concurrent transaction).
		theirs, _ := credential.NewAward(8, ref, credential.Cause{EventID: "theirs", EventTime: time.Now()})
		if _, _, err := raw.Awards().Put(ctx, theirs); err != nil {
			return err
		}
		return tx.Flush(ctx)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InTx = %v, want ErrConflict", err)
	}
	if _, err := st.Awards().Get(ctx, 8, ref); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the failed transaction kept an award: %v", err)
	}
}

// TestWriteBehindWithoutBatchWriter: over Repos without store.BatchWriter
// the cache writes through.
func TestWriteBehindWithoutBatchWriter(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, struct{ store.Repos }{raw}, nil)
		p, _, err := tx.Progress().GetOrCreate(ctx, 9, tpl, 1)
		if err != nil {
			return err
		}
		if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "a", EventID: "e"}); err != nil {
			return err
		}
		if got, err := raw.Progress().Fulfillments(ctx, p.ID); err != nil || len(got) != 1 {
			return fmt.Errorf("written through: %v, %v", got, err)
		}
		return tx.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteBehindPreloadAwards: after PreloadAwards a learner's awards
// are answered from the cache, absent ones too; an award changed through
// the store (a write-through Put) is read from the store again.
func TestWriteBehindPreloadAwards(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	have := credential.Badge("have")
	a, err := credential.NewAward(5, have, credential.Cause{EventID: "e1", EventTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		if err := tx.PreloadAwards(ctx, []int64{5, 6}); err != nil {
			return err
		}
		// Changed behind the cache's back: the preloaded copy is what it returns.
		sneaky, _ := credential.NewAward(6, have, credential.Cause{EventID: "e2", EventTime: time.Now()})
		if _, _, err := raw.Awards().Put(ctx, sneaky); err != nil {
			return err
		}
		if _, err := tx.Awards().Get(ctx, 6, have); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get(6) = %v, want the preloaded absence", err)
		}
		got, err := tx.Awards().Get(ctx, 5, have)
		if err != nil || got.UUID != a.UUID {
			return fmt.Errorf("Get(5) = %+v, %v", got, err)
		}
		// A write-through Put (an existing award): the next Get asks the store.
		if !got.Revoke(credential.Cause{EventID: "e3", EventTime: time.Now()}) {
			return errors.New("Revoke changed nothing")
		}
		if _, _, err := tx.Awards().Put(ctx, got); err != nil {
			return err
		}
		if again, err := tx.Awards().Get(ctx, 5, have); err != nil || again.Status != credential.StatusRevoked {
			return fmt.Errorf("Get(5) after Put = %+v, %v; want it revoked", again, err)
		}
		return tx.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteBehindCreatesProgressHeldBack: after PreloadProgress, a
// GetOrCreate of an absent row is held back under a provisional id that
// every later call of the cache accepts, before and after the Flush that
// creates it (with the fulfilments held back for it); a preloaded row is
// answered from the cache.
func TestWriteBehindCreatesProgressHeldBack(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	other := uuid.MustParse("0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b")
	old, _, err := st.Progress().GetOrCreate(ctx, 9, other, 4)
	if err != nil {
		t.Fatal(err)
	}
	var prov store.BadgeProgress
	err = st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, clock())
		if err := tx.PreloadProgress(ctx, []int64{9, 10}); err != nil {
			return err
		}
		if got, created, err := tx.Progress().GetOrCreate(ctx, 9, other, 1); err != nil || created || got.ID != old.ID || got.RulesVersion != 4 {
			return fmt.Errorf("GetOrCreate(preloaded row) = %+v, %v, %v; want row %d, version 4", got, created, err, old.ID)
		}
		if _, err := tx.Progress().Get(ctx, 10, tpl); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get(absent) = %v, want ErrNotFound", err)
		}
		if _, _, err := tx.Progress().GetOrCreate(ctx, 10, uuid.Nil, 1); !errors.Is(err, store.ErrInvalid) {
			return fmt.Errorf("GetOrCreate(nil template) = %v, want ErrInvalid", err)
		}
		var created bool
		if prov, created, err = tx.Progress().GetOrCreate(ctx, 10, tpl, 2); err != nil || !created || prov.ID >= 0 {
			return fmt.Errorf("GetOrCreate(absent) = %+v, %v, %v; want a provisional (negative) id, created", prov, created, err)
		}
		if _, err := raw.Progress().Get(ctx, 10, tpl); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("store before Flush: %v, want ErrNotFound", err)
		}
		if again, created, err := tx.Progress().GetOrCreate(ctx, 10, tpl, 3); err != nil || created || again.ID != prov.ID {
			return fmt.Errorf("GetOrCreate(held back) = %+v, %v, %v; want %+v", again, created, err, prov)
		}
		if _, err := tx.Progress().Fulfill(ctx, prov.ID, store.Fulfillment{RequirementID: "a", EventID: "e1", EventTime: time.Now()}); err != nil {
			return err
		}
		// Observe is written through: it flushes, and reaches the store
		// under the real id.
		if added, err := tx.Progress().Observe(ctx, prov.ID, store.Observation{RequirementID: "n", Value: "x", EventID: "e2", EventTime: time.Now()}); err != nil || !added {
			return fmt.Errorf("Observe(provisional id) = %v, %v", added, err)
		}
		if fs, err := tx.Progress().Fulfillments(ctx, prov.ID); err != nil || len(fs) != 1 || fs[0].RequirementID != "a" {
			return fmt.Errorf("Fulfillments(provisional id) = %+v, %v", fs, err)
		}
		if _, err := tx.Progress().Fulfill(ctx, prov.ID, store.Fulfillment{RequirementID: "b", EventID: "e3", EventTime: time.Now()}); err != nil {
			return err
		}
		if obs, err := tx.Progress().Observations(ctx, prov.ID, "n"); err != nil || len(obs) != 1 {
			return fmt.Errorf("Observations(provisional id) = %+v, %v", obs, err)
		}
		return tx.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Progress().Get(ctx, 10, tpl)
	if err != nil || p.ID <= 0 || p.RulesVersion != 2 || !p.CreatedAt.Equal(prov.CreatedAt) {
		t.Fatalf("stored progress = %+v, %v; want version 2, created at %v", p, err, prov.CreatedAt)
	}
	fs, err := st.Progress().Fulfillments(ctx, p.ID)
	if err != nil || len(fs) != 2 || fs[0].RequirementID != "a" || fs[1].RequirementID != "b" {
		t.Fatalf("stored fulfilments = %+v, %v; want a, b", fs, err)
	}
	if obs, err := st.Progress().Observations(ctx, p.ID, "n"); err != nil || len(obs) != 1 {
		t.Fatalf("stored observations = %+v, %v", obs, err)
	}
}

// TestWriteBehindProgressCreationConflicts: a held-back progress row that
// exists by Flush (written past the cache) fails Flush with ErrConflict.
func TestWriteBehindProgressCreationConflicts(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		if err := tx.PreloadProgress(ctx, []int64{11}); err != nil {
			return err
		}
		if _, _, err := tx.Progress().GetOrCreate(ctx, 11, tpl, 1); err != nil {
			return err
		}
		if _, _, err := raw.Progress().GetOrCreate(ctx, 11, tpl, 1); err != nil {
			return err
		}
		return tx.Flush(ctx)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InTx = %v, want ErrConflict", err)
	}
	if _, err := st.Progress().Get(ctx, 11, tpl); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("row kept after the failed transaction: %v", err)
	}
}
