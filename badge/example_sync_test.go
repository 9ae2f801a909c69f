package badge_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// Synchronising a provider account's templates, first as a dry run.
func ExampleSyncTemplates() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	lister := listing{items: []badge.RemoteTemplate{
		{ExternalID: "t1", Name: "Python Basics", State: store.TemplateActive},
		{ExternalID: "t2", Name: "Data Science", State: store.TemplateActive},
	}, failAfter: -1}
	opts := badge.SyncOptions{Provider: "credly", AccountID: "org-1", DryRun: true}
	rep, _ := badge.SyncTemplates(ctx, st.Config(), lister, opts)
	fmt.Println(rep)
	opts.DryRun = false
	rep, _ = badge.SyncTemplates(ctx, st.Config(), lister, opts)
	fmt.Println(rep)
	// Output:
	// credly/org-1 (dry run): 2 listed, 2 created, 0 updated, 0 deactivated, 0 unchanged
	// credly/org-1: 2 listed, 2 created, 0 updated, 0 deactivated, 0 unchanged
}

// Deciding what to do with a provider error: credential/retry gives the
// verdict the outbox acts on.
func Example_retryVerdict() {
	err := badge.HTTPError("credly", "issue", 429, nil, nil, "", "Too many requests")
	fmt.Println(!retry.IsPermanent(err), errors.Is(err, badge.ErrRateLimited))
	err = badge.HTTPError("credly", "issue", 401, nil, nil, "", "Authorization token has expired")
	fmt.Println(!retry.IsPermanent(err), errors.Is(err, badge.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// true true
	// false true
	// credly issue: HTTP 401: Authorization token has expired
}
