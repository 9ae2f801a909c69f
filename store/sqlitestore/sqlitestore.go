package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/internal/sqlcore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the embedded SQLite store. It implements store.Store through the
// methods of the embedded *sqlcore.DB (InTx, Migrate, Close and the record
// stores); see the package documentation.
type Store struct {
	*sqlcore.DB
	path string
	ms   []sqlcore.Migration
	w, r *sql.DB
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readConns   int
	clock       func() time.Time
	migrate     bool
	retries     int
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing with "database is locked" (default 5 s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithReadConns sets the size of the read pool (default 4). Writes always
// go through a single connection.
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithClock sets the clock used for the times the store records itself
// (CreatedAt, UpdatedAt, the due time of an item enqueued without
// NotBefore). A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.clock = now
		}
	}
}

// WithoutMigrate makes Open skip running the migrations; call Migrate
// yourself.
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// WithMaxRetries sets how many times a transaction is run again when
// another process holds the database lock past the busy timeout (default 3).
func WithMaxRetries(n int) Option { return func(o *options) { o.retries = n } }

// Open opens (creating it if needed) the SQLite database at path, runs the
// migrations unless WithoutMigrate is given, and returns the store. The
// database uses WAL journaling with synchronous=NORMAL: a committed
// transaction survives a process crash, and at worst the last transactions
// before a power loss are lost, never corrupted.
//
// An empty path or ":memory:" is rejected (a private in-memory database
// cannot be shared by the read and write connections): use a file in a
// temporary directory for throwaway stores. Errors opening the file match
// store.ErrUnavailable; invalid options match store.ErrInvalid.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 5 * time.Second, readConns: 4, migrate: true, retries: 3}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file::memory:"):
		return nil, credential.Invalid("sqlitestore.path", "must name a file (use a temporary directory for throwaway stores)")
	case o.busyTimeout < 0:
		return nil, credential.Invalid("sqlitestore.busy_timeout", "must not be negative")
	case o.readConns < 1:
		return nil, credential.Invalid("sqlitestore.read_conns", "must be at least 1")
	case o.retries < 0:
		return nil, credential.Invalid("sqlitestore.max_retries", "must not be negative")
	}
	ms, err := sqlcore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, o.busyTimeout, "immediate", false))
	if err != nil {
		return nil, unavailable(path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, o.busyTimeout, "deferred", true))
	if err != nil {
		_ = w.Close()
		return nil, unavailable(path, err)
	}
	// One writer at a time (SingleWriter): SQLite allows no more anyway,
	// and BEGIN IMMEDIATE takes the write lock up front, so a transaction
	// never fails half-way on a lock upgrade. The second connection of the
	// writer pool only prepares statements for the cache.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	s := &Store{path: path, ms: ms, w: w, r: r}
	s.DB = sqlcore.New(sqlcore.Config{
		Dialect:    dialect,
		Write:      w,
		Read:       r,
		Clock:      o.clock,
		MaxRetries: o.retries,
		Migrate:    s.migrate,
		Close:      func() error { return errors.Join(r.Close(), w.Close()) },
		// One writer at a time, and cached prepared statements.
		SingleWriter: true,
	})
	if err := walMode(ctx, w, o.busyTimeout); err != nil {
		_ = s.Close()
		return nil, unavailable(path, err)
	}
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// walMode switches the database to WAL journaling (a persistent setting of
// the file). The switch needs an exclusive lock and SQLite does not wait
// for it, so a busy database is retried here until the busy timeout.
func walMode(ctx context.Context, w *sql.DB, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for {
		var mode string
		err := w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil && !strings.EqualFold(mode, "wal") {
			err = fmt.Errorf("journal mode is %q, not wal", mode)
		}
		if err == nil || code(err) != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// dsn builds the modernc DSN for path.
func dsn(path string, busy time.Duration, txlock string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	// The path is a URI path to SQLite: escape what would otherwise be read
	// as an escape, a query or a fragment.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

func unavailable(path string, err error) error {
	return fmt.Errorf("sqlitestore: open %s: %w: %w", path, store.ErrUnavailable, err)
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// migrate applies the embedded migrations on the writer connection; each
// version runs in its own BEGIN IMMEDIATE transaction, so two processes
// opening the same file at once apply it once.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return unavailable(s.path, err)
	}
	defer conn.Close()
	if err := sqlcore.RunMigrations(ctx, conn, s.ms, true); err != nil {
		return fmt.Errorf("sqlitestore: migrate %s: %w", s.path, err)
	}
	return nil
}

// SchemaVersion returns the highest schema version applied to the
// database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return sqlcore.SchemaVersion(ctx, s.r)
}

var dialect = &sqlcore.Dialect{
	Name: "sqlitestore",
	OnConflictUpdate: func(keys, cols []string) string {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = excluded." + c
		}
		return " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	},
	OnConflictIgnore: func(string) string { return " ON CONFLICT DO NOTHING" },
	Time:             func(t time.Time) any { return t.UnixMicro() },
	Retryable: func(err error) bool {
		c := code(err)
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	},
	Classify: func(err error) error {
		switch code(err) {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return store.ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_TOOBIG:
			return store.ErrInvalid
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return store.ErrUnavailable
		}
		return nil
	},
}

// code returns the SQLite result code of err (extended when SQLite gave
// one), or -1.
func code(err error) int {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return -1
	}
	c := e.Code()
	switch c & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return c & 0xff
	}
	return c
}
