package badge

import (
	"context"
	"errors"

	"github.com/credshare/credshare/store"
)

// providerFieldsAttempts bounds how often PutProviderFields reads and
// writes a template that other writers keep changing in between.
const providerFieldsAttempts = 8

// PutProviderFields stores what a badge provider owns of one template —
// its name, description, image URL and state, and the keys Provider,
// AccountID and ExternalID — onto the template as stored at that moment.
// Everything else stays as stored: the rules, the rules version, whether
// it is repeatable, when it was created. SyncTemplates and the provider
// adapters' webhooks write through it, so that rules stored meanwhile by
// another writer (a rules file loaded, another sync or webhook) are never
// overwritten with the ones they read.
//
// find reads the template as stored now, or fails with an error matching
// store.ErrNotFound when there is none. edit is given that template
// (found false: none is stored, cur is zero) and returns the template as
// the provider sees it and whether to write at all; of what it returns
// only the provider-owned fields are stored, and for a new template its
// UUID. A new template has no rules (it awards nothing until a host
// writes them).
//
// The write is a compare-and-set on the rules version read
// (store.Config.PutTemplateIf). When another writer stored rules between
// the read and the write, or created the template, the write is a
// *store.RulesVersionConflict: PutProviderFields then calls find and edit
// again, up to 8 attempts in all, and after that returns
// the conflict (it matches store.ErrConflict). Other errors of find and
// the store are returned as they are. It returns the template as stored
// and whether it wrote; when edit declines, the template read (zero if
// none) and false.
//
// cfg may be a transaction's (store.Repos.Config): the retries then read
// again inside that transaction, which sees another transaction's commit
// under READ COMMITTED (mysqlstore's default). memstore and sqlitestore
// run one write transaction at a time, so no conflict arises there. Under
// a snapshot isolation level the re-reads see the same snapshot, and the
// conflict is returned for the caller to retry the whole transaction.
func PutProviderFields(ctx context.Context, cfg store.Config, find func(ctx context.Context) (store.Template, error),
	edit func(cur store.Template, found bool) (next store.Template, write bool)) (store.Template, bool, error) {
	var conflict error
	for range providerFieldsAttempts {
		cur, err := find(ctx)
		found := err == nil
		switch {
		case errors.Is(err, store.ErrNotFound):
			cur = store.Template{}
		case err != nil:
			return store.Template{}, false, err
		}
		next, write := edit(cur, found)
		if !write {
			return cur, false, nil
		}
		t, version := store.Template{UUID: next.UUID}, 0 // 0: only if still none is stored
		if found {
			t, version = cur, cur.RulesVersion
		}
		t.Name, t.Description, t.ImageURL, t.State = next.Name, next.Description, next.ImageURL, next.State
		t.Provider, t.AccountID, t.ExternalID = next.Provider, next.AccountID, next.ExternalID
		out, err := cfg.PutTemplateIf(ctx, t, version)
		var rvc *store.RulesVersionConflict
		if !errors.As(err, &rvc) {
			return out, err == nil, err
		}
		conflict = err
	}
	return store.Template{}, false, conflict
}
