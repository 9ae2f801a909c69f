package badge

import (
	"context"
	"fmt"
	"sort"

	"github.com/credshare/credshare/store"
)

// Sync actions.
const (
	SyncCreate     = "create"     // a template new to credshare
	SyncUpdate     = "update"     // name, description, image or state changed
	SyncDeactivate = "deactivate" // gone from the provider: archived, rules kept
)

// SyncOptions says what SyncTemplates synchronises.
type SyncOptions struct {
	// Provider is the provider id stored on the templates ("credly", …).
	// Required.
	Provider string
	// AccountID is the provider account to synchronise. Required: a sync
	// touches only that account's templates, never another account's.
	AccountID string
	// DryRun computes the report without writing anything.
	DryRun bool
}

// SyncChange is one change a sync made (or, in a dry run, would make).
type SyncChange struct {
	// Action is SyncCreate, SyncUpdate or SyncDeactivate.
	Action string `json:"action"`
	// Template is the template as stored after the change.
	Template store.Template `json:"template"`
	// Fields names what changed in an update ("name", "state", …).
	Fields []string `json:"fields,omitempty"`
}

// SyncReport says what a sync changed.
type SyncReport struct {
	Provider  string `json:"provider"`
	AccountID string `json:"account_id"`
	DryRun    bool   `json:"dry_run"`
	// Seen counts the templates the provider listed.
	Seen int `json:"seen"`
	// Unchanged counts listed templates that needed no change.
	Unchanged int `json:"unchanged"`
	// Changes lists creations, updates and deactivations, ordered by
	// action then external id.
	Changes []SyncChange `json:"changes,omitempty"`
}

// Count returns how many changes have the given action.
func (r SyncReport) Count(action string) int {
	n := 0
	for _, c := range r.Changes {
		if c.Action == action {
			n++
		}
	}
	return n
}

// String summarises the report on one line.
func (r SyncReport) String() string {
	mode := ""
	if r.DryRun {
		mode = " (dry run)"
	}
	return fmt.Sprintf("%s/%s%s: %d listed, %d created, %d updated, %d deactivated, %d unchanged",
		r.Provider, r.AccountID, mode, r.Seen, r.Count(SyncCreate), r.Count(SyncUpdate), r.Count(SyncDeactivate), r.Unchanged)
}

// SyncTemplates brings the stored templates of one provider account in line
// with what lister lists for it:
//
//   - a listed template not stored yet is created (UUID from TemplateUUID,
//     no rules, so it awards nothing until rules are added);
//   - a stored one whose name, description, image or state differs is
//     updated; its rules, rules version and repeatability are kept;
//   - a stored, non-archived template of that account that is no longer
//     listed is deactivated (state archived). Nothing is ever deleted, so
//     rules and progress survive and the template can come back.
//
// Templates of other accounts and other providers are never read or
// written. When the listing fails part-way, nothing is deactivated and the
// error is returned (with the report of what was applied so far), since an
// incomplete listing says nothing about what vanished. With DryRun the
// report is computed and nothing is written.
func SyncTemplates(ctx context.Context, cfg store.Config, lister TemplateLister, opts SyncOptions) (SyncReport, error) {
	rep := SyncReport{Provider: opts.Provider, AccountID: opts.AccountID, DryRun: opts.DryRun}
	if opts.Provider == "" || opts.AccountID == "" {
		return rep, &Error{Provider: "badge", Op: "sync", Message: "SyncOptions.Provider and AccountID are required", Kind: ErrInvalid}
	}
	if cfg == nil || lister == nil {
		return rep, &Error{Provider: "badge", Op: "sync", Message: "a store.Config and a TemplateLister are required", Kind: ErrInvalid}
	}
	stored, err := cfg.ListTemplates(ctx, store.TemplateFilter{Provider: opts.Provider, AccountID: opts.AccountID})
	if err != nil {
		return rep, fmt.Errorf("badge sync: list stored templates: %w", err)
	}
	byExt := make(map[string]store.Template, len(stored))
	for _, t := range stored {
		if t.Provider == opts.Provider && t.AccountID == opts.AccountID && t.ExternalID != "" {
			byExt[t.ExternalID] = t
		}
	}
	seen := map[string]bool{}
	var listErr error
	for rt, err := range lister.ListTemplates(ctx, opts.AccountID) {
		if err != nil {
			listErr = err
			break
		}
		if rt.ExternalID == "" || seen[rt.ExternalID] {
			continue
		}
		seen[rt.ExternalID] = true
		rep.Seen++
		state := rt.State
		if state == "" {
			state = store.TemplateActive
		}
		cur, ok := byExt[rt.ExternalID]
		if !ok {
			t := store.Template{
				UUID:        TemplateUUID(opts.Provider, opts.AccountID, rt.ExternalID),
				Name:        rt.Name,
				Description: rt.Description,
				ImageURL:    rt.ImageURL,
				Provider:    opts.Provider,
				AccountID:   opts.AccountID,
				ExternalID:  rt.ExternalID,
				State:       state,
			}
			if t, err = syncPut(ctx, cfg, t, opts.DryRun); err != nil {
				return syncFinish(rep), err
			}
			rep.Changes = append(rep.Changes, SyncChange{Action: SyncCreate, Template: t})
			continue
		}
		next := cur
		next.Name, next.Description, next.ImageURL, next.State = rt.Name, rt.Description, rt.ImageURL, state
		fields := syncDiff(cur, next)
		if len(fields) == 0 {
			rep.Unchanged++
			continue
		}
		if next, err = syncPut(ctx, cfg, next, opts.DryRun); err != nil {
			return syncFinish(rep), err
		}
		rep.Changes = append(rep.Changes, SyncChange{Action: SyncUpdate, Template: next, Fields: fields})
	}
	if listErr == nil {
		listErr = ctx.Err()
	}
	if listErr != nil {
		return syncFinish(rep), fmt.Errorf("badge sync %s/%s: listing incomplete, nothing deactivated: %w", opts.Provider, opts.AccountID, listErr)
	}
	for ext, t := range byExt {
		if seen[ext] || t.State == store.TemplateArchived {
			continue
		}
		t.State = store.TemplateArchived
		if t, err = syncPut(ctx, cfg, t, opts.DryRun); err != nil {
			return syncFinish(rep), err
		}
		rep.Changes = append(rep.Changes, SyncChange{Action: SyncDeactivate, Template: t, Fields: []string{"state"}})
	}
	return syncFinish(rep), nil
}

// syncPut stores t, unless dryRun.
//
// It writes only what the provider owns (name, description, image, state
// and the provider keys) onto the template as stored at that moment, never
// the copy listed at the start of the sync: another process may have stored
// the template's rules since (a rules file loaded by a replica starting at
// the same time), and writing the old copy back would drop them — events
// applied meanwhile would then miss the badge for good. A template created
// by someone else since the listing is updated, not replaced. The write is
// PutProviderFields's compare-and-set on the rules version read, so rules
// stored between the read and the write are not overwritten either.
func syncPut(ctx context.Context, cfg store.Config, t store.Template, dryRun bool) (store.Template, error) {
	if dryRun {
		return t, nil
	}
	out, _, err := PutProviderFields(ctx, cfg,
		func(ctx context.Context) (store.Template, error) { return cfg.GetTemplate(ctx, t.UUID) },
		func(store.Template, bool) (store.Template, bool) { return t, true })
	if err != nil {
		return t, fmt.Errorf("badge sync: store template %s (%s): %w", t.ExternalID, t.UUID, err)
	}
	return out, nil
}

func syncDiff(a, b store.Template) []string {
	var f []string
	if a.Name != b.Name {
		f = append(f, "name")
	}
	if a.Description != b.Description {
		f = append(f, "description")
	}
	if a.ImageURL != b.ImageURL {
		f = append(f, "image_url")
	}
	if a.State != b.State {
		f = append(f, "state")
	}
	return f
}

func syncActionOrder(a string) int {
	switch a {
	case SyncCreate:
		return 0
	case SyncUpdate:
		return 1
	}
	return 2
}

func syncFinish(r SyncReport) SyncReport {
	sort.SliceStable(r.Changes, func(i, j int) bool {
		a, b := r.Changes[i], r.Changes[j]
		if a.Action != b.Action {
			return syncActionOrder(a.Action) < syncActionOrder(b.Action)
		}
		return a.Template.ExternalID < b.Template.ExternalID
	})
	return r
}
