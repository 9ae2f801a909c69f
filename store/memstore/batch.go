package memstore

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

var (
	_ store.BatchWriter     = repos{}
	_ store.ProgressBatcher = repos{}
)

// MarkProcessedBatch implements store.BatchWriter: Events.MarkProcessed
// for each id, under the transaction's lock.
func (r repos) MarkProcessedBatch(ctx context.Context, group string, ids []string, at time.Time) ([]bool, error) {
	if group == "" {
		return nil, credential.Invalid("event.group", "must not be empty")
	}
	for _, id := range ids {
		if id == "" {
			return nil, credential.Invalid("event.id", "must not be empty")
		}
	}
	first := make([]bool, len(ids))
	for i, id := range ids {
		var err error
		if first[i], err = r.Events().MarkProcessed(ctx, group, id, at); err != nil {
			return nil, err
		}
	}
	return first, nil
}

// EnqueueBatch implements store.BatchWriter: Outbox.Enqueue for each item,
// after checking them all.
func (r repos) EnqueueBatch(ctx context.Context, items []store.OutboxItem) (int, error) {
	for _, it := range items {
		if err := store.PrepareOutboxItem(it); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, it := range items {
		_, ok, err := r.Outbox().Enqueue(ctx, it)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// FulfillBatch implements store.BatchWriter: every row is checked first,
// then stored with the CreatedAt given.
func (r repos) FulfillBatch(ctx context.Context, fs []store.ProgressFulfillment) error {
	for _, pf := range fs {
		if err := store.CheckBatchFulfillment(pf.Fulfillment); err != nil {
			return err
		}
	}
	return r.h.do(ctx, func(t *txn) error {
		seen := map[progressReq]bool{}
		for _, pf := range fs {
			if _, ok := t.st.progress[pf.ProgressID]; !ok {
				return store.NotFound("badge progress", pf.ProgressID)
			}
			k := progressReq{pf.ProgressID, pf.Fulfillment.RequirementID}
			if _, ok := t.st.fulfilled[pf.ProgressID][k.req]; ok || seen[k] {
				return store.Conflict("requirement %s of progress %d is already fulfilled", k.req, k.progress)
			}
			seen[k] = true
		}
		for _, pf := range fs {
			f := copyFulfillment(pf.Fulfillment)
			f.EventTime, f.CreatedAt = norm(f.EventTime), norm(f.CreatedAt)
			m := t.st.fulfilled[pf.ProgressID]
			if m == nil {
				m = map[string]store.Fulfillment{}
				put(t, t.st.fulfilled, pf.ProgressID, m)
			}
			put(t, m, f.RequirementID, f)
			if p := t.st.progress[pf.ProgressID]; f.CreatedAt.After(p.UpdatedAt) || !seen[progressReq{progress: pf.ProgressID}] {
				p.UpdatedAt = f.CreatedAt
				put(t, t.st.progress, pf.ProgressID, p)
			}
			seen[progressReq{progress: pf.ProgressID}] = true
		}
		return nil
	})
}

type progressReq struct {
	progress int64
	req      string
}

// CreateAwardsBatch implements store.BatchWriter: every award is checked
// first, then stored as given.
func (r repos) CreateAwardsBatch(ctx context.Context, as []credential.Award) error {
	norm := make([]credential.Award, len(as))
	for i, a := range as {
		if err := a.Validate(); err != nil {
			return err
		}
		if a.UpdatedAt.IsZero() {
			return credential.Invalid("award.updated_at", "must be set in a batch")
		}
		norm[i] = normAward(a)
		norm[i].Generation = a.Gen()
	}
	return r.h.do(ctx, func(t *txn) error {
		gens := map[awardGenKey]bool{}
		ids := map[uuid.UUID]bool{}
		for _, a := range norm {
			gk := awardGenKey{keyOf(a.LearnerID, a.Achievement), a.Generation}
			if _, ok := t.st.awardByGen[gk]; ok || gens[gk] {
				return store.Conflict("award %s of learner %d (generation %d) exists", a.Achievement, a.LearnerID, a.Generation)
			}
			if _, ok := t.st.awards[a.UUID]; ok || ids[a.UUID] {
				return store.Conflict("award uuid %s is already used by another (learner, achievement, generation)", a.UUID)
			}
			gens[gk], ids[a.UUID] = true, true
		}
		for _, a := range norm {
			k := keyOf(a.LearnerID, a.Achievement)
			put(t, t.st.awards, a.UUID, a)
			put(t, t.st.awardByGen, awardGenKey{k, a.Generation}, a.UUID)
			if cur, ok := t.st.awardByKey[k]; !ok || t.st.awards[cur].Gen() < a.Generation {
				put(t, t.st.awardByKey, k, a.UUID)
			}
		}
		return nil
	})
}

// CurrentAwardsBatch implements store.BatchWriter.
func (r repos) CurrentAwardsBatch(ctx context.Context, learnerIDs []int64) ([]credential.Award, error) {
	want := make(map[int64]bool, len(learnerIDs))
	for _, id := range learnerIDs {
		want[id] = true
	}
	var out []credential.Award
	err := r.h.do(ctx, func(t *txn) error {
		out = out[:0]
		for k, id := range t.st.awardByKey {
			if want[k.learner] {
				out = append(out, copyAward(t.st.awards[id]))
			}
		}
		return nil
	})
	return out, err
}

// UpsertLearnersBatch implements store.BatchWriter: Learners.Upsert for
// each, after checking them all.
func (r repos) UpsertLearnersBatch(ctx context.Context, ls []credential.Learner) ([]credential.Learner, error) {
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			return nil, err
		}
	}
	out := make([]credential.Learner, len(ls))
	for i, l := range ls {
		var err error
		if out[i], _, err = r.Learners().Upsert(ctx, l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ProgressBatch implements store.ProgressBatcher from the per-learner
// index (the transaction holds the store's lock, so absence stays true).
func (r repos) ProgressBatch(ctx context.Context, learnerIDs []int64) ([]store.BadgeProgress, error) {
	var out []store.BadgeProgress
	err := r.h.do(ctx, func(t *txn) error {
		out = out[:0]
		seen := make(map[int64]bool, len(learnerIDs))
		for _, l := range learnerIDs {
			if seen[l] {
				continue
			}
			seen[l] = true
			for _, id := range t.st.progressOf[l] {
				out = append(out, t.st.progress[id])
			}
		}
		return nil
	})
	return out, err
}

// CreateProgressBatch implements store.ProgressBatcher: every row is
// checked first, then stored with the CreatedAt given.
func (r repos) CreateProgressBatch(ctx context.Context, ps []store.BadgeProgress) ([]int64, error) {
	seen := make(map[progressKey]bool, len(ps))
	for _, p := range ps {
		if err := store.CheckBatchProgress(p); err != nil {
			return nil, err
		}
		k := progressKey{learner: p.LearnerID, template: p.TemplateUUID}
		if seen[k] {
			return nil, store.Conflict("progress %d/%s repeats in the batch", p.LearnerID, p.TemplateUUID)
		}
		seen[k] = true
	}
	ids := make([]int64, len(ps))
	err := r.h.do(ctx, func(t *txn) error {
		for _, p := range ps {
			if _, ok := t.st.progressByKy[progressKey{learner: p.LearnerID, template: p.TemplateUUID}]; ok {
				return store.Conflict("progress %d/%s exists", p.LearnerID, p.TemplateUUID)
			}
		}
		for i, p := range ps {
			ids[i] = t.createProgress(p.LearnerID, p.TemplateUUID, p.RulesVersion, norm(p.CreatedAt)).ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
