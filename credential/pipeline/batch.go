package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/txcache"
)

// batchTimeout bounds one batch transaction, as Handler's Timeout bounds
// one event.
const batchTimeout = 30 * time.Second

// BatchHandler returns HandleBatch as an eventbus.BatchHandler, for a
// source that implements eventbus.BatchSource:
//
//	err := src.ReceiveBatch(ctx, p.BatchHandler(), eventbus.BatchOptions{MaxEvents: 256})
func (p *Pipeline) BatchHandler() eventbus.BatchHandler { return p.HandleBatch }

// HandleBatch applies events (of one partition, in order) with the effects
// Handle gives each of them, but in one store transaction: one statement
// set records every processed mark (store.BatchWriter.MarkProcessedBatch),
// the events are applied one after the other — a later event sees what an
// earlier one did — and their outbox rows are written together
// (EnqueueBatch) before the commit. It returns one error per event, as
// eventbus.BatchHandler requires; they are nil once the transaction
// committed.
//
// An event repeated in the batch, or applied before, is a duplicate and
// changes nothing. An event without an id gets a permanent error and the
// others are applied. When the batch transaction fails — one event's rules
// or effects fail, an event panics, the database conflicts or is
// unavailable — nothing of it is kept and every event is handled again on
// its own (as Handle does, each in its own transaction), so the failing
// event gets its own error (permanent: dead-lettered with its reason;
// retryable: delivered again) and the rest are applied. A store whose
// InTx Repos lack store.BatchWriter gets every event handled on its own.
//
// Each event runs in its own SpanHandle span, a child of the trace
// context its message carried (ctx's span is not used as the parent,
// since the events of a batch may come from different traces), and its
// outbox rows carry that span's context.
func (p *Pipeline) HandleBatch(ctx context.Context, es []eventbus.Event) []error {
	errs := make([]error, len(es))
	ctxs := make([]context.Context, len(es))
	spans := make([]trace.Span, len(es))
	for i, e := range es {
		ctxs[i], spans[i] = p.startSpan(ctx, e, true)
	}
	defer func() {
		for i, sp := range spans {
			if errs[i] != nil {
				sp.RecordError(errs[i])
				sp.SetStatus(codes.Error, "event not applied")
			}
			sp.End()
		}
	}()
	var valid []int
	for i := range es {
		if err := p.checkID(ctxs[i], es[i]); err != nil {
			errs[i] = err
			continue
		}
		if es[i].Time.IsZero() {
			es[i].Time = p.cfg.Now().UTC()
		}
		valid = append(valid, i)
	}
	if len(valid) == 0 {
		return errs
	}
	if len(valid) > 1 && !p.noBatch.Load() {
		res, err := p.batchTx(ctx, es, ctxs, valid)
		if err == nil {
			for _, i := range valid {
				errs[i] = p.finish(ctxs[i], es[i], res[i], nil)
			}
			return errs
		}
		if errors.Is(err, errNoBatchWriter) {
			p.noBatch.Store(true)
		} else {
			p.cfg.Logger.Debug("batch not applied; handling its events one by one", "events", len(valid), "err", err)
		}
	}
	for _, i := range valid {
		errs[i] = p.handleOne(ctxs[i], es[i])
	}
	return errs
}

// errNoBatchWriter reports a store without store.BatchWriter.
var errNoBatchWriter = errors.New("pipeline: the store has no BatchWriter")

// handleOne is handle with Handler's panic recovery and timeout.
func (p *Pipeline) handleOne(ctx context.Context, e eventbus.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventbus.PanicError{Value: v}
			p.count(ctx, e, "invalid")
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	return p.handle(ctx, e)
}

// batchTx applies the events es[valid...] in one transaction and returns
// what each did. Any error means nothing was kept.
func (p *Pipeline) batchTx(ctx context.Context, es []eventbus.Event, ctxs []context.Context, valid []int) (res []applied, err error) {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	ids := make([]string, len(valid))
	for k, i := range valid {
		ids[k] = es[i].ID
	}
	res = make([]applied, len(es))
	err = p.cfg.Store.InTx(ctx, func(tctx context.Context, tx store.Repos) (err error) {
		bw, ok := tx.(store.BatchWriter)
		if !ok {
			return errNoBatchWriter
		}
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("pipeline: batch panicked: %v", v)
			}
		}()
		clear(res)
		first, err := bw.MarkProcessedBatch(tctx, p.cfg.Group, ids, p.cfg.Now())
		if err != nil {
			return err
		}
		col := &outboxBatch{learners: map[int64]credential.Learner{}, templates: map[uuid.UUID]store.Template{}}
		cache := txcache.NewWriteBehind(tctx, tx, p.cfg.Now)
		// The awards of the batch's learners, in one statement: the rules
		// and certificates read them (and find most of them absent).
		// And their learner upserts, in one statement set: each event then
		// uses the learner as its own Upsert would have returned it. An
		// invalid learner is left to the event, whose Upsert fails.
		var (
			learners []int64
			ls       []credential.Learner
			lEvent   []int
		)
		for k, i := range valid {
			if l, ok := es[i].Learner(); ok && first[k] && l.Validate() == nil {
				learners = append(learners, l.UserID)
				ls, lEvent = append(ls, l), append(lEvent, i)
			}
		}
		if err := cache.PreloadAwards(tctx, learners); err != nil {
			return err
		}
		// Their progress rows too: the rules then create the missing ones
		// held back, in a few statements at Flush, not one each.
		if err := cache.PreloadProgress(tctx, learners); err != nil {
			return err
		}
		upserted := make(map[int]credential.Learner, len(ls))
		if len(ls) > 0 {
			out, err := bw.UpsertLearnersBatch(tctx, ls)
			if err != nil {
				return err
			}
			for j, l := range out {
				upserted[lEvent[j]] = l
			}
		}
		for k, i := range valid {
			if !first[k] {
				res[i].outcome = "duplicate"
				continue
			}
			// The event's span, in the transaction's context.
			ectx := trace.ContextWithSpan(tctx, trace.SpanFromContext(ctxs[i]))
			ectx = withOutboxBatch(withApplyTime(ectx, p.cfg.Now().UTC()), col)
			if l, ok := upserted[i]; ok {
				ectx = context.WithValue(ectx, upsertedKey{}, l)
			}
			if res[i], err = p.apply(ectx, cache, es[i]); err != nil {
				return fmt.Errorf("event %s: %w", es[i].ID, err)
			}
		}
		// The rules' held-back writes (fulfilments, new awards), then the
		// outbox rows, before the commit.
		if err := cache.Flush(tctx); err != nil {
			return err
		}
		if len(col.items) > 0 {
			if _, err := bw.EnqueueBatch(tctx, col.items); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && retry.IsPermanent(err) {
		// Keep the reason for the log only: the events are retried alone.
		err = fmt.Errorf("%v", err)
	}
	return res, err
}

// outboxBatch is the state of one batch transaction: the outbox rows,
// written together before it commits, and what the transaction already
// read or wrote of learners and templates, so later events of the batch do
// not ask the store again. Nothing else in the transaction writes learners
// or templates, so the copies stay right until it ends.
type outboxBatch struct {
	items     []store.OutboxItem
	learners  map[int64]credential.Learner
	templates map[uuid.UUID]store.Template
}

type outboxBatchKey struct{}

func withOutboxBatch(ctx context.Context, b *outboxBatch) context.Context {
	return context.WithValue(ctx, outboxBatchKey{}, b)
}

// enqueue writes an outbox row through tx, or adds it to the batch in ctx.
func enqueue(ctx context.Context, tx store.Repos, item store.OutboxItem) error {
	if b := batchOf(ctx); b != nil {
		// The event's own error for an item the store would refuse; the
		// payload is left to EnqueueBatch's check, so it is not parsed
		// twice (the double check was 9% of a batch).
		if err := store.CheckOutboxFields(item); err != nil {
			return err
		}
		b.items = append(b.items, item)
		return nil
	}
	_, _, err := tx.Outbox().Enqueue(ctx, item)
	return err
}

func batchOf(ctx context.Context) *outboxBatch {
	b, _ := ctx.Value(outboxBatchKey{}).(*outboxBatch)
	return b
}

// upsertedKey carries the event's learner as UpsertLearnersBatch stored it.
type upsertedKey struct{}

// upsertLearner is tx.Learners().Upsert, skipped inside a batch when the
// batch upserted the event's learner already, or an earlier event of the
// batch stored the learner and l changes nothing.
func upsertLearner(ctx context.Context, tx store.Repos, l credential.Learner) (credential.Learner, error) {
	if done, ok := ctx.Value(upsertedKey{}).(credential.Learner); ok && done.UserID == l.UserID {
		return done, nil // upserted with the batch's others
	}
	b := batchOf(ctx)
	if b != nil {
		if old, ok := b.learners[l.UserID]; ok {
			if out, changed := old.Merge(l); !changed {
				return out, nil
			}
		}
	}
	out, _, err := tx.Learners().Upsert(ctx, l)
	if err == nil && b != nil {
		b.learners[out.UserID] = out
	}
	return out, err
}

// getTemplate is tx.Config().GetTemplate, read once per batch.
func getTemplate(ctx context.Context, tx store.Repos, id uuid.UUID) (store.Template, error) {
	b := batchOf(ctx)
	if b != nil {
		if t, ok := b.templates[id]; ok {
			return t, nil
		}
	}
	t, err := tx.Config().GetTemplate(ctx, id)
	if err == nil && b != nil {
		b.templates[id] = t
	}
	return t, err
}
