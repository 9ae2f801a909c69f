package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type progress repos

func (r progress) GetOrCreate(ctx context.Context, learnerID int64, template uuid.UUID, rulesVersion int) (p store.BadgeProgress, created bool, err error) {
	if err := store.CheckProgressKey(learnerID, template, rulesVersion); err != nil {
		return p, false, err
	}
	err = r.h.do(ctx, func(t *txn) error {
		k := progressKey{learner: learnerID, template: template}
		if id, ok := t.st.progressByKy[k]; ok {
			p = t.st.progress[id]
			return nil
		}
		p = t.createProgress(learnerID, template, rulesVersion, t.now())
		created = true
		return nil
	})
	return p, created, err
}

// createProgress stores a new progress row made at now.
func (t *txn) createProgress(learnerID int64, template uuid.UUID, rulesVersion int, now time.Time) store.BadgeProgress {
	t.st.progressSeq++ // ids are never reused, even after a rollback
	p := store.BadgeProgress{
		ID: t.st.progressSeq, LearnerID: learnerID, TemplateUUID: template,
		RulesVersion: rulesVersion, CreatedAt: now, UpdatedAt: now,
	}
	put(t, t.st.progress, p.ID, p)
	put(t, t.st.progressByKy, progressKey{learner: learnerID, template: template}, p.ID)
	of := t.st.progressOf[learnerID]
	if of == nil {
		of = map[uuid.UUID]int64{}
		put(t, t.st.progressOf, learnerID, of)
	}
	put(t, of, template, p.ID)
	return p
}

func (r progress) Get(ctx context.Context, learnerID int64, template uuid.UUID) (p store.BadgeProgress, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		id, ok := t.st.progressByKy[progressKey{learner: learnerID, template: template}]
		if !ok {
			return store.NotFound("badge progress", itoa(learnerID)+"/"+template.String())
		}
		p = t.st.progress[id]
		return nil
	})
	return p, err
}

func (r progress) SetRulesVersion(ctx context.Context, progressID int64, version int) error {
	if version < 0 {
		return credential.Invalid("progress.rules_version", "must not be negative")
	}
	return r.h.do(ctx, func(t *txn) error {
		p, ok := t.st.progress[progressID]
		if !ok {
			return store.NotFound("badge progress", progressID)
		}
		if p.RulesVersion != version {
			p.RulesVersion = version
			p.UpdatedAt = t.now()
			put(t, t.st.progress, progressID, p)
		}
		return nil
	})
}

func (r progress) touch(t *txn, id int64) {
	p := t.st.progress[id]
	p.UpdatedAt = t.now()
	put(t, t.st.progress, id, p)
}

func (r progress) Fulfill(ctx context.Context, progressID int64, f store.Fulfillment) (added bool, err error) {
	if strings.TrimSpace(f.RequirementID) == "" {
		return false, credential.Invalid("fulfillment.requirement_id", "must not be empty")
	}
	if err := store.ValidJSON("fulfillment.matched", f.Matched); err != nil {
		return false, err
	}
	f = copyFulfillment(f)
	f.EventTime = norm(f.EventTime)
	err = r.h.do(ctx, func(t *txn) error {
		if _, ok := t.st.progress[progressID]; !ok {
			return store.NotFound("badge progress", progressID)
		}
		m := t.st.fulfilled[progressID]
		if m == nil {
			m = map[string]store.Fulfillment{}
			put(t, t.st.fulfilled, progressID, m)
		}
		if _, ok := m[f.RequirementID]; ok {
			return nil
		}
		f.CreatedAt = t.now()
		put(t, m, f.RequirementID, f)
		r.touch(t, progressID)
		added = true
		return nil
	})
	return added, err
}

func (r progress) Unfulfill(ctx context.Context, progressID int64, requirementIDs []string) (removed int, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		m := t.st.fulfilled[progressID]
		obs := t.st.observed[progressID]
		for _, req := range requirementIDs {
			if _, ok := m[req]; ok {
				del(t, m, req)
				removed++
			}
			if obs != nil {
				del(t, obs, req)
			}
		}
		if removed > 0 {
			r.touch(t, progressID)
		}
		return nil
	})
	return removed, err
}

func (r progress) Fulfillments(ctx context.Context, progressID int64) (out []store.Fulfillment, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		m := t.st.fulfilled[progressID]
		out = make([]store.Fulfillment, 0, len(m))
		for _, f := range m {
			out = append(out, copyFulfillment(f))
		}
		slices.SortFunc(out, func(a, b store.Fulfillment) int { return strings.Compare(a.RequirementID, b.RequirementID) })
		return nil
	})
	return out, err
}

func (r progress) Observe(ctx context.Context, progressID int64, o store.Observation) (added bool, err error) {
	switch {
	case strings.TrimSpace(o.RequirementID) == "":
		return false, credential.Invalid("observation.requirement_id", "must not be empty")
	case o.Value == "":
		return false, credential.Invalid("observation.value", "must not be empty")
	}
	o.EventTime = norm(o.EventTime)
	err = r.h.do(ctx, func(t *txn) error {
		if _, ok := t.st.progress[progressID]; !ok {
			return store.NotFound("badge progress", progressID)
		}
		byReq := t.st.observed[progressID]
		if byReq == nil {
			byReq = map[string]map[string]store.Observation{}
			put(t, t.st.observed, progressID, byReq)
		}
		vals := byReq[o.RequirementID]
		if vals == nil {
			vals = map[string]store.Observation{}
			put(t, byReq, o.RequirementID, vals)
		}
		if _, ok := vals[o.Value]; ok {
			return nil
		}
		put(t, vals, o.Value, o)
		r.touch(t, progressID)
		added = true
		return nil
	})
	return added, err
}

func (r progress) Observations(ctx context.Context, progressID int64, requirementID string) (out []store.Observation, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		vals := t.st.observed[progressID][requirementID]
		out = make([]store.Observation, 0, len(vals))
		for _, o := range vals {
			out = append(out, o)
		}
		slices.SortFunc(out, func(a, b store.Observation) int {
			if c := a.EventTime.Compare(b.EventTime); c != 0 {
				return c
			}
			return strings.Compare(a.Value, b.Value)
		})
		return nil
	})
	return out, err
}
