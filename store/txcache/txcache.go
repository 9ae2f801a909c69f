// Package txcache is a read-through cache of the records a transaction
// reads, for a transaction that applies many events one after the other
// (credential/pipeline's batches): later events read what earlier ones
// left without asking the database again.
package txcache

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// New returns tx (the Repos an InTx function was given) behind a
// read-through cache of the awards, badge progress, fulfilments
// and observations the events read, in front of the transaction's Repos.
// Every write goes to the store at once, in order (write-through), and
// drops the cached copies it changes, so the next read of them asks the
// store again: the cache never makes up a field the store sets
// (CreatedAt, UpdatedAt, ids, generations). What it returns is what the
// store returned earlier in the same transaction:
//
//   - an award is cached once read (inside InTx the store locks it until
//     commit), and its absence once reported, until a Put of its key;
//   - a progress row, its fulfilments and its observations are cached only
//     once the transaction holds the row's lock (it created the row or
//     wrote to it), so no other transaction can change them before the
//     commit; a write to the row (which sets UpdatedAt) makes the next
//     read of the row itself ask the store again.
//
// Use it only inside that function, and make a new one each time the
// function runs (InTx may run it again after a conflict). It is not safe
// for concurrent use. Learners, events, outbox rows and the rest are not
// cached: their calls go to tx unchanged. Reads outside the transaction
// (another Repos) do not see what the cache holds, and a transaction that
// changes awards or progress through tx itself, not through the cache,
// must not use the cache afterwards.
func New(tx store.Repos) store.Repos {
	return &txCache{Repos: tx, aw: map[awardKey]awardEntry{}, prog: map[progKey]*progEntry{}, byID: map[int64]*progEntry{}}
}

// txCache is New's cache.
type txCache struct {
	store.Repos
	aw   map[awardKey]awardEntry
	prog map[progKey]*progEntry
	byID map[int64]*progEntry
}

type awardKey struct {
	learner int64
	ref     credential.AchievementRef
}

type awardEntry struct {
	a   credential.Award
	err error // the store's ErrNotFound, or nil
}

type progKey struct {
	learner  int64
	template uuid.UUID
}

// progEntry is what the cache knows of one progress row the transaction
// holds locked.
type progEntry struct {
	p       store.BadgeProgress
	fresh   bool // p is the stored row (no write since it was read)
	locked  bool // the transaction holds the row's lock
	fs      []store.Fulfillment
	fsKnown bool
	// obs holds the observations of the requirements read (or known empty).
	obs map[string][]store.Observation
}

// Awards returns the cached awards.
func (c *txCache) Awards() store.Awards { return cachedAwards{c.Repos.Awards(), c} }

// Progress returns the cached progress.
func (c *txCache) Progress() store.Progress { return cachedProgress{c.Repos.Progress(), c} }

type cachedAwards struct {
	store.Awards
	c *txCache
}

func (a cachedAwards) Get(ctx context.Context, learnerID int64, ref credential.AchievementRef) (credential.Award, error) {
	k := awardKey{learnerID, ref}
	if e, ok := a.c.aw[k]; ok {
		return cloneAward(e.a), e.err
	}
	aw, err := a.Awards.Get(ctx, learnerID, ref)
	switch {
	case err == nil:
		a.c.aw[k] = awardEntry{a: cloneAward(aw)}
	case errors.Is(err, store.ErrNotFound):
		a.c.aw[k] = awardEntry{err: err}
	}
	return aw, err
}

func (a cachedAwards) Put(ctx context.Context, aw credential.Award) (credential.Award, bool, error) {
	delete(a.c.aw, awardKey{aw.LearnerID, aw.Achievement})
	return a.Awards.Put(ctx, aw)
}

// cloneAward copies the parts of an award a caller may change in place.
func cloneAward(a credential.Award) credential.Award {
	a.Evidence = maps.Clone(a.Evidence)
	a.Providers = slices.Clone(a.Providers)
	return a
}

type cachedProgress struct {
	store.Progress
	c *txCache
}

// seen records a progress row the store just returned (the current row:
// nothing was written to it since).
func (c *txCache) seen(p store.BadgeProgress) *progEntry {
	e := c.byID[p.ID]
	if e == nil {
		e = &progEntry{obs: map[string][]store.Observation{}}
		c.byID[p.ID] = e
		c.prog[progKey{p.LearnerID, p.TemplateUUID}] = e
	}
	e.p, e.fresh = p, true
	return e
}

// written records a write to a progress row (successful or not: a failed
// one aborts the transaction anyway). The write locked the row; it may
// have set its UpdatedAt.
func (c *txCache) written(id int64) *progEntry {
	e := c.byID[id]
	if e != nil {
		e.locked, e.fresh = true, false
	}
	return e
}

func (p cachedProgress) Get(ctx context.Context, learnerID int64, template uuid.UUID) (store.BadgeProgress, error) {
	if e := p.c.prog[progKey{learnerID, template}]; e != nil && e.locked && e.fresh {
		return e.p, nil
	}
	got, err := p.Progress.Get(ctx, learnerID, template)
	if err == nil {
		p.c.seen(got)
	}
	return got, err
}

func (p cachedProgress) GetOrCreate(ctx context.Context, learnerID int64, template uuid.UUID, rulesVersion int) (store.BadgeProgress, bool, error) {
	if e := p.c.prog[progKey{learnerID, template}]; e != nil && e.locked {
		// It exists: GetOrCreate would return the stored row.
		got, err := p.Get(ctx, learnerID, template)
		return got, false, err
	}
	got, created, err := p.Progress.GetOrCreate(ctx, learnerID, template, rulesVersion)
	if err == nil {
		e := p.c.seen(got)
		if created {
			// Inserted by this transaction: locked, and without
			// fulfilments or observations.
			e.locked = true
			e.fs, e.fsKnown = []store.Fulfillment{}, true
		}
	}
	return got, created, err
}

func (p cachedProgress) SetRulesVersion(ctx context.Context, progressID int64, version int) error {
	err := p.Progress.SetRulesVersion(ctx, progressID, version)
	p.c.written(progressID)
	return err
}

func (p cachedProgress) Fulfill(ctx context.Context, progressID int64, f store.Fulfillment) (bool, error) {
	added, err := p.Progress.Fulfill(ctx, progressID, f)
	if e := p.c.written(progressID); e != nil && (added || err != nil) {
		e.fs, e.fsKnown = nil, false
	}
	return added, err
}

func (p cachedProgress) Unfulfill(ctx context.Context, progressID int64, requirementIDs []string) (int, error) {
	n, err := p.Progress.Unfulfill(ctx, progressID, requirementIDs)
	e := p.c.byID[progressID]
	switch {
	case e == nil:
	case err != nil:
		p.c.written(progressID)
		e.fs, e.fsKnown, e.obs = nil, false, map[string][]store.Observation{}
	case n > 0:
		// The store touched (and so locked) the row.
		p.c.written(progressID)
		e.fs, e.fsKnown = nil, false
		fallthrough
	default:
		for _, id := range requirementIDs {
			if e.locked {
				e.obs[id] = []store.Observation{} // all removed
			} else {
				delete(e.obs, id)
			}
		}
	}
	return n, err
}

func (p cachedProgress) Fulfillments(ctx context.Context, progressID int64) ([]store.Fulfillment, error) {
	e := p.c.byID[progressID]
	if e != nil && e.locked && e.fsKnown {
		return cloneFulfillments(e.fs), nil
	}
	fs, err := p.Progress.Fulfillments(ctx, progressID)
	if err == nil && e != nil && e.locked {
		e.fs, e.fsKnown = cloneFulfillments(fs), true
	}
	return fs, err
}

func cloneFulfillments(fs []store.Fulfillment) []store.Fulfillment {
	out := make([]store.Fulfillment, len(fs))
	for i, f := range fs {
		f.Matched = slices.Clone(f.Matched)
		out[i] = f
	}
	return out
}

func (p cachedProgress) Observe(ctx context.Context, progressID int64, o store.Observation) (bool, error) {
	added, err := p.Progress.Observe(ctx, progressID, o)
	if e := p.c.written(progressID); e != nil && (added || err != nil) {
		delete(e.obs, o.RequirementID)
	}
	return added, err
}

func (p cachedProgress) Observations(ctx context.Context, progressID int64, requirementID string) ([]store.Observation, error) {
	e := p.c.byID[progressID]
	if e != nil && e.locked {
		if obs, ok := e.obs[requirementID]; ok {
			return slices.Clone(obs), nil
		}
	}
	obs, err := p.Progress.Observations(ctx, progressID, requirementID)
	if err == nil && e != nil && e.locked {
		e.obs[requirementID] = slices.Clone(obs)
	}
	return obs, err
}
