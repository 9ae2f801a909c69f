package txcache_test

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/txcache"
)

// A transaction applying several events reads through a cache: the second
// read of a progress row it created, and of its fulfilments, is answered
// without the store; the Fulfill goes to the store and drops the cached
// fulfilments, so the read after it asks the store again.
func ExampleNew() {
	ctx := context.Background()
	st := memstore.New()
	tpl := uuid.MustParse("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.New(raw)
		p, created, err := tx.Progress().GetOrCreate(ctx, 42, tpl, 1)
		if err != nil {
			return err
		}
		fmt.Println("created:", created)
		if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "pass-py", Group: "A", EventID: "e1"}); err != nil {
			return err
		}
		again, created, err := tx.Progress().GetOrCreate(ctx, 42, tpl, 1)
		if err != nil {
			return err
		}
		fs, err := tx.Progress().Fulfillments(ctx, again.ID)
		if err != nil {
			return err
		}
		fmt.Println("created again:", created, "same row:", again.ID == p.ID, "fulfilled:", fs[0].RequirementID)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// created: true
	// created again: false same row: true fulfilled: pass-py
}

// A batch's fulfilments are held back until Flush: the transaction reads
// them from the cache, and Flush writes them in one multi-row statement
// set (store.BatchWriter) before the commit.
func ExampleNewWriteBehind() {
	ctx := context.Background()
	st := memstore.New()
	tpl := uuid.MustParse("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")
	var id int64
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		p, _, err := tx.Progress().GetOrCreate(ctx, 42, tpl, 1)
		if err != nil {
			return err
		}
		id = p.ID
		for _, req := range []string{"pass-py", "pass-data"} {
			if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: req, Group: req, EventID: "e-" + req}); err != nil {
				return err
			}
		}
		held, _ := raw.Progress().Fulfillments(ctx, p.ID)
		seen, _ := tx.Progress().Fulfillments(ctx, p.ID)
		fmt.Println("in the store:", len(held), "in the cache:", len(seen))
		return tx.Flush(ctx)
	})
	if err != nil {
		fmt.Println(err)
	}
	fs, _ := st.Progress().Fulfillments(ctx, id)
	fmt.Println("committed:", len(fs))
	// Output:
	// in the store: 0 in the cache: 2
	// committed: 2
}

// With the batch's learners preloaded, a new progress row is held back
// too: the rules get it under a provisional id, and Flush creates it (and
// the fulfilments made under that id) in a few statements before the
// commit.
func ExampleWriteBehind_PreloadProgress() {
	ctx := context.Background()
	st := memstore.New()
	tpl := uuid.MustParse("8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f")
	err := st.InTx(ctx, func(ctx context.Context, raw store.Repos) error {
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		if err := tx.PreloadProgress(ctx, []int64{42, 43}); err != nil {
			return err
		}
		p, created, err := tx.Progress().GetOrCreate(ctx, 42, tpl, 1)
		if err != nil {
			return err
		}
		if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "pass-py", Group: "A", EventID: "e1"}); err != nil {
			return err
		}
		_, inStore := raw.Progress().Get(ctx, 42, tpl)
		fmt.Println("created:", created, "provisional id:", p.ID < 0, "in the store:", inStore == nil)
		return tx.Flush(ctx)
	})
	if err != nil {
		fmt.Println(err)
	}
	p, _ := st.Progress().Get(ctx, 42, tpl)
	fs, _ := st.Progress().Fulfillments(ctx, p.ID)
	fmt.Println("committed: id", p.ID, "fulfilled:", fs[0].RequirementID)
	// Output:
	// created: true provisional id: true in the store: false
	// committed: id 1 fulfilled: pass-py
}
