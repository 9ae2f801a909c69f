package sqlcore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

type events repos

func eventKey(group, id string) string { return group + "/" + id }

func (r events) MarkProcessed(ctx context.Context, group, eventID string, at time.Time) (first bool, err error) {
	switch {
	case group == "":
		return false, credential.Invalid("event.group", "must not be empty")
	case eventID == "":
		return false, credential.Invalid("event.id", "must not be empty")
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		if at.IsZero() {
			at = db.now()
		}
		first, err = db.insertIgnore(ctx, tx, "cs_events", []string{"group_name", "event_id", "processed_at"}, group, eventID, db.tv(at))
		return err
	})
	return first, db.wrap("events.mark_processed", eventKey(group, eventID), err)
}

func (r events) IsProcessed(ctx context.Context, group, eventID string) (done bool, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		done, err = exists(ctx, tx, "SELECT 1 FROM cs_events WHERE group_name = ? AND event_id = ?", group, eventID)
		return err
	})
	return done, db.wrap("events.is_processed", eventKey(group, eventID), err)
}

func (r events) Prune(ctx context.Context, cutoff time.Time) (n int, err error) {
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM cs_events WHERE processed_at < ?", db.tv(cutoff))
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	return n, db.wrap("events.prune", cutoff.UTC().Format(time.RFC3339Nano), err)
}

type outbox repos

const outboxSelect = "SELECT id, kind, target, idempotency_key, payload, status, attempts, not_before, lease_owner, lease_until, last_error, created_at, updated_at, trace_parent FROM cs_outbox"

func scanOutbox(row rowScanner) (it store.OutboxItem, err error) {
	var p []byte
	var tp sql.NullString
	err = row.Scan(&it.ID, &it.Kind, &it.Target, &it.IdempotencyKey, &p, &it.Status, &it.Attempts,
		ts{&it.NotBefore}, &it.LeaseOwner, ts{&it.LeaseUntil}, &it.LastError, ts{&it.CreatedAt}, ts{&it.UpdatedAt}, &tp)
	it.Payload = raw(p)
	it.TraceParent = tp.String
	return it, err
}

func (r outbox) Enqueue(ctx context.Context, item store.OutboxItem) (id int64, enqueued bool, err error) {
	if err := store.PrepareOutboxItem(item); err != nil {
		return 0, false, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		now := db.now()
		nb := item.NotBefore
		if nb.IsZero() {
			nb = now
		}
		res, err := tx.ExecContext(ctx, insertSQL("cs_outbox", "kind", "target", "idempotency_key", "payload", "status", "attempts",
			"not_before", "lease_owner", "lease_until", "last_error", "created_at", "updated_at", "trace_parent")+db.d.OnConflictIgnore("kind"),
			item.Kind, item.Target, item.IdempotencyKey, rawArg(item.Payload), store.OutboxPending, 0,
			db.tv(nb), "", nil, "", db.tv(now), db.tv(now), nullString(item.TraceParent))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			enqueued = true
			id, err = res.LastInsertId()
			return err
		}
		err = tx.QueryRowContext(ctx, "SELECT id FROM cs_outbox WHERE idempotency_key = ?", item.IdempotencyKey).Scan(&id)
		return err
	})
	return id, enqueued, db.wrap("outbox.enqueue", item.IdempotencyKey, err)
}

func (r outbox) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, targets ...string) (out []store.OutboxItem, err error) {
	switch {
	case owner == "":
		return nil, credential.Invalid("outbox.lease_owner", "must not be empty")
	case lease <= 0:
		return nil, credential.Invalid("lease", "must be positive")
	case limit <= 0:
		return nil, credential.Invalid("limit", "must be positive")
	}
	limit = min(limit, 1000)
	db := r.h.base()
	nowV := db.tv(now)
	// Two index-ordered reads, merged here: due pending items (index
	// status, not_before) and expired leases (index status, lease_until).
	// One query with an OR of both would sort every due row.
	filter, targs := "", []any(nil)
	if len(targets) > 0 {
		filter, targs = " AND target"+in(len(targets)), strArgs(nil, targets)
	}
	pick := func(col string) string {
		return fmt.Sprintf("%s WHERE status = ? AND %s <= ?%s ORDER BY not_before, id LIMIT %d%s",
			outboxSelect, col, filter, limit, db.d.SkipLocked)
	}
	err = r.h.run(ctx, write, func(tx q) error {
		pending, err := collect(ctx, tx, scanOutbox, pick("not_before"), append([]any{store.OutboxPending, nowV}, targs...)...)
		if err != nil {
			return err
		}
		expired, err := collect(ctx, tx, scanOutbox, pick("lease_until"), append([]any{store.OutboxLeased, nowV}, targs...)...)
		if err != nil {
			return err
		}
		all := append(pending, expired...)
		if len(all) == 0 {
			return nil
		}
		slices.SortFunc(all, func(a, b store.OutboxItem) int {
			if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		all = all[:min(len(all), limit)]
		until, upd := Norm(now.Add(lease)), db.now()
		args := []any{store.OutboxLeased, owner, db.tv(until), db.tv(upd)}
		for i := range all {
			args = append(args, all[i].ID)
			all[i].Status, all[i].LeaseOwner, all[i].LeaseUntil, all[i].UpdatedAt = store.OutboxLeased, owner, until, upd
			all[i].Attempts++
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cs_outbox SET status = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id"+in(len(all)), args...); err != nil {
			return err
		}
		out = all
		return nil
	})
	return out, db.wrap("outbox.claim", owner, err)
}

// settle applies an update to a leased item held by owner: one guarded
// UPDATE, and only when it matches nothing a read to tell a missing item
// from a lost lease.
func (r outbox) settle(ctx context.Context, op string, id int64, owner string, set string, args ...any) error {
	db := r.h.base()
	err := r.h.run(ctx, write, func(tx q) error {
		args := append(args, "", nil, db.tv(db.now()), id, store.OutboxLeased, owner)
		res, err := tx.ExecContext(ctx, "UPDATE cs_outbox SET "+set+", lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND status = ? AND lease_owner = ?", args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var status store.OutboxStatus
		err = tx.QueryRowContext(ctx, "SELECT status FROM cs_outbox WHERE id = ?", id).Scan(&status)
		switch {
		case err == sql.ErrNoRows:
			return db.notFound("outbox item", id)
		case err != nil:
			return err
		case status != store.OutboxLeased:
			return db.conflict("outbox item %d is %s, not leased", id, status)
		}
		return db.conflict("outbox item %d is leased by another owner", id)
	})
	return db.wrap(op, id, err)
}

func (r outbox) Complete(ctx context.Context, id int64, owner string) error {
	return r.settle(ctx, "outbox.complete", id, owner, "status = ?", store.OutboxDone)
}

func (r outbox) Reschedule(ctx context.Context, id int64, owner string, at time.Time, lastErr string) error {
	return r.settle(ctx, "outbox.reschedule", id, owner, "status = ?, not_before = ?, last_error = ?",
		store.OutboxPending, r.h.base().tv(at), lastErr)
}

func (r outbox) Kill(ctx context.Context, id int64, owner string, reason string) error {
	return r.settle(ctx, "outbox.kill", id, owner, "status = ?, last_error = ?", store.OutboxDead, reason)
}

func (r outbox) Get(ctx context.Context, id int64) (it store.OutboxItem, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		it, err = scanOutbox(tx.QueryRowContext(ctx, outboxSelect+" WHERE id = ?", id))
		if err == sql.ErrNoRows {
			return db.notFound("outbox item", id)
		}
		return err
	})
	return it, db.wrap("outbox.get", id, err)
}

func (r outbox) ListDead(ctx context.Context, afterID int64, n int) (out []store.OutboxItem, err error) {
	db := r.h.base()
	query := fmt.Sprintf("%s WHERE status = ? AND id > ? ORDER BY id LIMIT %d", outboxSelect, limit(n, 100, 1000))
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanOutbox, query, store.OutboxDead, afterID)
		return err
	})
	return out, db.wrap("outbox.list_dead", afterID, err)
}

func (r outbox) Requeue(ctx context.Context, id int64, now time.Time) error {
	db := r.h.base()
	err := r.h.run(ctx, write, func(tx q) error {
		var status store.OutboxStatus
		err := tx.QueryRowContext(ctx, "SELECT status FROM cs_outbox WHERE id = ?"+db.d.ForUpdate, id).Scan(&status)
		switch {
		case err == sql.ErrNoRows:
			return db.notFound("outbox item", id)
		case err != nil:
			return err
		case status != store.OutboxDead:
			return db.conflict("outbox item %d is %s, not dead", id, status)
		}
		_, err = tx.ExecContext(ctx, "UPDATE cs_outbox SET status = ?, not_before = ?, attempts = 0, lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?",
			store.OutboxPending, db.tv(now), "", nil, db.tv(db.now()), id)
		return err
	})
	return db.wrap("outbox.requeue", id, err)
}

func (r outbox) Stats(ctx context.Context) (s store.OutboxStats, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		var pending, dead sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT
			SUM(CASE WHEN status IN (?, ?) THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = ? THEN 1 ELSE 0 END),
			MIN(CASE WHEN status IN (?, ?) THEN created_at END)
			FROM cs_outbox`,
			store.OutboxPending, store.OutboxLeased, store.OutboxDead, store.OutboxPending, store.OutboxLeased).
			Scan(&pending, &dead, ts{&s.OldestPending})
		s.Pending, s.Dead = int(pending.Int64), int(dead.Int64)
		return err
	})
	return s, db.wrap("outbox.stats", nil, err)
}
