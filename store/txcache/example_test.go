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
