package mysqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/go-sql-driver/mysql"
)

const secret = "s3cr3t-Pa55word"

// wantUnavailable checks that err matches ErrUnavailable, says what is
// wrong (contains hint) and does not contain the password.
func wantUnavailable(t *testing.T, what string, err error, hint string) {
	t.Helper()
	switch {
	case !errors.Is(err, store.ErrUnavailable):
		t.Errorf("%s: err = %v, want ErrUnavailable", what, err)
	case strings.Contains(err.Error(), secret):
		t.Errorf("%s: error echoes the password: %v", what, err)
	case !strings.Contains(err.Error(), hint):
		t.Errorf("%s: error %q does not say %q", what, err, hint)
	}
}

// These need no server.
func TestOpenBadDSN(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ dsn, hint string }{
		{"app:" + secret + "@tcp(127.0.0.1:3306", "bad DSN"},
		{"app:" + secret + "@tcp(127.0.0.1:3306)/credshare?parseTime=maybe", "bad DSN"},
		{"app:" + secret + "@tcp(127.0.0.1:3306)/", "no database name"},
		{"app:" + secret + "@tcp(127.0.0.1:3306)/credshare?clientFoundRows=true", "clientFoundRows"},
		// Nothing listens on port 1.
		{"app:" + secret + "@tcp(127.0.0.1:1)/credshare", "cannot connect to app@tcp(127.0.0.1:1)/credshare"},
		// A password that is also a word of the driver's message.
		{"app:" + secret + "@tcp(127.0.0.1:1)/" + secret, "cannot connect"},
	} {
		s, err := mysqlstore.Open(ctx, tc.dsn, mysqlstore.WithConnectTimeout(2*time.Second))
		if s != nil {
			s.Close()
		}
		wantUnavailable(t, tc.dsn, err, tc.hint)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for _, o := range []mysqlstore.Option{
		mysqlstore.WithMaxRetries(-1), mysqlstore.WithIsolation(sql.LevelReadUncommitted),
		mysqlstore.WithMaxOpenConns(0), mysqlstore.WithMigrationLockTimeout(0),
	} {
		if _, err := mysqlstore.Open(context.Background(), "u:p@tcp(127.0.0.1:1)/x", o); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad option: err = %v, want ErrInvalid", err)
		}
	}
	if _, err := mysqlstore.New(context.Background(), nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("New(nil) = %v", err)
	}
}

func TestOpenRefused(t *testing.T) {
	ctx := context.Background()
	cfg, err := mysql.ParseDSN(mysqltest.BaseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	wrong := *cfg
	wrong.Passwd = secret
	_, err = mysqlstore.Open(ctx, wrong.FormatDSN())
	wantUnavailable(t, "wrong password", err, "Access denied")

	missing := *cfg
	missing.DBName = "credshare_does_not_exist"
	_, err = mysqlstore.Open(ctx, missing.FormatDSN())
	// (The test server's password is also part of the database name, so
	// the name is partly masked: the password never shows.)
	wantUnavailable(t, "missing database", err, "_does_not_exist")
}

// TestOneDatabase runs the adapter checks that can share one database (each
// database costs a second or more to create and migrate on a busy machine).
func TestOneDatabase(t *testing.T) {
	s := mysqltest.Open(t)
	t.Run("MigrateTwice", func(t *testing.T) { testMigrateTwice(t, s) })
	t.Run("LongValueIsInvalid", func(t *testing.T) { testLongValueIsInvalid(t, s) })
	t.Run("DeadlockIsRetried", func(t *testing.T) { testDeadlockIsRetried(t, s, 1, 2) })
	t.Run("SwallowedDeadlockIsRetried", func(t *testing.T) { testSwallowedDeadlockIsRetried(t, s, 3, 4) })
}

func testMigrateTwice(t *testing.T, s *mysqlstore.Store) {
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 3 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
}

// Processes starting at once on an empty database: the GET_LOCK makes one
// migrate while the others wait, then find nothing to do.
func TestConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.DSN(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := mysqlstore.Open(ctx, dsn)
			if err == nil {
				defer s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM credshare_schema_migrations").Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("migration rows = %d, %v; want 3 (versions 1, 2 and 3)", rows, err)
	}
}

// A caller's pool with its own DSN settings (with and without parseTime,
// a non-UTC location) works, times round-trip as UTC instants with
// microsecond precision, and Close leaves the pool open.
func TestNewWithCallersDB(t *testing.T) {
	ctx := context.Background()
	cfg, err := mysql.ParseDSN(mysqltest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Loc, err = time.LoadLocation("Asia/Tokyo"); err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	for i, parseTime := range []bool{false, true} {
		cfg.ParseTime = parseTime
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s, err := mysqlstore.New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		a, err := credential.NewAward(int64(9+i), credential.Badge("b1"), credential.Cause{EventID: "e", EventTime: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Awards().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.Awards().GetByUUID(ctx, a.UUID)
		if err != nil {
			t.Fatal(err)
		}
		want := at.UTC().Truncate(time.Microsecond)
		if !got.AwardedAt.Equal(want) || got.AwardedAt.Location() != time.UTC || !got.Awarded.EventTime.Equal(want) {
			t.Fatalf("parseTime=%v: AwardedAt = %v, want %v (UTC, microseconds)", parseTime, got.AwardedAt, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.PingContext(ctx); err != nil {
			t.Fatalf("caller's pool closed by Store.Close: %v", err)
		}
		if _, err := s.Awards().GetByUUID(ctx, a.UUID); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("use after Close = %v", err)
		}
	}

	found := *cfg
	found.ClientFoundRows = true
	db2, err := sql.Open("mysql", found.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, err := mysqlstore.New(ctx, db2); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "clientFoundRows") {
		t.Fatalf("New on a clientFoundRows pool = %v", err)
	}
}

// Two transactions locking two rows in opposite orders deadlock; InnoDB
// rolls one back (error 1213) and InTx runs it again, so both succeed.
func testDeadlockIsRetried(t *testing.T, s *mysqlstore.Store, id1, id2 int64) {
	ctx := context.Background()
	for _, id := range []int64{id1, id2} {
		if _, _, err := s.Learners().Upsert(ctx, credential.Learner{UserID: id, FullName: "start"}); err != nil {
			t.Fatal(err)
		}
	}
	var runs atomic.Int32
	var ready sync.WaitGroup
	ready.Add(2)
	tx := func(first, second int64, name string) error {
		var once sync.Once
		return s.InTx(ctx, func(ctx context.Context, r store.Repos) error {
			runs.Add(1)
			if _, _, err := r.Learners().Upsert(ctx, credential.Learner{UserID: first, FullName: name}); err != nil {
				return err
			}
			once.Do(func() { ready.Done(); ready.Wait() }) // both hold their first lock
			_, _, err := r.Learners().Upsert(ctx, credential.Learner{UserID: second, FullName: name})
			return err
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = tx(id1, id2, "a") })
	wg.Go(func() { errs[1] = tx(id2, id1, "b") })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("InTx errors: %v / %v", errs[0], errs[1])
	}
	if runs.Load() < 3 {
		t.Fatalf("fn ran %d times; want a retry after the deadlock", runs.Load())
	}
	l1, _ := s.Learners().Get(ctx, id1)
	l2, _ := s.Learners().Get(ctx, id2)
	if l1.FullName != l2.FullName {
		t.Fatalf("the retried transaction did not win both rows: %q, %q", l1.FullName, l2.FullName)
	}
}

func testLongValueIsInvalid(t *testing.T, s *mysqlstore.Store) {
	_, err := s.Events().MarkProcessed(context.Background(), "g", strings.Repeat("x", 300), time.Now())
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("300-byte event id = %v, want ErrInvalid", err)
	}
}

// A function that swallows a deadlock error does not get a half-applied
// commit: the transaction is run again.
func testSwallowedDeadlockIsRetried(t *testing.T, s *mysqlstore.Store, id1, id2 int64) {
	ctx := context.Background()
	for _, id := range []int64{id1, id2} {
		if _, _, err := s.Learners().Upsert(ctx, credential.Learner{UserID: id, FullName: "start"}); err != nil {
			t.Fatal(err)
		}
	}
	var ready sync.WaitGroup
	ready.Add(2)
	var runs atomic.Int32
	tx := func(first, second int64, name string) error {
		var once sync.Once
		return s.InTx(ctx, func(ctx context.Context, r store.Repos) error {
			runs.Add(1)
			if _, _, err := r.Learners().Upsert(ctx, credential.Learner{UserID: first, FullName: name}); err != nil {
				return err
			}
			once.Do(func() { ready.Done(); ready.Wait() })
			_, _, _ = r.Learners().Upsert(ctx, credential.Learner{UserID: second, FullName: name}) // error ignored
			_, err := r.Events().MarkProcessed(ctx, "g", name, time.Now())
			if err != nil && !errors.Is(err, store.ErrConflict) && !strings.Contains(err.Error(), "1213") {
				return err
			}
			return nil // swallow everything
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = tx(id1, id2, "a") })
	wg.Go(func() { errs[1] = tx(id2, id1, "b") })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("InTx errors: %v / %v", errs[0], errs[1])
	}
	if runs.Load() < 3 {
		t.Fatalf("fn ran %d times; want a retry", runs.Load())
	}
	l1, _ := s.Learners().Get(ctx, id1)
	l2, _ := s.Learners().Get(ctx, id2)
	a, _ := s.Events().IsProcessed(ctx, "g", "a")
	b, _ := s.Events().IsProcessed(ctx, "g", "b")
	if l1.FullName != l2.FullName || !a || !b {
		t.Fatalf("after the retry: learners %q/%q, events a=%v b=%v", l1.FullName, l2.FullName, a, b)
	}
}
