package sqlcore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

var _ store.BatchWriter = repos{}

// maxBatchRows bounds the rows of one multi-row statement (SQLite's
// variable limit and MySQL's packet size stay far away).
const maxBatchRows = 256

// chunks splits n rows into the sizes of the multi-row statements that
// write them. With a statement cache (SQLite) the sizes are powers of two,
// so a handful of statement texts are prepared once and reused; without
// one (MySQL, which interpolates) every chunk is as large as allowed, so
// the fewest round trips are made.
func (db *DB) chunks(n int) []int {
	var out []int
	for n > 0 {
		c := min(n, maxBatchRows)
		if db.wc != nil {
			c = 1 << (bitLen(c) - 1)
		}
		out = append(out, c)
		n -= c
	}
	return out
}

func bitLen(n int) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}

// rowsSQL returns "(?, ?), (?, ?)": rows groups of cols placeholders.
func rowsSQL(rows, cols int) string {
	one := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// MarkProcessedBatch implements store.BatchWriter: one SELECT finds the
// ids already marked, one multi-row INSERT marks the others (per chunk of
// at most 256 ids). The INSERT is a plain one, so a concurrent transaction
// marking one of the ids makes it fail (a uniqueness conflict, or a
// deadlock the InTx retries) instead of both reporting first=true.
func (r repos) MarkProcessedBatch(ctx context.Context, group string, ids []string, at time.Time) (first []bool, err error) {
	if group == "" {
		return nil, credential.Invalid("event.group", "must not be empty")
	}
	for _, id := range ids {
		if id == "" {
			return nil, credential.Invalid("event.id", "must not be empty")
		}
	}
	db := r.h.base()
	first = make([]bool, len(ids))
	if len(ids) == 0 {
		return first, nil
	}
	err = r.h.run(ctx, write, func(tx q) error {
		if at.IsZero() {
			at = db.now()
		}
		seen := make(map[string]bool, len(ids))
		uniq := make([]string, 0, len(ids))
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				uniq = append(uniq, id)
			}
		}
		done := map[string]bool{}
		rest := uniq
		for _, n := range db.chunks(len(uniq)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, n+1)
			args = append(args, group)
			for _, id := range part {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, "SELECT event_id FROM cs_events WHERE group_name = ? AND event_id IN ("+placeholders(n)+")", args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				done[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		fresh := make([]string, 0, len(uniq))
		for _, id := range uniq {
			if !done[id] {
				fresh = append(fresh, id)
			}
		}
		tv := db.tv(at)
		rest = fresh
		for _, n := range db.chunks(len(fresh)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, 3*n)
			for _, id := range part {
				args = append(args, group, id, tv)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO cs_events (group_name, event_id, processed_at) VALUES "+rowsSQL(n, 3), args...); err != nil {
				return err
			}
		}
		marked := make(map[string]bool, len(fresh))
		for _, id := range fresh {
			marked[id] = true
		}
		for i, id := range ids {
			if marked[id] {
				first[i] = true
				delete(marked, id) // a repeat later in ids is not first
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap("events.mark_processed_batch", fmt.Sprintf("%s/%d ids", group, len(ids)), err)
	}
	return first, nil
}

// EnqueueBatch implements store.BatchWriter: multi-row INSERTs (at most
// 256 rows each) that skip existing idempotency keys.
func (r repos) EnqueueBatch(ctx context.Context, items []store.OutboxItem) (enqueued int, err error) {
	for _, it := range items {
		if err := store.PrepareOutboxItem(it); err != nil {
			return 0, err
		}
	}
	if len(items) == 0 {
		return 0, nil
	}
	db := r.h.base()
	const cols = 13
	err = r.h.run(ctx, write, func(tx q) error {
		enqueued = 0
		now := db.tv(db.now())
		rest := items
		for _, n := range db.chunks(len(items)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, cols*n)
			for _, it := range part {
				nb := now
				if !it.NotBefore.IsZero() {
					nb = db.tv(it.NotBefore)
				}
				args = append(args, it.Kind, it.Target, it.IdempotencyKey, rawArg(it.Payload), store.OutboxPending, 0,
					nb, "", nil, "", now, now, nullString(it.TraceParent))
			}
			res, err := tx.ExecContext(ctx, "INSERT INTO cs_outbox (kind, target, idempotency_key, payload, status, attempts, "+
				"not_before, lease_owner, lease_until, last_error, created_at, updated_at, trace_parent) VALUES "+
				rowsSQL(n, cols)+db.d.OnConflictIgnore("kind"), args...)
			if err != nil {
				return err
			}
			c, err := res.RowsAffected()
			if err != nil {
				return err
			}
			enqueued += int(c)
		}
		return nil
	})
	if err != nil {
		return 0, db.wrap("outbox.enqueue_batch", fmt.Sprintf("%d items", len(items)), err)
	}
	return enqueued, nil
}
