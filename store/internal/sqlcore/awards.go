package sqlcore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type learners repos

const learnerCols = "user_id, username, email, full_name, is_active"

func (r learners) Upsert(ctx context.Context, l credential.Learner) (out credential.Learner, changed bool, err error) {
	if err := l.Validate(); err != nil {
		return out, false, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		now := db.tv(db.now())
		ins, err := db.insertIgnore(ctx, tx, "cs_learners",
			[]string{"user_id", "username", "email", "full_name", "is_active", "created_at", "updated_at"},
			l.UserID, l.Username, l.Email, l.FullName, l.IsActive, now, now)
		if err != nil {
			return err
		}
		if ins {
			out, changed = l, true
			return nil
		}
		old, err := scanLearner(tx.QueryRowContext(ctx, "SELECT "+learnerCols+" FROM cs_learners WHERE user_id = ?"+db.d.ForUpdate, l.UserID))
		if err != nil {
			return err
		}
		out, changed = old.Merge(l)
		if !changed {
			return nil
		}
		_, err = tx.ExecContext(ctx, "UPDATE cs_learners SET username = ?, email = ?, full_name = ?, is_active = ?, updated_at = ? WHERE user_id = ?",
			out.Username, out.Email, out.FullName, out.IsActive, now, l.UserID)
		return err
	})
	return out, changed, db.wrap("learners.upsert", l.UserID, err)
}

func scanLearner(row rowScanner) (l credential.Learner, err error) {
	err = row.Scan(&l.UserID, &l.Username, &l.Email, &l.FullName, &l.IsActive)
	return l, err
}

func (r learners) Get(ctx context.Context, userID int64) (out credential.Learner, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = scanLearner(tx.QueryRowContext(ctx, "SELECT "+learnerCols+" FROM cs_learners WHERE user_id = ?", userID))
		if err == sql.ErrNoRows {
			return db.notFound("learner", userID)
		}
		return err
	})
	return out, db.wrap("learners.get", userID, err)
}

type awards repos

// awardCols are the award columns in the order scanAward reads them.
var awardCols = []string{"uuid", "learner_id", "kind", "achievement_id", "status",
	"awarded_at", "awarded_event_id", "awarded_event_time", "awarded_reason",
	"revoked_at", "revoked_event_id", "revoked_event_time", "revoked_reason",
	"evidence", "providers", "times", "updated_at", "revoked_by", "generation"}

var awardSelect = "SELECT " + strings.Join(awardCols, ", ") + " FROM cs_awards"

func scanAward(row rowScanner) (a credential.Award, err error) {
	var ev, prov []byte
	err = row.Scan(&a.UUID, &a.LearnerID, &a.Achievement.Kind, &a.Achievement.ID, &a.Status,
		ts{&a.AwardedAt}, &a.Awarded.EventID, ts{&a.Awarded.EventTime}, &a.Awarded.Reason,
		ts{&a.RevokedAt}, &a.Revoked.EventID, ts{&a.Revoked.EventTime}, &a.Revoked.Reason,
		&ev, &prov, &a.Times, ts{&a.UpdatedAt}, &a.RevokedBy, &a.Generation)
	if err != nil {
		return a, err
	}
	if err := unjson(ev, &a.Evidence); err != nil {
		return a, fmt.Errorf("award %s evidence: %w", a.UUID, err)
	}
	if err := unjson(prov, &a.Providers); err != nil {
		return a, fmt.Errorf("award %s providers: %w", a.UUID, err)
	}
	return a, nil
}

// normAward copies a with its times in stored form.
func normAward(a credential.Award) credential.Award {
	a.Evidence = maps.Clone(a.Evidence)
	a.Providers = slices.Clone(a.Providers)
	a.AwardedAt, a.RevokedAt = Norm(a.AwardedAt), Norm(a.RevokedAt)
	a.Awarded.EventTime, a.Revoked.EventTime = Norm(a.Awarded.EventTime), Norm(a.Revoked.EventTime)
	for i := range a.Providers {
		a.Providers[i].UpdatedAt = Norm(a.Providers[i].UpdatedAt)
	}
	return a
}

func awardKeyString(learnerID int64, ref credential.AchievementRef) string {
	return fmt.Sprintf("%s of learner %d", ref, learnerID)
}

func (r awards) Put(ctx context.Context, a credential.Award) (stored credential.Award, created bool, err error) {
	if err := a.Validate(); err != nil {
		return stored, false, err
	}
	a = normAward(a)
	a.Generation = a.Gen()
	ev, err := jsonArg(a.Evidence, len(a.Evidence) == 0)
	if err != nil {
		return stored, false, credential.Invalid("award.evidence", err.Error())
	}
	prov, err := jsonArg(a.Providers, len(a.Providers) == 0)
	if err != nil {
		return stored, false, credential.Invalid("award.providers", err.Error())
	}
	db := r.h.base()
	key := awardKeyString(a.LearnerID, a.Achievement)
	err = r.h.run(ctx, write, func(tx q) error {
		a.UpdatedAt = db.now()
		mutable := []any{a.Status,
			db.tv(a.AwardedAt), a.Awarded.EventID, db.tv(a.Awarded.EventTime), a.Awarded.Reason,
			db.tv(a.RevokedAt), a.Revoked.EventID, db.tv(a.Revoked.EventTime), a.Revoked.Reason,
			ev, prov, a.Times, db.tv(a.UpdatedAt), a.RevokedBy}
		// Every column but the key (uuid, learner, achievement, generation).
		set := strings.Join(awardCols[4:len(awardCols)-1], " = ?, ") + " = ?"
		for try := 0; ; try++ {
			// Lock the award of this key and generation if there is one and
			// overwrite its mutable fields, keeping its UUID.
			var id uuid.UUID
			var hadRefs bool
			err := tx.QueryRowContext(ctx, "SELECT uuid, providers IS NOT NULL FROM cs_awards WHERE learner_id = ? AND kind = ? AND achievement_id = ? AND generation = ?"+db.d.ForUpdate,
				a.LearnerID, a.Achievement.Kind, a.Achievement.ID, a.Generation).Scan(&id, &hadRefs)
			if err == nil {
				a.UUID = id
				if _, err := tx.ExecContext(ctx, "UPDATE cs_awards SET "+set+" WHERE uuid = ?", append(mutable, id)...); err != nil {
					return err
				}
				return db.setProviderRefs(ctx, tx, a, hadRefs)
			}
			if err != sql.ErrNoRows {
				return err
			}
			// None: insert. A concurrent Put may insert the same key first;
			// then the insert fails and the loop updates that row instead.
			args := append([]any{a.UUID, a.LearnerID, a.Achievement.Kind, a.Achievement.ID}, append(mutable, a.Generation)...)
			_, err = tx.ExecContext(ctx, insertSQL("cs_awards", awardCols...), args...)
			if err == nil {
				created = true
				return db.setProviderRefs(ctx, tx, a, false)
			}
			if db.d.Classify(err) != store.ErrConflict {
				return err
			}
			if try > 0 {
				// The key is still free, so the UUID is what is taken.
				return db.conflict("award uuid %s is already used by another (learner, achievement, generation)", a.UUID)
			}
		}
	})
	if err != nil {
		return credential.Award{}, false, db.wrap("awards.put", key, err)
	}
	return a, created, nil
}

// setProviderRefs indexes the award's provider references for
// FindByProviderRef.
func (db *DB) setProviderRefs(ctx context.Context, tx q, a credential.Award, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, "DELETE FROM cs_award_providers WHERE award_uuid = ?", a.UUID); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, p := range a.Providers {
		if p.ExternalID == "" || seen[p.Provider] {
			continue
		}
		seen[p.Provider] = true
		if _, err := tx.ExecContext(ctx, insertSQL("cs_award_providers", "award_uuid", "provider", "external_id"),
			a.UUID, p.Provider, p.ExternalID); err != nil {
			return err
		}
	}
	return nil
}

func (r awards) one(ctx context.Context, op string, key any, where string, args ...any) (out credential.Award, err error) {
	db := r.h.base()
	if _, inTx := r.h.(*scope); inTx {
		// Inside InTx an award is read to be changed (a grant, a revocation,
		// a provider reference): lock it until commit, so two transactions
		// never both read the old state and the later one's Put silently
		// undoes the other's change (READ COMMITTED has no such protection).
		where += db.d.ForUpdate
	}
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = scanAward(tx.QueryRowContext(ctx, awardSelect+" "+where, args...))
		if err == sql.ErrNoRows {
			return db.notFound("award", key)
		}
		return err
	})
	return out, db.wrap(op, key, err)
}

func (r awards) Get(ctx context.Context, learnerID int64, ref credential.AchievementRef) (credential.Award, error) {
	// The current award is the highest generation.
	return r.one(ctx, "awards.get", awardKeyString(learnerID, ref),
		"WHERE learner_id = ? AND kind = ? AND achievement_id = ? ORDER BY generation DESC LIMIT 1", learnerID, ref.Kind, ref.ID)
}

func (r awards) GetByUUID(ctx context.Context, id uuid.UUID) (credential.Award, error) {
	return r.one(ctx, "awards.get_by_uuid", id, "WHERE uuid = ?", id)
}

func (r awards) FindByProviderRef(ctx context.Context, provider, externalID string) (credential.Award, error) {
	if provider == "" || externalID == "" {
		err := r.h.run(ctx, read, func(q) error {
			return store.NotFound("award with provider reference", provider+"/"+externalID)
		})
		return credential.Award{}, r.h.base().wrap("awards.find_by_provider_ref", nil, err)
	}
	return r.one(ctx, "awards.find_by_provider_ref", provider+"/"+externalID,
		"WHERE uuid = (SELECT MIN(award_uuid) FROM cs_award_providers WHERE provider = ? AND external_id = ?)", provider, externalID)
}

func (r awards) List(ctx context.Context, f store.AwardFilter) (out []credential.Award, err error) {
	switch {
	case f.AchievementID != "" && f.Kind == "":
		return nil, credential.Invalid("filter.kind", "must be set when filtering on achievement id")
	case f.Kind != "" && !f.Kind.Valid():
		return nil, credential.Invalid("filter.kind", "unknown kind "+string(f.Kind))
	case f.Status != "" && !f.Status.Valid():
		return nil, credential.Invalid("filter.status", "unknown status "+string(f.Status))
	}
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.LearnerID != 0 {
		add("learner_id = ?", f.LearnerID)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.AchievementID != "" {
		add("achievement_id = ?", f.AchievementID)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.After != uuid.Nil {
		add("uuid > ?", f.After)
	}
	query := awardSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY uuid LIMIT %d", limit(f.Limit, 100, 1000))
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanAward, query, args...)
		return err
	})
	if out == nil && err == nil {
		out = []credential.Award{}
	}
	return out, db.wrap("awards.list", nil, err)
}
