package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// Dialect holds what differs between the SQL databases: lock clauses,
// upsert syntax, how times are stored and how driver errors are classified.
// The adapters fill one in; everything else is shared.
type Dialect struct {
	// Name prefixes every error ("sqlitestore", "mysqlstore").
	Name string
	// ForUpdate is appended to locking reads (" FOR UPDATE"), or "" when
	// the database serialises writers anyway (SQLite).
	ForUpdate string
	// SkipLocked is appended to the outbox claim's read
	// (" FOR UPDATE SKIP LOCKED"), or "".
	SkipLocked string
	// OnConflictUpdate returns the clause that turns an INSERT into an
	// upsert: on a conflict on keyCols, set each of cols to the inserted
	// value.
	OnConflictUpdate func(keyCols, cols []string) string
	// OnConflictIgnore returns the clause that makes an INSERT a no-op
	// (zero rows affected) on any uniqueness conflict; anyCol is a column
	// of the table.
	OnConflictIgnore func(anyCol string) string
	// Time converts a time to the value stored for it; zero times are
	// stored as NULL and never reach it.
	Time func(t time.Time) any
	// Retryable reports whether a transaction failing with err may be run
	// again (deadlock, lock wait timeout, busy).
	Retryable func(err error) bool
	// Classify maps a driver error to a store sentinel (ErrConflict for a
	// uniqueness violation, ErrUnavailable for a connection failure), or
	// returns nil.
	Classify func(err error) error
}

// Config assembles a DB.
type Config struct {
	Dialect *Dialect
	// Write runs every write transaction (and reads, when Read is nil).
	Write *sql.DB
	// Read, when set, runs reads outside InTx.
	Read *sql.DB
	// WriteTx and ReadTx are the options of write and read transactions.
	WriteTx, ReadTx *sql.TxOptions
	// Clock gives the time the store records itself; nil means time.Now.
	Clock func() time.Time
	// MaxRetries is how many times a transaction is run again after a
	// retryable failure.
	MaxRetries int
	// Migrate brings the schema up to date.
	Migrate func(ctx context.Context) error
	// Close releases the adapter's resources.
	Close func() error
	// SingleWriter makes write transactions run one at a time (a
	// semaphore in front of Write, which may then keep a second connection
	// for preparing statements) and caches prepared statements on both
	// pools. SQLite uses it: it has one writer anyway, and parsing is a
	// large part of a statement's cost there.
	SingleWriter bool
}

// DB is the shared implementation of store.Store over database/sql. The
// adapters embed it.
type DB struct {
	d       *Dialect
	w, r    *sql.DB
	wopts   *sql.TxOptions
	ropts   *sql.TxOptions
	clock   func() time.Time
	retries int
	migrate func(ctx context.Context) error
	closeFn func() error
	closed  atomic.Bool
	once    sync.Once
	closeEr error
	wsem    chan struct{}
	wc, rc  *stmtCache
}

var _ store.Store = (*DB)(nil)

// New returns a DB for c.
func New(c Config) *DB {
	db := &DB{d: c.Dialect, w: c.Write, r: c.Read, wopts: c.WriteTx, ropts: c.ReadTx,
		clock: c.Clock, retries: c.MaxRetries, migrate: c.Migrate, closeFn: c.Close}
	if db.r == nil {
		db.r = db.w
	}
	if db.clock == nil {
		db.clock = time.Now
	}
	if c.SingleWriter {
		db.wsem = make(chan struct{}, 1)
		db.wc, db.rc = newStmtCache(db.w), newStmtCache(db.r)
	}
	return db
}

// Norm brings a time to the form the stores keep: UTC with microsecond
// precision; the zero time stays zero.
func Norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (db *DB) now() time.Time { return Norm(db.clock()) }

// tv returns the stored form of t: NULL for the zero time.
func (db *DB) tv(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.d.Time(Norm(t))
}

// txKey marks the contexts handed to InTx functions.
type txKey struct{}

func (db *DB) errClosed() error { return fmt.Errorf("%s: %w", db.d.Name, store.ErrClosed) }

// check reports whether the DB may be used with ctx.
func (db *DB) check(ctx context.Context) error {
	if db.closed.Load() {
		return db.errClosed()
	}
	if v, _ := ctx.Value(txKey{}).(*DB); v == db {
		return fmt.Errorf("%s: %w: the Store was used inside its own InTx (use the Repos given to fn)", db.d.Name, store.ErrConflict)
	}
	return ctx.Err()
}

// Migrate brings the schema to the version this code expects; running it
// again is harmless. See store.Store.
func (db *DB) Migrate(ctx context.Context) error {
	if db.closed.Load() {
		return db.errClosed()
	}
	return db.migrate(ctx)
}

// Close releases the store's resources; later calls return errors matching
// store.ErrClosed. Close is idempotent.
func (db *DB) Close() error {
	db.closed.Store(true)
	db.once.Do(func() {
		if db.wc != nil {
			db.wc.close()
			db.rc.close()
		}
		if db.closeFn != nil {
			db.closeEr = db.closeFn()
		}
	})
	return db.closeEr
}

// InTx runs fn in one transaction; see store.Store. fn is run again (at
// most the configured number of times) when the database reports a
// deadlock, a lock wait timeout or a busy database; a panic in fn rolls back
// and is re-raised. Using the Store itself (not the Repos given to fn) with
// the context given to fn returns an error matching store.ErrConflict.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	if fn == nil {
		return credential.Invalid("fn", "must not be nil")
	}
	if err := db.check(ctx); err != nil {
		return err
	}
	tctx := context.WithValue(ctx, txKey{}, db)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		sc := &scope{db: db, tx: db.wrapTx(tx, db.wc)}
		defer sc.end()
		err := fn(tctx, repos{h: sc})
		if dead := sc.deadErr(); err == nil && dead != nil {
			// fn ignored a deadlock: the server has already rolled the
			// transaction back, so committing would keep only what ran
			// after it. Run fn again instead.
			return dead
		}
		return err
	})
}

// writeTx runs fn in a write transaction, retrying retryable failures. fn's
// error is returned unchanged.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.writeOnce(ctx, fn)
		if err == nil || attempt >= db.retries || !db.d.Retryable(err) || ctx.Err() != nil {
			return err
		}
		// A short, growing pause lets the winner of the conflict finish.
		t := time.NewTimer(time.Duration(attempt+1) * 2 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// writeOnce runs fn in one write transaction, after taking the writer
// semaphore when there is one.
func (db *DB) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.wsem != nil {
		select {
		case db.wsem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-db.wsem }()
	}
	return db.once1(ctx, db.w, db.wopts, fn)
}

// wrapTx returns tx as a q, through the statement cache c if any.
func (db *DB) wrapTx(tx *sql.Tx, c *stmtCache) q {
	if c == nil {
		return tx
	}
	return cachedTx{tx: tx, c: c}
}

// once1 runs fn in one transaction on pool.
func (db *DB) once1(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (err error) {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.wrap("begin transaction", nil, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return db.wrap("commit", nil, err)
	}
	return nil
}

// Learners implements store.Repos.
func (db *DB) Learners() store.Learners { return repos{h: db}.Learners() }

// Awards implements store.Repos.
func (db *DB) Awards() store.Awards { return repos{h: db}.Awards() }

// Progress implements store.Repos.
func (db *DB) Progress() store.Progress { return repos{h: db}.Progress() }

// Events implements store.Repos.
func (db *DB) Events() store.Events { return repos{h: db}.Events() }

// Outbox implements store.Repos.
func (db *DB) Outbox() store.Outbox { return repos{h: db}.Outbox() }

// Issuance implements store.Repos.
func (db *DB) Issuance() store.Issuance { return repos{h: db}.Issuance() }

// StatusLists implements store.Repos.
func (db *DB) StatusLists() store.StatusLists { return repos{h: db}.StatusLists() }

// Exchanges implements store.Repos.
func (db *DB) Exchanges() store.Exchanges { return repos{h: db}.Exchanges() }

// Config implements store.Repos.
func (db *DB) Config() store.Config { return repos{h: db}.Config() }

// q is what the record stores run statements on: a transaction, or the
// read pool for a read of one statement.
type q interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Access modes of handle.run.
const (
	// read is one statement that reads: outside InTx it runs on the read
	// pool without a transaction of its own (one round trip).
	read = iota
	// snapshot is several reads that must see one state: outside InTx they
	// share a read-only transaction.
	snapshot
	// write changes the database: outside InTx it runs in its own write
	// transaction, retried on deadlock.
	write
)

// handle runs an operation in a transaction: the DB's own (one per call) or
// the enclosing InTx's.
type handle interface {
	run(ctx context.Context, mode int, fn func(tx q) error) error
	base() *DB
}

func (db *DB) base() *DB { return db }

func (db *DB) run(ctx context.Context, mode int, fn func(tx q) error) error {
	if err := db.check(ctx); err != nil {
		return err
	}
	switch mode {
	case write:
		return db.writeTx(ctx, func(tx *sql.Tx) error { return fn(db.wrapTx(tx, db.wc)) })
	case snapshot:
		return db.once1(ctx, db.r, db.ropts, func(tx *sql.Tx) error { return fn(db.wrapTx(tx, db.rc)) })
	}
	if db.rc != nil {
		return fn(cachedPool{c: db.rc})
	}
	return fn(db.r)
}

// scope is the handle of the Repos given to an InTx function.
type scope struct {
	db   *DB
	tx   q
	mu   sync.Mutex // a *sql.Tx runs one statement at a time anyway
	done bool
	// dead is the retryable error (deadlock, lock wait timeout) that ended
	// the transaction on the server; later calls fail with it.
	dead error
}

func (sc *scope) deadErr() error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.dead
}

func (sc *scope) base() *DB { return sc.db }

func (sc *scope) end() {
	sc.mu.Lock()
	sc.done = true
	sc.mu.Unlock()
}

func (sc *scope) run(ctx context.Context, _ int, fn func(tx q) error) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.done {
		return fmt.Errorf("%s: %w: transaction already ended", sc.db.d.Name, store.ErrClosed)
	}
	if sc.db.closed.Load() {
		return sc.db.errClosed()
	}
	if sc.dead != nil {
		return sc.dead
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := fn(sc.tx)
	if err != nil && sc.db.d.Retryable(err) {
		sc.dead = err
	}
	return err
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

// wrap names the operation and key in a database error and adds the store
// sentinel the dialect classifies it as. Errors that already match a store
// sentinel (made by the record stores) are only prefixed with the adapter's
// name.
func (db *DB) wrap(op string, key any, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrClosed, store.ErrUnavailable} {
		if errors.Is(err, s) {
			if strings.HasPrefix(err.Error(), db.d.Name+": ") {
				return err
			}
			return fmt.Errorf("%s: %w", db.d.Name, err)
		}
	}
	where := op
	if key != nil {
		where = fmt.Sprintf("%s %v", op, key)
	}
	if db.closed.Load() && (errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) || err.Error() == "sql: database is closed") {
		return fmt.Errorf("%s: %s: %w: %w", db.d.Name, where, store.ErrClosed, err)
	}
	if s := db.d.Classify(err); s != nil {
		return fmt.Errorf("%s: %s: %w: %w", db.d.Name, where, s, err)
	}
	return fmt.Errorf("%s: %s: %w", db.d.Name, where, err)
}

// notFound returns an error matching store.ErrNotFound naming the key.
func (db *DB) notFound(what string, key any) error { return store.NotFound(what, key) }

// conflict returns an error matching store.ErrConflict.
func (db *DB) conflict(format string, args ...any) error { return store.Conflict(format, args...) }
