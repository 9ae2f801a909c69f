package sqlcore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type progress repos

const progressSelect = "SELECT id, learner_id, template_uuid, rules_version, created_at, updated_at FROM cs_progress"

func scanProgress(row rowScanner) (p store.BadgeProgress, err error) {
	err = row.Scan(&p.ID, &p.LearnerID, &p.TemplateUUID, &p.RulesVersion, ts{&p.CreatedAt}, ts{&p.UpdatedAt})
	return p, err
}

func progressKey(learnerID int64, template uuid.UUID) string {
	return fmt.Sprintf("%d/%s", learnerID, template)
}

func (r progress) GetOrCreate(ctx context.Context, learnerID int64, template uuid.UUID, rulesVersion int) (p store.BadgeProgress, created bool, err error) {
	if err := store.CheckProgressKey(learnerID, template, rulesVersion); err != nil {
		return p, false, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		at := db.now()
		now := db.tv(at)
		cols := []string{"learner_id", "template_uuid", "rules_version", "created_at", "updated_at"}
		res, err := tx.ExecContext(ctx, insertSQL("cs_progress", cols...)+db.d.OnConflictIgnore(cols[0]), learnerID, template, rulesVersion, now, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if created = n > 0; created {
			// The row is the one just written: no need to read it back.
			id, err := res.LastInsertId()
			if err == nil && id > 0 {
				p = store.BadgeProgress{ID: id, LearnerID: learnerID, TemplateUUID: template, RulesVersion: rulesVersion, CreatedAt: at, UpdatedAt: at}
				return nil
			}
		}
		p, err = scanProgress(tx.QueryRowContext(ctx, progressSelect+" WHERE learner_id = ? AND template_uuid = ?", learnerID, template))
		return err
	})
	return p, created, db.wrap("progress.get_or_create", progressKey(learnerID, template), err)
}

func (r progress) Get(ctx context.Context, learnerID int64, template uuid.UUID) (p store.BadgeProgress, err error) {
	db := r.h.base()
	key := progressKey(learnerID, template)
	err = r.h.run(ctx, read, func(tx q) error {
		p, err = scanProgress(tx.QueryRowContext(ctx, progressSelect+" WHERE learner_id = ? AND template_uuid = ?", learnerID, template))
		if err == sql.ErrNoRows {
			return db.notFound("badge progress", key)
		}
		return err
	})
	return p, db.wrap("progress.get", key, err)
}

// lockProgress checks that the progress exists and locks it.
func (db *DB) lockProgress(ctx context.Context, tx q, id int64) error {
	ok, err := exists(ctx, tx, "SELECT 1 FROM cs_progress WHERE id = ?"+db.d.ForUpdate, id)
	if err == nil && !ok {
		err = db.notFound("badge progress", id)
	}
	return err
}

func (db *DB) touchProgress(ctx context.Context, tx q, id int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE cs_progress SET updated_at = ? WHERE id = ?", db.tv(db.now()), id)
	return err
}

func (r progress) SetRulesVersion(ctx context.Context, progressID int64, version int) error {
	if version < 0 {
		return credential.Invalid("progress.rules_version", "must not be negative")
	}
	db := r.h.base()
	err := r.h.run(ctx, write, func(tx q) error {
		if err := db.lockProgress(ctx, tx, progressID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE cs_progress SET rules_version = ?, updated_at = ? WHERE id = ? AND rules_version <> ?",
			version, db.tv(db.now()), progressID, version)
		return err
	})
	return db.wrap("progress.set_rules_version", progressID, err)
}

func (r progress) Fulfill(ctx context.Context, progressID int64, f store.Fulfillment) (added bool, err error) {
	if strings.TrimSpace(f.RequirementID) == "" {
		return false, credential.Invalid("fulfillment.requirement_id", "must not be empty")
	}
	if err := store.ValidJSON("fulfillment.matched", f.Matched); err != nil {
		return false, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		if err := db.lockProgress(ctx, tx, progressID); err != nil {
			return err
		}
		added, err = db.insertIgnore(ctx, tx, "cs_fulfillments",
			[]string{"progress_id", "requirement_id", "group_name", "event_id", "event_time", "matched", "created_at"},
			progressID, f.RequirementID, f.Group, f.EventID, db.tv(f.EventTime), rawArg(f.Matched), db.tv(db.now()))
		if err != nil || !added {
			return err
		}
		return db.touchProgress(ctx, tx, progressID)
	})
	return added, db.wrap("progress.fulfill", fmt.Sprintf("%d/%s", progressID, f.RequirementID), err)
}

// in returns " IN (?, …)" for n values.
func in(n int) string { return " IN (" + placeholders(n) + ")" }

func strArgs(pre []any, s []string) []any {
	for _, v := range s {
		pre = append(pre, v)
	}
	return pre
}

func (r progress) Unfulfill(ctx context.Context, progressID int64, requirementIDs []string) (removed int, err error) {
	if len(requirementIDs) == 0 {
		return 0, r.h.run(ctx, read, func(q) error { return nil })
	}
	db := r.h.base()
	args := strArgs([]any{progressID}, requirementIDs)
	err = r.h.run(ctx, write, func(tx q) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM cs_observations WHERE progress_id = ? AND requirement_id"+in(len(requirementIDs)), args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM cs_fulfillments WHERE progress_id = ? AND requirement_id"+in(len(requirementIDs)), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		removed = int(n)
		if err != nil || n == 0 {
			return err
		}
		return db.touchProgress(ctx, tx, progressID)
	})
	return removed, db.wrap("progress.unfulfill", progressID, err)
}

func (r progress) Fulfillments(ctx context.Context, progressID int64) (out []store.Fulfillment, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, func(row rowScanner) (f store.Fulfillment, err error) {
			var m []byte
			err = row.Scan(&f.RequirementID, &f.Group, &f.EventID, ts{&f.EventTime}, &m, ts{&f.CreatedAt})
			f.Matched = raw(m)
			return f, err
		}, "SELECT requirement_id, group_name, event_id, event_time, matched, created_at FROM cs_fulfillments WHERE progress_id = ? ORDER BY requirement_id", progressID)
		return err
	})
	if out == nil && err == nil {
		out = []store.Fulfillment{}
	}
	return out, db.wrap("progress.fulfillments", progressID, err)
}

func (r progress) Observe(ctx context.Context, progressID int64, o store.Observation) (added bool, err error) {
	switch {
	case strings.TrimSpace(o.RequirementID) == "":
		return false, credential.Invalid("observation.requirement_id", "must not be empty")
	case o.Value == "":
		return false, credential.Invalid("observation.value", "must not be empty")
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		if err := db.lockProgress(ctx, tx, progressID); err != nil {
			return err
		}
		added, err = db.insertIgnore(ctx, tx, "cs_observations",
			[]string{"progress_id", "requirement_id", "value", "event_id", "event_time"},
			progressID, o.RequirementID, o.Value, o.EventID, db.tv(o.EventTime))
		if err != nil || !added {
			return err
		}
		return db.touchProgress(ctx, tx, progressID)
	})
	return added, db.wrap("progress.observe", fmt.Sprintf("%d/%s/%s", progressID, o.RequirementID, o.Value), err)
}

func (r progress) Observations(ctx context.Context, progressID int64, requirementID string) (out []store.Observation, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, func(row rowScanner) (o store.Observation, err error) {
			err = row.Scan(&o.RequirementID, &o.Value, &o.EventID, ts{&o.EventTime})
			return o, err
		}, "SELECT requirement_id, value, event_id, event_time FROM cs_observations WHERE progress_id = ? AND requirement_id = ? ORDER BY event_time, value", progressID, requirementID)
		return err
	})
	if out == nil && err == nil {
		out = []store.Observation{}
	}
	return out, db.wrap("progress.observations", fmt.Sprintf("%d/%s", progressID, requirementID), err)
}
