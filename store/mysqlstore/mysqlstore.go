package mysqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/internal/sqlcore"
	"github.com/go-sql-driver/mysql"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the MySQL/MariaDB store. It implements store.Store through the
// methods of the embedded *sqlcore.DB (InTx, Migrate, Close and the record
// stores); see the package documentation.
type Store struct {
	*sqlcore.DB
	db   *sql.DB
	ms   []sqlcore.Migration
	lock time.Duration
}

var _ store.Store = (*Store)(nil)

// Option configures Open and New.
type Option func(*options)

type options struct {
	clock       func() time.Time
	migrate     bool
	retries     int
	isolation   sql.IsolationLevel
	lockTimeout time.Duration
	maxOpen     int
	connTimeout time.Duration
}

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

// WithoutMigrate makes Open and New skip running the migrations; call
// Migrate yourself.
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// WithMaxRetries sets how many times InTx runs a transaction again after a
// deadlock (error 1213) or lock wait timeout (1205); default 5.
func WithMaxRetries(n int) Option { return func(o *options) { o.retries = n } }

// WithIsolation sets the isolation level of write transactions (default
// sql.LevelReadCommitted, which avoids gap locks; the paths that need
// exclusion use locking reads). Multi-statement reads outside InTx always
// use REPEATABLE READ, a consistent snapshot.
func WithIsolation(l sql.IsolationLevel) Option { return func(o *options) { o.isolation = l } }

// WithMigrationLockTimeout sets how long Migrate waits for another process
// that is migrating the same database (default 60 s).
func WithMigrationLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// WithMaxOpenConns caps the connection pool Open creates (default 20). It
// is ignored by New, which leaves the caller's pool alone.
func WithMaxOpenConns(n int) Option { return func(o *options) { o.maxOpen = n } }

// WithConnectTimeout sets the dial timeout Open uses when the DSN does not
// set one, and bounds the initial ping (default 5 s).
func WithConnectTimeout(d time.Duration) Option { return func(o *options) { o.connTimeout = d } }

func buildOptions(opts []Option) (options, error) {
	o := options{migrate: true, retries: 5, isolation: sql.LevelReadCommitted,
		lockTimeout: 60 * time.Second, maxOpen: 20, connTimeout: 5 * time.Second}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	switch {
	case o.retries < 0:
		return o, credential.Invalid("mysqlstore.max_retries", "must not be negative")
	case o.lockTimeout < time.Second:
		return o, credential.Invalid("mysqlstore.migration_lock_timeout", "must be at least 1s")
	case o.maxOpen < 1:
		return o, credential.Invalid("mysqlstore.max_open_conns", "must be at least 1")
	case o.connTimeout <= 0:
		return o, credential.Invalid("mysqlstore.connect_timeout", "must be positive")
	}
	switch o.isolation {
	case sql.LevelReadCommitted, sql.LevelRepeatableRead, sql.LevelSerializable:
	default:
		return o, credential.Invalid("mysqlstore.isolation", "must be READ COMMITTED, REPEATABLE READ or SERIALIZABLE")
	}
	return o, nil
}

// Open connects to the MySQL or MariaDB database named by dsn (the
// go-sql-driver format, user:password@tcp(host:port)/dbname?params), checks
// that it answers, runs the migrations unless WithoutMigrate is given, and
// returns the store. Close closes the pool Open created.
//
// A malformed DSN, an unreachable server, refused credentials or a missing
// database give an error matching store.ErrUnavailable that says what is
// wrong and never contains the password. The DSN must not set
// clientFoundRows (the store relies on affected-row counts); parseTime and
// loc may be anything, as times are stored and read as UTC.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	pw := dsnPassword(dsn)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, openErr(pw, "mysqlstore: bad DSN", err)
	}
	where := fmt.Sprintf("%s@%s(%s)/%s", cfg.User, cfg.Net, cfg.Addr, cfg.DBName)
	if cfg.DBName == "" {
		return nil, openErr(pw, "mysqlstore: bad DSN "+where+": no database name", nil)
	}
	if cfg.ClientFoundRows {
		return nil, openErr(pw, "mysqlstore: bad DSN "+where+": clientFoundRows=true is not supported", nil)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = o.connTimeout
	}
	// Client-side interpolation sends each statement in one round trip
	// instead of prepare + execute; the driver refuses it for the few
	// character sets where it would be unsafe.
	if !strings.Contains(dsn, "interpolateParams=") {
		cfg.InterpolateParams = true
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, openErr(pw, "mysqlstore: bad DSN "+where, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(o.maxOpen)
	db.SetMaxIdleConns(min(o.maxOpen, 10))
	db.SetConnMaxLifetime(30 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, o.connTimeout)
	err = db.PingContext(pctx)
	cancel()
	if err != nil {
		_ = db.Close()
		return nil, openErr(pw, "mysqlstore: cannot connect to "+where, err)
	}
	s, err := newStore(ctx, db, o, db.Close)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// New returns a store on the caller's pool db, for hosts that manage their
// own connections. The DSN behind db must not set clientFoundRows. Close
// does not close db. It checks that the database answers (an error
// matching store.ErrUnavailable otherwise) and runs the migrations unless
// WithoutMigrate is given.
func New(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, credential.Invalid("mysqlstore.db", "must not be nil")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, o.connTimeout)
	err = db.PingContext(pctx)
	cancel()
	if err != nil {
		return nil, openErr("", "mysqlstore: the database does not answer", err)
	}
	return newStore(ctx, db, o, nil)
}

func newStore(ctx context.Context, db *sql.DB, o options, closeFn func() error) (*Store, error) {
	ms, err := sqlcore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, ms: ms, lock: o.lockTimeout}
	s.DB = sqlcore.New(sqlcore.Config{
		Dialect:    dialect,
		Write:      db,
		WriteTx:    &sql.TxOptions{Isolation: o.isolation},
		ReadTx:     &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		Clock:      o.clock,
		MaxRetries: o.retries,
		Migrate:    s.migrate,
		Close:      closeFn,
	})
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// migrate applies the embedded migrations while holding a named lock
// (GET_LOCK) on the database, so that processes starting at once apply
// each version once; the others wait, then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mysqlstore: migrate: %w: %w", store.ErrUnavailable, err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('credshare.migrate.', MD5(DATABASE())), ?)",
		int(s.lock.Seconds())).Scan(&got); err != nil {
		return fmt.Errorf("mysqlstore: migrate: take the migration lock: %w", classified(err))
	}
	if got.Int64 != 1 {
		return fmt.Errorf("mysqlstore: migrate: %w: another process held the migration lock for %s", store.ErrConflict, s.lock)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(CONCAT('credshare.migrate.', MD5(DATABASE())))")
	}()
	if err := sqlcore.RunMigrations(ctx, conn, s.ms, false); err != nil {
		return fmt.Errorf("mysqlstore: migrate: %w", classified(err))
	}
	// The store reads affected-row counts; with clientFoundRows a no-op
	// upsert would count as a change. Probe with one.
	top := s.ms[len(s.ms)-1]
	res, err := conn.ExecContext(ctx, "INSERT INTO "+sqlcore.MigrationsTable+" (version, name, applied_at) VALUES (?, ?, '')"+
		" ON DUPLICATE KEY UPDATE version = version", top.Version, top.Name)
	if err != nil {
		return fmt.Errorf("mysqlstore: migrate: %w", classified(err))
	}
	if n, _ := res.RowsAffected(); n != 0 {
		return credential.Invalid("mysqlstore.dsn", "clientFoundRows=true is not supported (a no-op upsert reported a changed row)")
	}
	return nil
}

// SchemaVersion returns the highest schema version applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return sqlcore.SchemaVersion(ctx, s.db)
}

// classified adds the store sentinel for err, if any.
func classified(err error) error {
	if s := dialect.Classify(err); s != nil {
		return fmt.Errorf("%w: %w", s, err)
	}
	return err
}

// openError is an error from Open or New: it matches store.ErrUnavailable
// and, when its text is free of the password, the driver's error.
type openError struct {
	msg   string
	cause error
}

func (e *openError) Error() string { return e.msg }

func (e *openError) Unwrap() []error {
	if e.cause == nil {
		return []error{store.ErrUnavailable}
	}
	return []error{store.ErrUnavailable, e.cause}
}

func openErr(password, what string, cause error) error {
	msg := what + ": " + store.ErrUnavailable.Error()
	if cause != nil {
		msg = what + ": " + cause.Error()
	}
	if password != "" && strings.Contains(msg, password) {
		msg = mask(msg, password)
		cause = nil // its text holds the password
	}
	return &openError{msg: msg, cause: cause}
}

// mask removes every occurrence of password from msg, replacing it with
// "****" while that cannot itself form the password, and deleting it
// otherwise.
func mask(msg, password string) string {
	for i := 0; strings.Contains(msg, password); i++ {
		if i < 3 && !strings.Contains("****", password) {
			msg = strings.ReplaceAll(msg, password, "****")
		} else {
			msg = strings.ReplaceAll(msg, password, "")
		}
	}
	return msg
}

// dsnPassword finds the password of a DSN the way the driver does: between
// the first ':' and the last '@' before the last '/'.
func dsnPassword(dsn string) string {
	end := strings.LastIndexByte(dsn, '/')
	if end < 0 {
		end = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:end], '@')
	if at < 0 {
		return ""
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 {
		return ""
	}
	return dsn[colon+1 : at]
}

// MySQL and MariaDB error numbers the store reacts to.
const (
	erDupEntry        = 1062
	erLockWaitTimeout = 1205
	erLockDeadlock    = 1213
	erDataTooLong     = 1406
	erBadNull         = 1048
	erTruncatedWrong  = 1366
	erOutOfRange      = 1264
	erAccessDenied    = 1045
	erDBAccessDenied  = 1044
	erBadDB           = 1049
	erConCount        = 1040
	erServerShutdown  = 1053
)

var dialect = &sqlcore.Dialect{
	Name:       "mysqlstore",
	ForUpdate:  " FOR UPDATE",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	OnConflictUpdate: func(_, cols []string) string {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = VALUES(" + c + ")"
		}
		return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
	},
	OnConflictIgnore: func(col string) string { return " ON DUPLICATE KEY UPDATE " + col + " = " + col },
	Time:             func(t time.Time) any { return t.UTC().Format("2006-01-02 15:04:05.000000") },
	Retryable: func(err error) bool {
		var me *mysql.MySQLError
		return errors.As(err, &me) && (me.Number == erLockDeadlock || me.Number == erLockWaitTimeout)
	},
	Classify: func(err error) error {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			switch me.Number {
			case erDupEntry:
				return store.ErrConflict
			case erDataTooLong, erBadNull, erTruncatedWrong, erOutOfRange:
				return store.ErrInvalid
			case erAccessDenied, erDBAccessDenied, erBadDB, erConCount, erServerShutdown:
				return store.ErrUnavailable
			}
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) {
			return store.ErrUnavailable
		}
		return nil
	},
}
