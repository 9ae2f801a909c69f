package memstore

import (
	"context"
	"slices"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type learners repos

func (r learners) Upsert(ctx context.Context, l credential.Learner) (out credential.Learner, changed bool, err error) {
	if err := l.Validate(); err != nil {
		return credential.Learner{}, false, err
	}
	err = r.h.do(ctx, func(t *txn) error {
		old, ok := t.st.learners[l.UserID]
		if !ok {
			out, changed = l, true
		} else {
			out, changed = old.Merge(l)
		}
		if changed {
			put(t, t.st.learners, l.UserID, out)
		}
		return nil
	})
	return out, changed, err
}

func (r learners) Get(ctx context.Context, userID int64) (out credential.Learner, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		l, ok := t.st.learners[userID]
		if !ok {
			return store.NotFound("learner", userID)
		}
		out = l
		return nil
	})
	return out, err
}

type awards repos

func keyOf(learner int64, a credential.AchievementRef) awardKey {
	return awardKey{learner: learner, kind: a.Kind, id: a.ID}
}

func (r awards) Put(ctx context.Context, a credential.Award) (stored credential.Award, created bool, err error) {
	if err := a.Validate(); err != nil {
		return credential.Award{}, false, err
	}
	a = normAward(a)
	a.Generation = a.Gen()
	err = r.h.do(ctx, func(t *txn) error {
		a.UpdatedAt = t.now()
		k := keyOf(a.LearnerID, a.Achievement)
		gk := awardGenKey{k, a.Generation}
		if id, ok := t.st.awardByGen[gk]; ok {
			a.UUID = id // the first UUID stays
			put(t, t.st.awards, id, a)
			stored, created = copyAward(a), false
			return nil
		}
		if _, taken := t.st.awards[a.UUID]; taken {
			return store.Conflict("award uuid %s is already used by another (learner, achievement, generation)", a.UUID)
		}
		put(t, t.st.awards, a.UUID, a)
		put(t, t.st.awardByGen, gk, a.UUID)
		if cur, ok := t.st.awardByKey[k]; !ok || t.st.awards[cur].Gen() < a.Generation {
			put(t, t.st.awardByKey, k, a.UUID)
		}
		stored, created = copyAward(a), true
		return nil
	})
	return stored, created, err
}

func (r awards) Get(ctx context.Context, learnerID int64, ref credential.AchievementRef) (out credential.Award, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		id, ok := t.st.awardByKey[keyOf(learnerID, ref)]
		if !ok {
			return store.NotFound("award", ref.String()+" of learner "+itoa(learnerID))
		}
		out = copyAward(t.st.awards[id])
		return nil
	})
	return out, err
}

func (r awards) GetByUUID(ctx context.Context, id uuid.UUID) (out credential.Award, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		a, ok := t.st.awards[id]
		if !ok {
			return store.NotFound("award", id)
		}
		out = copyAward(a)
		return nil
	})
	return out, err
}

func (r awards) FindByProviderRef(ctx context.Context, provider, externalID string) (out credential.Award, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		if provider != "" && externalID != "" {
			var found *credential.Award
			for _, a := range t.st.awards {
				for _, p := range a.Providers {
					if p.Provider == provider && p.ExternalID == externalID {
						// Several matches would be a data error; take the
						// smallest UUID so the answer is stable.
						if found == nil || uuidLess(a.UUID, found.UUID) {
							found = &a
						}
					}
				}
			}
			if found != nil {
				out = copyAward(*found)
				return nil
			}
		}
		return store.NotFound("award with provider reference", provider+"/"+externalID)
	})
	return out, err
}

// Limits of Awards.List.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

func (r awards) List(ctx context.Context, f store.AwardFilter) (out []credential.Award, err error) {
	if f.AchievementID != "" && f.Kind == "" {
		return nil, credential.Invalid("filter.kind", "must be set when filtering on achievement id")
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, credential.Invalid("filter.kind", "unknown kind "+string(f.Kind))
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, credential.Invalid("filter.status", "unknown status "+string(f.Status))
	}
	limit := clampLimit(f.Limit)
	err = r.h.do(ctx, func(t *txn) error {
		var ids []uuid.UUID
		for id, a := range t.st.awards {
			if f.LearnerID != 0 && a.LearnerID != f.LearnerID ||
				f.Kind != "" && a.Achievement.Kind != f.Kind ||
				f.AchievementID != "" && a.Achievement.ID != f.AchievementID ||
				f.Status != "" && a.Status != f.Status ||
				f.After != uuid.Nil && !uuidLess(f.After, id) {
				continue
			}
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int {
			switch {
			case uuidLess(a, b):
				return -1
			case uuidLess(b, a):
				return 1
			}
			return 0
		})
		if len(ids) > limit {
			ids = ids[:limit]
		}
		out = make([]credential.Award, 0, len(ids))
		for _, id := range ids {
			out = append(out, copyAward(t.st.awards[id]))
		}
		return nil
	})
	return out, err
}
