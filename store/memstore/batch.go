package memstore

import (
	"context"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

var _ store.BatchWriter = repos{}

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
