package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

type events repos

func (r events) MarkProcessed(ctx context.Context, group, eventID string, at time.Time) (first bool, err error) {
	switch {
	case group == "":
		return false, credential.Invalid("event.group", "must not be empty")
	case eventID == "":
		return false, credential.Invalid("event.id", "must not be empty")
	}
	at = norm(at)
	err = r.h.do(ctx, func(t *txn) error {
		k := eventKey{group: group, id: eventID}
		if _, ok := t.st.events[k]; ok {
			return nil
		}
		if at.IsZero() {
			at = t.now()
		}
		put(t, t.st.events, k, eventMark{at: at})
		first = true
		return nil
	})
	return first, err
}

func (r events) IsProcessed(ctx context.Context, group, eventID string) (done bool, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		_, done = t.st.events[eventKey{group: group, id: eventID}]
		return nil
	})
	return done, err
}

func (r events) Prune(ctx context.Context, cutoff time.Time) (n int, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		for k, m := range t.st.events {
			if m.at.Before(cutoff) {
				del(t, t.st.events, k)
				n++
			}
		}
		return nil
	})
	return n, err
}

type outbox repos

func (r outbox) Enqueue(ctx context.Context, item store.OutboxItem) (id int64, enqueued bool, err error) {
	if err := store.PrepareOutboxItem(item); err != nil {
		return 0, false, err
	}
	err = r.h.do(ctx, func(t *txn) error {
		if id0, ok := t.st.outboxByKey[item.IdempotencyKey]; ok {
			id = id0
			return nil
		}
		now := t.now()
		t.st.outboxSeq++ // like AUTO_INCREMENT: never reused after a rollback
		it := store.OutboxItem{
			ID:             t.st.outboxSeq,
			Kind:           item.Kind,
			Target:         item.Target,
			IdempotencyKey: item.IdempotencyKey,
			Payload:        cloneRaw(item.Payload),
			Status:         store.OutboxPending,
			NotBefore:      norm(item.NotBefore),
			TraceParent:    item.TraceParent,
			CreatedAt:      now,
			UpdatedAt:      now,
		}
		if it.NotBefore.IsZero() {
			it.NotBefore = now
		}
		put(t, t.st.outbox, it.ID, it)
		put(t, t.st.outboxByKey, it.IdempotencyKey, it.ID)
		t.st.pendingIdx.insert(t, keyAt(it.NotBefore, it.ID))
		id, enqueued = it.ID, true
		return nil
	})
	return id, enqueued, err
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
	now = norm(now)
	err = r.h.do(ctx, func(t *txn) error {
		match := func(it store.OutboxItem) bool { return len(targets) == 0 || slices.Contains(targets, it.Target) }
		nowN := now.UnixNano()
		// Expired leases, put in NotBefore order (there are usually few).
		var expired []store.OutboxItem
		for _, k := range t.st.leasedIdx.keys {
			if k.at > nowN {
				break
			}
			if it := t.st.outbox[k.id]; match(it) {
				expired = append(expired, it)
			}
		}
		slices.SortFunc(expired, func(a, b store.OutboxItem) int {
			return cmpKey(keyAt(a.NotBefore, a.ID), keyAt(b.NotBefore, b.ID))
		})
		// Merge them with the due prefix of the pending items.
		var due []store.OutboxItem
		pend := t.st.pendingIdx.keys
		i, j := 0, 0
		for len(due) < limit {
			for i < len(pend) && pend[i].at <= nowN && !match(t.st.outbox[pend[i].id]) {
				i++
			}
			hasP := i < len(pend) && pend[i].at <= nowN
			hasL := j < len(expired)
			switch {
			case hasP && (!hasL || cmpKey(pend[i], keyAt(expired[j].NotBefore, expired[j].ID)) < 0):
				due = append(due, t.st.outbox[pend[i].id])
				i++
			case hasL:
				due = append(due, expired[j])
				j++
			default:
				i = len(pend) // nothing more is due
			}
			if !hasP && !hasL {
				break
			}
		}
		until := norm(now.Add(lease))
		upd := t.now()
		for _, it := range due {
			if it.Status == store.OutboxPending {
				t.st.pendingIdx.remove(t, keyAt(it.NotBefore, it.ID))
			} else {
				t.st.leasedIdx.remove(t, keyAt(it.LeaseUntil, it.ID))
			}
			t.st.leasedIdx.insert(t, keyAt(until, it.ID))
			it.Status = store.OutboxLeased
			it.LeaseOwner = owner
			it.LeaseUntil = until
			it.Attempts++
			it.UpdatedAt = upd
			put(t, t.st.outbox, it.ID, it)
			out = append(out, copyOutbox(it))
		}
		return nil
	})
	return out, err
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// settle applies f to a leased item held by owner.
func (r outbox) settle(ctx context.Context, id int64, owner string, f func(it *store.OutboxItem)) error {
	return r.h.do(ctx, func(t *txn) error {
		it, ok := t.st.outbox[id]
		if !ok {
			return store.NotFound("outbox item", id)
		}
		if it.Status != store.OutboxLeased {
			return store.Conflict("outbox item %d is %s, not leased", id, it.Status)
		}
		if it.LeaseOwner != owner {
			return store.Conflict("outbox item %d is leased by another owner", id)
		}
		t.st.leasedIdx.remove(t, keyAt(it.LeaseUntil, id))
		f(&it)
		switch it.Status {
		case store.OutboxPending:
			t.st.pendingIdx.insert(t, keyAt(it.NotBefore, id))
		case store.OutboxDead:
			put(t, t.st.dead, id, struct{}{})
		}
		it.LeaseOwner, it.LeaseUntil = "", time.Time{}
		it.UpdatedAt = t.now()
		put(t, t.st.outbox, id, it)
		return nil
	})
}

func (r outbox) Complete(ctx context.Context, id int64, owner string) error {
	return r.settle(ctx, id, owner, func(it *store.OutboxItem) { it.Status = store.OutboxDone })
}

func (r outbox) Reschedule(ctx context.Context, id int64, owner string, at time.Time, lastErr string) error {
	at = norm(at)
	return r.settle(ctx, id, owner, func(it *store.OutboxItem) {
		it.Status = store.OutboxPending
		it.NotBefore = at
		it.LastError = lastErr
	})
}

func (r outbox) Kill(ctx context.Context, id int64, owner string, reason string) error {
	return r.settle(ctx, id, owner, func(it *store.OutboxItem) {
		it.Status = store.OutboxDead
		it.LastError = reason
	})
}

func (r outbox) Get(ctx context.Context, id int64) (out store.OutboxItem, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		it, ok := t.st.outbox[id]
		if !ok {
			return store.NotFound("outbox item", id)
		}
		out = copyOutbox(it)
		return nil
	})
	return out, err
}

func (r outbox) ListDead(ctx context.Context, afterID int64, limit int) (out []store.OutboxItem, err error) {
	limit = clampLimit(limit)
	err = r.h.do(ctx, func(t *txn) error {
		for id := range t.st.dead {
			if id > afterID {
				out = append(out, t.st.outbox[id])
			}
		}
		slices.SortFunc(out, func(a, b store.OutboxItem) int { return cmpInt(a.ID, b.ID) })
		if len(out) > limit {
			out = out[:limit]
		}
		for i := range out {
			out[i] = copyOutbox(out[i])
		}
		return nil
	})
	return out, err
}

func (r outbox) Requeue(ctx context.Context, id int64, now time.Time) error {
	now = norm(now)
	return r.h.do(ctx, func(t *txn) error {
		it, ok := t.st.outbox[id]
		if !ok {
			return store.NotFound("outbox item", id)
		}
		if it.Status != store.OutboxDead {
			return store.Conflict("outbox item %d is %s, not dead", id, it.Status)
		}
		it.Status = store.OutboxPending
		it.NotBefore = now
		it.Attempts = 0
		del(t, t.st.dead, id)
		t.st.pendingIdx.insert(t, keyAt(now, id))
		it.LeaseOwner, it.LeaseUntil = "", time.Time{}
		it.UpdatedAt = t.now()
		put(t, t.st.outbox, id, it)
		return nil
	})
}

func (r outbox) Stats(ctx context.Context) (s store.OutboxStats, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		s.Dead = len(t.st.dead)
		for _, idx := range []*dueIndex{&t.st.pendingIdx, &t.st.leasedIdx} {
			for _, k := range idx.keys {
				s.Pending++
				if c := t.st.outbox[k.id].CreatedAt; s.OldestPending.IsZero() || c.Before(s.OldestPending) {
					s.OldestPending = c
				}
			}
		}
		return nil
	})
	return s, err
}
