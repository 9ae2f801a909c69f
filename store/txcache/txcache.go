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
	"strconv"
	"strings"
	"time"

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

	// Write-behind (NewWriteBehind): bw is nil for New's cache.
	bw       store.BatchWriter
	now      func() time.Time
	pendF    []store.ProgressFulfillment
	pendA    []credential.Award
	flushErr error
	ctx      context.Context // the transaction's, for the accessors' flushes
	// awLearners: learners whose awards are all cached (PreloadAwards).
	awLearners map[int64]bool
	// awWritten: keys a write-through Put changed; a Get of them asks the
	// store even for a preloaded learner.
	awWritten map[awardKey]bool

	// Progress write-behind (PreloadProgress): pb is nil without
	// store.ProgressBatcher.
	pb store.ProgressBatcher
	// progLearners: learners whose progress rows are all cached.
	progLearners map[int64]bool
	// pendP: rows whose creation is held back, under provisional ids.
	pendP    []*progEntry
	lastProv int64 // the last provisional id given (negative)
}

// WriteBehind is NewWriteBehind's cache: the Repos of New's cache, whose
// most frequent writes are held back until Flush.
type WriteBehind struct {
	*txCache
}

// NewWriteBehind returns New's cache of tx (the Repos an InTx function
// was given, with ctx the context it was given) that also holds back the writes a
// batch of events makes most, when tx implements store.BatchWriter: a
// fulfilment of a progress row the transaction holds locked and whose
// fulfilments the cache knows (so it knows the fulfilment is new), and an
// award Put whose key the cache knows is absent (a creation), and, with
// store.ProgressBatcher, a GetOrCreate of a progress row PreloadProgress
// found absent (under a provisional id: see PreloadProgress). The cache
// sets what the store would set — the fulfilment's CreatedAt and the
// progress row's UpdatedAt, the award's UpdatedAt and Generation — from
// now (time.Now when nil), answers later reads of them itself, and writes
// them together, with those fields, in Flush (store.ProgressBatcher's
// CreateProgressBatch, then store.BatchWriter's FulfillBatch and
// CreateAwardsBatch). Without BatchWriter it is New's
// write-through cache.
//
// Any other call that reaches the store through the cache's awards and
// progress, or through its Issuance, StatusLists and Exchanges, flushes
// first, so the store never sees a write out of order; Learners, Events,
// Outbox and Config do not touch the held-back records and do not flush.
// The caller must call Flush before the transaction commits and return its
// error from the InTx function: a held-back write that fails (a concurrent
// transaction created the same award first) fails the transaction, which
// then keeps nothing. A flush that fails inside another call is reported
// by the next Flush.
func NewWriteBehind(ctx context.Context, tx store.Repos, now func() time.Time) *WriteBehind {
	c := New(tx).(*txCache)
	c.ctx = ctx
	if bw, ok := tx.(store.BatchWriter); ok {
		c.bw = bw
		if pb, ok := tx.(store.ProgressBatcher); ok {
			c.pb = pb
		}
	}
	if now == nil {
		now = time.Now
	}
	c.now = now
	return &WriteBehind{c}
}

// PreloadAwards reads the current awards of the learners into the cache
// with one store.BatchWriter.CurrentAwardsBatch call (which locks them
// like Get), so later Gets of their awards are answered without the store:
// an award it did not return is absent, and a Put of it is a creation the
// cache holds back. Without BatchWriter it does nothing.
func (w *WriteBehind) PreloadAwards(ctx context.Context, learnerIDs []int64) error {
	if w.bw == nil || len(learnerIDs) == 0 {
		return nil
	}
	if err := w.sync(ctx); err != nil {
		return err
	}
	as, err := w.bw.CurrentAwardsBatch(ctx, learnerIDs)
	if err != nil {
		return err
	}
	if w.awLearners == nil {
		w.awLearners = map[int64]bool{}
	}
	for _, id := range learnerIDs {
		w.awLearners[id] = true
	}
	for _, a := range as {
		k := awardKey{a.LearnerID, a.Achievement}
		if _, ok := w.aw[k]; !ok {
			w.aw[k] = awardEntry{a: cloneAward(a)}
		}
	}
	return nil
}

// PreloadProgress reads every progress row of the learners into the
// cache with one store.ProgressBatcher.ProgressBatch call (which locks
// them, and their absence, until commit), so later Gets of their progress
// are answered without the store, and a GetOrCreate of a row it did not
// return is a creation the cache holds back: it returns the row with a
// provisional id — negative, valid only in this cache's calls, which pass
// the store the real id once Flush has created the row with
// store.ProgressBatcher.CreateProgressBatch — and CreatedAt and UpdatedAt
// from the cache's clock. Without BatchWriter and ProgressBatcher it does
// nothing.
func (w *WriteBehind) PreloadProgress(ctx context.Context, learnerIDs []int64) error {
	if w.bw == nil || w.pb == nil || len(learnerIDs) == 0 {
		return nil
	}
	if err := w.sync(ctx); err != nil {
		return err
	}
	ps, err := w.pb.ProgressBatch(ctx, learnerIDs)
	if err != nil {
		return err
	}
	if w.progLearners == nil {
		w.progLearners = map[int64]bool{}
	}
	for _, id := range learnerIDs {
		w.progLearners[id] = true
	}
	for _, p := range ps {
		if w.prog[progKey{p.LearnerID, p.TemplateUUID}] == nil {
			w.seen(p).locked = true
		}
	}
	return nil
}

// Flush writes the held-back progress rows, fulfilments and awards, and
// returns the first error of a flush so far.
func (w *WriteBehind) Flush(ctx context.Context) error {
	w.flush(ctx)
	return w.flushErr
}

// flush writes what is held back; an error sticks in flushErr.
func (c *txCache) flush(ctx context.Context) {
	if c.flushErr != nil || (len(c.pendF) == 0 && len(c.pendA) == 0 && len(c.pendP) == 0) {
		return
	}
	if len(c.pendP) > 0 {
		rows := make([]store.BadgeProgress, len(c.pendP))
		for i, e := range c.pendP {
			rows[i] = e.p
		}
		ids, err := c.pb.CreateProgressBatch(ctx, rows)
		if err != nil {
			c.flushErr = err
			return
		}
		for i, e := range c.pendP {
			// byID keeps the provisional id too: callers may still hold it.
			e.p.ID, e.unborn = ids[i], false
			c.byID[ids[i]] = e
		}
		c.pendP = c.pendP[:0]
		for i := range c.pendF {
			c.pendF[i].ProgressID = c.realID(c.pendF[i].ProgressID)
		}
	}
	if len(c.pendF) > 0 {
		if err := c.bw.FulfillBatch(ctx, c.pendF); err != nil {
			c.flushErr = err
			return
		}
		for _, pf := range c.pendF {
			if e := c.byID[pf.ProgressID]; e != nil {
				e.pending = false
			}
		}
		c.pendF = c.pendF[:0]
	}
	if len(c.pendA) > 0 {
		if err := c.bw.CreateAwardsBatch(ctx, c.pendA); err != nil {
			c.flushErr = err
			return
		}
		for _, a := range c.pendA {
			k := awardKey{a.LearnerID, a.Achievement}
			if e, ok := c.aw[k]; ok {
				e.pending = false
				c.aw[k] = e
			}
		}
		c.pendA = c.pendA[:0]
	}
}

// sync flushes before a call that reaches the store, and returns the
// flush's error.
func (c *txCache) sync(ctx context.Context) error {
	if c.bw == nil {
		return nil
	}
	c.flush(ctx)
	return c.flushErr
}

// syncRow flushes before a call about one progress row (or award key)
// when writes of it are held back; calls about other rows need not wait.
func (c *txCache) syncRow(ctx context.Context, pending bool) error {
	if !pending {
		return c.flushErr
	}
	return c.sync(ctx)
}

// syncID is syncRow for the progress row id, and returns the id to pass
// the store (the real one of a row created under a provisional id).
func (c *txCache) syncID(ctx context.Context, id int64) (int64, error) {
	e := c.byID[id]
	if err := c.syncRow(ctx, e != nil && (e.pending || e.unborn)); err != nil {
		return id, err
	}
	return c.realID(id), nil
}

// realID is the store's id of the progress row the cache knows as id.
func (c *txCache) realID(id int64) int64 {
	if e := c.byID[id]; e != nil && !e.unborn {
		return e.p.ID
	}
	return id
}

// stamp is the cache's store-set time, in stored form.
func (c *txCache) stamp() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// Issuance flushes held-back writes first.
func (c *txCache) Issuance() store.Issuance {
	c.flush(c.ctx)
	return c.Repos.Issuance()
}

// StatusLists flushes held-back writes first.
func (c *txCache) StatusLists() store.StatusLists {
	c.flush(c.ctx)
	return c.Repos.StatusLists()
}

// Exchanges flushes held-back writes first.
func (c *txCache) Exchanges() store.Exchanges {
	c.flush(c.ctx)
	return c.Repos.Exchanges()
}

type awardKey struct {
	learner int64
	ref     credential.AchievementRef
}

type awardEntry struct {
	a       credential.Award
	err     error // the store's ErrNotFound, or nil
	pending bool  // a is held back, not written yet
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
	// pending: fulfilments of the row are held back.
	pending bool
	// unborn: the row's creation is held back (p.ID is provisional).
	unborn bool
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
	if a.c.awLearners[learnerID] && !a.c.awWritten[k] {
		// Preloaded: every award of the learner is cached; this one is absent.
		err := store.NotFound("award", ref.String()+" of learner "+strconv.FormatInt(learnerID, 10))
		a.c.aw[k] = awardEntry{err: err}
		return credential.Award{}, err
	}
	aw, err := a.Awards.Get(ctx, learnerID, ref) // held-back awards are all cached
	switch {
	case err == nil:
		a.c.aw[k] = awardEntry{a: cloneAward(aw)}
	case errors.Is(err, store.ErrNotFound):
		a.c.aw[k] = awardEntry{err: err}
	}
	return aw, err
}

func (a cachedAwards) Put(ctx context.Context, aw credential.Award) (credential.Award, bool, error) {
	k := awardKey{aw.LearnerID, aw.Achievement}
	if e, ok := a.c.aw[k]; ok && e.err != nil && a.c.bw != nil && a.c.flushErr == nil {
		// Known absent: the Put creates the award. Hold it back.
		if err := aw.Validate(); err != nil {
			return credential.Award{}, false, err
		}
		stored := normAward(aw)
		stored.Generation = stored.Gen()
		stored.UpdatedAt = a.c.stamp()
		a.c.pendA = append(a.c.pendA, cloneAward(stored))
		a.c.aw[k] = awardEntry{a: cloneAward(stored), pending: true}
		return stored, true, nil
	}
	if err := a.c.syncRow(ctx, a.c.aw[k].pending); err != nil {
		return credential.Award{}, false, err
	}
	delete(a.c.aw, k)
	if a.c.awLearners[aw.LearnerID] {
		if a.c.awWritten == nil {
			a.c.awWritten = map[awardKey]bool{}
		}
		a.c.awWritten[k] = true
	}
	return a.Awards.Put(ctx, aw)
}

func (a cachedAwards) GetByUUID(ctx context.Context, id uuid.UUID) (credential.Award, error) {
	if err := a.c.sync(ctx); err != nil {
		return credential.Award{}, err
	}
	return a.Awards.GetByUUID(ctx, id)
}

func (a cachedAwards) FindByProviderRef(ctx context.Context, provider, externalID string) (credential.Award, error) {
	if err := a.c.sync(ctx); err != nil {
		return credential.Award{}, err
	}
	return a.Awards.FindByProviderRef(ctx, provider, externalID)
}

func (a cachedAwards) List(ctx context.Context, f store.AwardFilter) ([]credential.Award, error) {
	if err := a.c.sync(ctx); err != nil {
		return nil, err
	}
	return a.Awards.List(ctx, f)
}

// normAward is the award as a store keeps it: times in UTC with
// microseconds, no empty evidence or provider list.
func normAward(a credential.Award) credential.Award {
	a = cloneAward(a)
	if len(a.Evidence) == 0 {
		a.Evidence = nil
	}
	if len(a.Providers) == 0 {
		a.Providers = nil
	}
	a.AwardedAt, a.RevokedAt = norm(a.AwardedAt), norm(a.RevokedAt)
	a.Awarded.EventTime, a.Revoked.EventTime = norm(a.Awarded.EventTime), norm(a.Revoked.EventTime)
	for i := range a.Providers {
		a.Providers[i].UpdatedAt = norm(a.Providers[i].UpdatedAt)
	}
	return a
}

func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
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
	e := p.c.prog[progKey{learnerID, template}]
	if e != nil && e.locked && e.fresh {
		return e.p, nil
	}
	if e == nil && p.c.progLearners[learnerID] {
		// Preloaded: every progress row of the learner is cached.
		return store.BadgeProgress{}, store.NotFound("badge progress", strconv.FormatInt(learnerID, 10)+"/"+template.String())
	}
	if err := p.c.syncRow(ctx, e != nil && (e.pending || e.unborn)); err != nil {
		return store.BadgeProgress{}, err
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
	if e := p.c.prog[progKey{learnerID, template}]; e == nil && p.c.progLearners[learnerID] {
		// Preloaded and absent: hold the creation back.
		if err := store.CheckProgressKey(learnerID, template, rulesVersion); err != nil {
			return store.BadgeProgress{}, false, err
		}
		if p.c.flushErr != nil {
			return store.BadgeProgress{}, false, p.c.flushErr
		}
		p.c.lastProv--
		at := p.c.stamp()
		e := &progEntry{
			p:     store.BadgeProgress{ID: p.c.lastProv, LearnerID: learnerID, TemplateUUID: template, RulesVersion: rulesVersion, CreatedAt: at, UpdatedAt: at},
			fresh: true, locked: true, fs: []store.Fulfillment{}, fsKnown: true,
			obs: map[string][]store.Observation{}, unborn: true,
		}
		p.c.prog[progKey{learnerID, template}] = e
		p.c.byID[e.p.ID] = e
		p.c.pendP = append(p.c.pendP, e)
		return e.p, true, nil
	}
	if e := p.c.prog[progKey{learnerID, template}]; e != nil && (e.pending || e.unborn) {
		if err := p.c.sync(ctx); err != nil {
			return store.BadgeProgress{}, false, err
		}
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
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return err
	}
	err = p.Progress.SetRulesVersion(ctx, id, version)
	p.c.written(progressID)
	return err
}

func (p cachedProgress) Fulfill(ctx context.Context, progressID int64, f store.Fulfillment) (bool, error) {
	if e := p.c.byID[progressID]; e != nil && e.locked && e.fsKnown && e.fresh && p.c.bw != nil && p.c.flushErr == nil {
		// The row is locked and its fulfilments known: hold the write back.
		i, found := slices.BinarySearchFunc(e.fs, f.RequirementID, func(x store.Fulfillment, id string) int { return strings.Compare(x.RequirementID, id) })
		if found {
			return false, nil
		}
		f.Matched = slices.Clone(f.Matched)
		f.EventTime, f.CreatedAt = norm(f.EventTime), p.c.stamp()
		// The write-through call's ErrInvalid now, but without parsing
		// Matched: FulfillBatch checks it at Flush, and a failure there
		// fails the transaction (profiles showed the JSON checked twice).
		if err := store.CheckBatchFulfillmentFields(f); err != nil {
			return false, err
		}
		p.c.pendF = append(p.c.pendF, store.ProgressFulfillment{ProgressID: progressID, Fulfillment: f})
		e.fs = slices.Insert(e.fs, i, f)
		e.p.UpdatedAt = f.CreatedAt
		e.pending = true
		return true, nil
	}
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return false, err
	}
	added, err := p.Progress.Fulfill(ctx, id, f)
	if e := p.c.written(progressID); e != nil && (added || err != nil) {
		e.fs, e.fsKnown = nil, false
	}
	return added, err
}

func (p cachedProgress) Unfulfill(ctx context.Context, progressID int64, requirementIDs []string) (int, error) {
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return 0, err
	}
	n, err := p.Progress.Unfulfill(ctx, id, requirementIDs)
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
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return nil, err
	}
	fs, err := p.Progress.Fulfillments(ctx, id)
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
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return false, err
	}
	added, err := p.Progress.Observe(ctx, id, o)
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
	id, err := p.c.syncID(ctx, progressID)
	if err != nil {
		return nil, err
	}
	obs, err := p.Progress.Observations(ctx, id, requirementID)
	if err == nil && e != nil && e.locked {
		e.obs[requirementID] = slices.Clone(obs)
	}
	return obs, err
}
