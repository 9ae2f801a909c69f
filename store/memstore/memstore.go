package memstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock the store uses for the times it records itself
// (CreatedAt, UpdatedAt, the due time of an item enqueued without NotBefore).
// The default is time.Now. A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.clock = now
		}
	}
}

// Store is an in-memory store.Store. The zero value is not usable; call New.
//
// All state sits behind one lock: a transaction holds it from start to
// commit or rollback, so transactions are serialisable and the atomic
// operations of the store contract hold trivially.
type Store struct {
	// sem is a one-slot semaphore used as the store's lock; unlike a
	// sync.Mutex, waiting for it can be cancelled through a context.
	sem    chan struct{}
	closed atomic.Bool
	clock  func() time.Time
	st     *state
}

var _ store.Store = (*Store)(nil)

// New returns an empty, ready to use Store.
func New(opts ...Option) *Store {
	s := &Store{
		sem:   make(chan struct{}, 1),
		clock: time.Now,
		st:    newState(),
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// txKey marks contexts handed to an InTx function, so that a call on the
// Store itself from inside the transaction fails instead of deadlocking.
type txKey struct{}

// errNested is returned when the Store (rather than the Repos handed to the
// InTx function) is used from inside one of its own transactions.
var errNested = fmt.Errorf("%w: memstore: the Store was used inside its own InTx (use the Repos given to fn)", store.ErrConflict)

// errTxDone is returned when Repos handed to an InTx function are used after
// the function returned.
var errTxDone = fmt.Errorf("%w: memstore: transaction already ended", store.ErrClosed)

func (s *Store) errClosed() error {
	return fmt.Errorf("%w: memstore", store.ErrClosed)
}

// lock acquires the store's lock, honouring ctx.
func (s *Store) lock(ctx context.Context) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if v, _ := ctx.Value(txKey{}).(*Store); v == s {
		return errNested
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.closed.Load() {
		<-s.sem
		return s.errClosed()
	}
	return nil
}

func (s *Store) unlock() { <-s.sem }

func (s *Store) now() time.Time { return norm(s.clock()) }

// do runs fn in its own transaction: the autocommit path used by the Repos
// of the Store itself.
func (s *Store) do(ctx context.Context, fn func(t *txn) error) (err error) {
	if err := s.lock(ctx); err != nil {
		return err
	}
	t := &txn{s: s, st: s.st}
	ok := false
	defer func() {
		if !ok {
			t.rollbackTo(0)
		}
		s.unlock()
	}()
	err = fn(t)
	ok = err == nil
	return err
}

// InTx runs fn in one transaction; see store.Store. A panic in fn rolls the
// transaction back and is then re-raised. Using the Store itself (instead of
// the Repos given to fn) inside fn with the context given to fn returns an
// error matching store.ErrConflict; with an unrelated context it blocks until
// that context ends, since the transaction holds the store's lock.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) (err error) {
	if fn == nil {
		return credential.Invalid("fn", "must not be nil")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	sc := &scope{t: &txn{s: s, st: s.st}}
	committed := false
	defer func() {
		sc.mu.Lock()
		sc.done = true
		if !committed {
			sc.t.rollbackTo(0)
		}
		sc.mu.Unlock()
		s.unlock()
	}()
	err = fn(context.WithValue(ctx, txKey{}, s), repos{h: sc})
	committed = err == nil
	return err
}

// Migrate does nothing for an in-memory store beyond reporting ErrClosed
// after Close; it is harmless to call any number of times.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	return ctx.Err()
}

// Close marks the store closed: every later call returns an error matching
// store.ErrClosed. A transaction already running completes normally. Close
// is idempotent.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Learners implements store.Repos.
func (s *Store) Learners() store.Learners { return repos{h: s}.Learners() }

// Awards implements store.Repos.
func (s *Store) Awards() store.Awards { return repos{h: s}.Awards() }

// Progress implements store.Repos.
func (s *Store) Progress() store.Progress { return repos{h: s}.Progress() }

// Events implements store.Repos.
func (s *Store) Events() store.Events { return repos{h: s}.Events() }

// Outbox implements store.Repos.
func (s *Store) Outbox() store.Outbox { return repos{h: s}.Outbox() }

// Issuance implements store.Repos.
func (s *Store) Issuance() store.Issuance { return repos{h: s}.Issuance() }

// StatusLists implements store.Repos.
func (s *Store) StatusLists() store.StatusLists { return repos{h: s}.StatusLists() }

// Exchanges implements store.Repos.
func (s *Store) Exchanges() store.Exchanges { return repos{h: s}.Exchanges() }

// Config implements store.Repos.
func (s *Store) Config() store.Config { return repos{h: s}.Config() }

// handle runs an operation in a transaction: its own (Store) or the
// enclosing one (scope).
type handle interface {
	do(ctx context.Context, fn func(t *txn) error) error
}

// scope is the handle of the Repos given to an InTx function.
type scope struct {
	mu   sync.Mutex // serialises calls from several goroutines of one fn
	done bool
	t    *txn
}

func (sc *scope) do(ctx context.Context, fn func(t *txn) error) (err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.done {
		return errTxDone
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A failed call leaves no partial change behind, like a statement that
	// fails inside a SQL transaction.
	mark := len(sc.t.undo)
	ok := false
	defer func() {
		if !ok {
			sc.t.rollbackTo(mark)
		}
	}()
	err = fn(sc.t)
	ok = err == nil
	return err
}

// txn is one transaction's view of the state: direct access (the lock is
// held) plus an undo log.
type txn struct {
	s    *Store
	st   *state
	undo []func()
}

func (t *txn) rollbackTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:mark]
}

func (t *txn) now() time.Time { return t.s.now() }

// onUndo registers f to run if the transaction rolls back.
func (t *txn) onUndo(f func()) { t.undo = append(t.undo, f) }

// put sets m[k] = v, recording how to undo it.
func put[K comparable, V any](t *txn, m map[K]V, k K, v V) {
	old, had := m[k]
	if had {
		t.onUndo(func() { m[k] = old })
	} else {
		t.onUndo(func() { delete(m, k) })
	}
	m[k] = v
}

// del deletes m[k], recording how to undo it.
func del[K comparable, V any](t *txn, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	t.onUndo(func() { m[k] = old })
	delete(m, k)
}

// repos implements store.Repos on a handle.
type repos struct{ h handle }

func (r repos) Learners() store.Learners       { return learners(r) }
func (r repos) Awards() store.Awards           { return awards(r) }
func (r repos) Progress() store.Progress       { return progress(r) }
func (r repos) Events() store.Events           { return events(r) }
func (r repos) Outbox() store.Outbox           { return outbox(r) }
func (r repos) Issuance() store.Issuance       { return issuance(r) }
func (r repos) StatusLists() store.StatusLists { return statusLists(r) }
func (r repos) Exchanges() store.Exchanges     { return exchanges(r) }
func (r repos) Config() store.Config           { return config(r) }

// norm brings a time to the form the SQL adapters store: UTC, microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
