package sqlcore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

var (
	_ store.BatchWriter     = repos{}
	_ store.ProgressBatcher = repos{}
)

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

// FulfillBatch implements store.BatchWriter: per chunk of at most 256
// rows, one locking SELECT checks the progress rows exist, one multi-row
// INSERT stores the fulfilments (a plain one: an existing fulfilment
// fails it as a conflict) and one UPDATE sets the rows' updated_at.
func (r repos) FulfillBatch(ctx context.Context, fs []store.ProgressFulfillment) error {
	for _, pf := range fs {
		if err := store.CheckBatchFulfillment(pf.Fulfillment); err != nil {
			return err
		}
	}
	if len(fs) == 0 {
		return nil
	}
	db := r.h.base()
	// The latest CreatedAt of each progress row, in first-seen order.
	var ids []int64
	touched := map[int64]time.Time{}
	for _, pf := range fs {
		at, ok := touched[pf.ProgressID]
		if !ok {
			ids = append(ids, pf.ProgressID)
		}
		if !ok || pf.Fulfillment.CreatedAt.After(at) {
			touched[pf.ProgressID] = pf.Fulfillment.CreatedAt
		}
	}
	err := r.h.run(ctx, write, func(tx q) error {
		rest := ids
		for _, n := range db.chunks(len(ids)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, 3*n)
			for _, id := range part {
				args = append(args, id)
			}
			found := 0
			rows, err := tx.QueryContext(ctx, "SELECT id FROM cs_progress WHERE id IN ("+placeholders(n)+")"+db.d.ForUpdate, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				found++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if found != n {
				return db.notFound("badge progress", fmt.Sprintf("of %d ids", n))
			}
		}
		rest2 := fs
		for _, n := range db.chunks(len(fs)) {
			part := rest2[:n]
			rest2 = rest2[n:]
			args := make([]any, 0, 7*n)
			for _, pf := range part {
				f := pf.Fulfillment
				args = append(args, pf.ProgressID, f.RequirementID, f.Group, f.EventID, db.tv(f.EventTime), rawArg(f.Matched), db.tv(f.CreatedAt))
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO cs_fulfillments (progress_id, requirement_id, group_name, event_id, event_time, matched, created_at) VALUES "+
				rowsSQL(n, 7), args...); err != nil {
				if db.d.Classify(err) == store.ErrConflict {
					return db.conflict("a requirement of the batch is already fulfilled: %v", err)
				}
				return err
			}
		}
		rest = ids
		for _, n := range db.chunks(len(ids)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, 3*n)
			var b strings.Builder
			b.WriteString("UPDATE cs_progress SET updated_at = CASE id")
			for _, id := range part {
				b.WriteString(" WHEN ? THEN ?")
				args = append(args, id, db.tv(touched[id]))
			}
			b.WriteString(" END WHERE id IN (" + placeholders(n) + ")")
			for _, id := range part {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	return db.wrap("progress.fulfill_batch", fmt.Sprintf("%d fulfilments", len(fs)), err)
}

// CreateAwardsBatch implements store.BatchWriter: multi-row INSERTs (at
// most 256 rows each; a plain one, so a taken key or UUID fails it as a
// conflict), then the provider references of the awards that have some.
func (r repos) CreateAwardsBatch(ctx context.Context, as []credential.Award) error {
	rowsOf := make([][]any, len(as))
	norm := make([]credential.Award, len(as))
	db := r.h.base()
	for i, a := range as {
		if err := a.Validate(); err != nil {
			return err
		}
		if a.UpdatedAt.IsZero() {
			return credential.Invalid("award.updated_at", "must be set in a batch")
		}
		a = normAward(a)
		a.Generation = a.Gen()
		a.UpdatedAt = Norm(a.UpdatedAt)
		ev, err := jsonArg(a.Evidence, len(a.Evidence) == 0)
		if err != nil {
			return credential.Invalid("award.evidence", err.Error())
		}
		prov, err := jsonArg(a.Providers, len(a.Providers) == 0)
		if err != nil {
			return credential.Invalid("award.providers", err.Error())
		}
		rowsOf[i] = []any{a.UUID, a.LearnerID, a.Achievement.Kind, a.Achievement.ID, a.Status,
			db.tv(a.AwardedAt), a.Awarded.EventID, db.tv(a.Awarded.EventTime), a.Awarded.Reason,
			db.tv(a.RevokedAt), a.Revoked.EventID, db.tv(a.Revoked.EventTime), a.Revoked.Reason,
			ev, prov, a.Times, db.tv(a.UpdatedAt), a.RevokedBy, a.Generation}
		norm[i] = a
	}
	if len(as) == 0 {
		return nil
	}
	cols := len(awardCols)
	err := r.h.run(ctx, write, func(tx q) error {
		rest := rowsOf
		for _, n := range db.chunks(len(rowsOf)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, cols*n)
			for _, row := range part {
				args = append(args, row...)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO cs_awards ("+strings.Join(awardCols, ", ")+") VALUES "+rowsSQL(n, cols), args...); err != nil {
				if db.d.Classify(err) == store.ErrConflict {
					return db.conflict("an award of the batch exists: %v", err)
				}
				return err
			}
		}
		for _, a := range norm {
			if len(a.Providers) > 0 {
				if err := db.setProviderRefs(ctx, tx, a, false); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return db.wrap("awards.create_batch", fmt.Sprintf("%d awards", len(as)), err)
}

// CurrentAwardsBatch implements store.BatchWriter: one SELECT per chunk of
// at most 256 learners (locking inside InTx), keeping the highest
// generation of each achievement.
func (r repos) CurrentAwardsBatch(ctx context.Context, learnerIDs []int64) ([]credential.Award, error) {
	ids := uniqueIDs(learnerIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	db := r.h.base()
	lock := r.lockInTx()
	type key struct {
		learner int64
		ref     credential.AchievementRef
	}
	cur := map[key]int{}
	var out []credential.Award
	err := r.h.run(ctx, read, func(tx q) error {
		cur, out = map[key]int{}, out[:0]
		rest := ids
		for _, n := range db.chunks(len(ids)) {
			part := rest[:n]
			rest = rest[n:]
			args := anyArgs(part)
			got, err := collect(ctx, tx, scanAward, awardSelect+" WHERE learner_id IN ("+placeholders(n)+")"+lock, args...)
			if err != nil {
				return err
			}
			for _, a := range got {
				k := key{a.LearnerID, a.Achievement}
				if i, ok := cur[k]; !ok {
					cur[k] = len(out)
					out = append(out, a)
				} else if a.Gen() > out[i].Gen() {
					out[i] = a
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap("awards.current_batch", fmt.Sprintf("%d learners", len(ids)), err)
	}
	return out, nil
}

// UpsertLearnersBatch implements store.BatchWriter: one locking SELECT
// reads the stored learners (per chunk of at most 256), the merges are
// made in memory, then one multi-row INSERT (a plain one: a learner a
// concurrent transaction inserted fails it as a conflict) adds the new
// learners and one UPDATE per changed stored learner refreshes it.
func (r repos) UpsertLearnersBatch(ctx context.Context, ls []credential.Learner) ([]credential.Learner, error) {
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			return nil, err
		}
	}
	if len(ls) == 0 {
		return []credential.Learner{}, nil
	}
	db := r.h.base()
	var ids []int64
	seen := map[int64]bool{}
	for _, l := range ls {
		if !seen[l.UserID] {
			seen[l.UserID] = true
			ids = append(ids, l.UserID)
		}
	}
	out := make([]credential.Learner, len(ls))
	err := r.h.run(ctx, write, func(tx q) error {
		stored := make(map[int64]credential.Learner, len(ids))
		rest := ids
		for _, n := range db.chunks(len(ids)) {
			part := rest[:n]
			rest = rest[n:]
			args := anyArgs(part)
			got, err := collect(ctx, tx, scanLearner, "SELECT "+learnerCols+" FROM cs_learners WHERE user_id IN ("+placeholders(n)+")"+db.d.ForUpdate, args...)
			if err != nil {
				return err
			}
			for _, l := range got {
				stored[l.UserID] = l
			}
		}
		cur := make(map[int64]credential.Learner, len(ids))
		changed := map[int64]bool{}
		for i, l := range ls {
			old, ok := cur[l.UserID]
			if !ok {
				old, ok = stored[l.UserID]
			}
			if !ok {
				out[i] = l
			} else {
				var c bool
				if out[i], c = old.Merge(l); c {
					changed[l.UserID] = true
				}
			}
			cur[l.UserID] = out[i]
		}
		now := db.tv(db.now())
		var fresh []credential.Learner
		for _, id := range ids {
			if _, ok := stored[id]; !ok {
				fresh = append(fresh, cur[id])
			}
		}
		rest2 := fresh
		for _, n := range db.chunks(len(fresh)) {
			part := rest2[:n]
			rest2 = rest2[n:]
			args := make([]any, 0, 7*n)
			for _, l := range part {
				args = append(args, l.UserID, l.Username, l.Email, l.FullName, l.IsActive, now, now)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO cs_learners (user_id, username, email, full_name, is_active, created_at, updated_at) VALUES "+
				rowsSQL(n, 7), args...); err != nil {
				if db.d.Classify(err) == store.ErrConflict {
					return db.conflict("a learner of the batch was inserted concurrently: %v", err)
				}
				return err
			}
		}
		for _, id := range ids {
			if _, ok := stored[id]; !ok || !changed[id] {
				continue
			}
			l := cur[id]
			if _, err := tx.ExecContext(ctx, "UPDATE cs_learners SET username = ?, email = ?, full_name = ?, is_active = ?, updated_at = ? WHERE user_id = ?",
				l.Username, l.Email, l.FullName, l.IsActive, now, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap("learners.upsert_batch", fmt.Sprintf("%d learners", len(ls)), err)
	}
	return out, nil
}

// uniqueIDs is ids sorted, without repeats (a copy).
func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// lockInTx is the dialect's locking-read suffix inside InTx, "" outside.
func (r repos) lockInTx() string {
	if _, inTx := r.h.(*scope); inTx {
		return r.h.base().d.ForUpdate
	}
	return ""
}

// anyArgs is ids as statement arguments.
func anyArgs(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// ProgressBatch implements store.ProgressBatcher: one SELECT per chunk of
// at most 256 learners. Inside InTx it is a locking read; on MySQL its
// next-key locks on the (learner_id, template_uuid) key also hold the
// gaps, so no other transaction inserts a progress row for the learners
// until the commit (SQLite's write transactions are exclusive anyway).
func (r repos) ProgressBatch(ctx context.Context, learnerIDs []int64) ([]store.BadgeProgress, error) {
	ids := uniqueIDs(learnerIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	db := r.h.base()
	lock := r.lockInTx()
	var out []store.BadgeProgress
	err := r.h.run(ctx, read, func(tx q) error {
		out = out[:0]
		rest := ids
		for _, n := range db.chunks(len(ids)) {
			part := rest[:n]
			rest = rest[n:]
			got, err := collect(ctx, tx, scanProgress, progressSelect+" WHERE learner_id IN ("+placeholders(n)+")"+lock, anyArgs(part)...)
			if err != nil {
				return err
			}
			out = append(out, got...)
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap("progress.batch", fmt.Sprintf("%d learners", len(ids)), err)
	}
	return out, nil
}

// CreateProgressBatch implements store.ProgressBatcher: multi-row INSERTs
// (at most 256 rows each; plain ones, so an existing row fails them as a
// conflict), then one SELECT per chunk reads the ids back by learner (portable:
// MySQL has no INSERT ... RETURNING, and neither engine promises
// consecutive ids to a multi-row INSERT).
func (r repos) CreateProgressBatch(ctx context.Context, ps []store.BadgeProgress) ([]int64, error) {
	type key struct {
		learner  int64
		template uuid.UUID
	}
	db := r.h.base()
	rowsOf := make([][]any, len(ps))
	index := make(map[key]int, len(ps))
	for i, p := range ps {
		if err := store.CheckBatchProgress(p); err != nil {
			return nil, err
		}
		k := key{p.LearnerID, p.TemplateUUID}
		if _, dup := index[k]; dup {
			return nil, db.conflict("progress %s repeats in the batch", progressKey(p.LearnerID, p.TemplateUUID))
		}
		index[k] = i
		at := db.tv(Norm(p.CreatedAt))
		rowsOf[i] = []any{p.LearnerID, p.TemplateUUID, p.RulesVersion, at, at}
	}
	if len(ps) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(ps))
	const cols = 5
	err := r.h.run(ctx, write, func(tx q) error {
		rest, from := rowsOf, 0
		for _, n := range db.chunks(len(rowsOf)) {
			part := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, cols*n)
			var learners []int64
			for _, row := range part {
				args = append(args, row...)
				learners = append(learners, row[0].(int64))
			}
			learners = uniqueIDs(learners)
			// Padded to n with a repeat: one statement text per chunk
			// size, like the INSERT's, for the statement cache.
			for len(learners) < n {
				learners = append(learners, learners[0])
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO cs_progress (learner_id, template_uuid, rules_version, created_at, updated_at) VALUES "+rowsSQL(n, cols), args...); err != nil {
				if db.d.Classify(err) == store.ErrConflict {
					return db.conflict("a progress row of the batch exists: %v", err)
				}
				return err
			}
			// By learner (the key's prefix, which both engines seek on),
			// keeping the rows just inserted.
			rows, err := tx.QueryContext(ctx, "SELECT id, learner_id, template_uuid FROM cs_progress WHERE learner_id IN ("+placeholders(len(learners))+")", anyArgs(learners)...)
			if err != nil {
				return err
			}
			found := 0
			for rows.Next() {
				var (
					id int64
					k  key
				)
				if err := rows.Scan(&id, &k.learner, &k.template); err != nil {
					rows.Close()
					return err
				}
				if i, ok := index[k]; ok && i >= from && i < from+n {
					ids[i] = id
					found++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if found != n {
				return fmt.Errorf("read back %d of the %d progress rows inserted", found, n)
			}
			from += n
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap("progress.create_batch", fmt.Sprintf("%d rows", len(ps)), err)
	}
	return ids, nil
}
