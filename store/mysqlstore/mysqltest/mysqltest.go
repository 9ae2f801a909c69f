// Package mysqltest gives tests a MariaDB/MySQL-backed store in a database
// of its own.
//
// Tests of any package can use it:
//
//	func TestSomething(t *testing.T) {
//		s := mysqltest.Open(t) // skips unless CREDSHARE_MYSQL_DSN is set
//		...
//	}
//
// # Configuration
//
// The server comes from the environment variable CREDSHARE_MYSQL_DSN (a
// go-sql-driver DSN; `make test` sets it after starting MariaDB with
// scripts/mariadb-up.sh). When it is unset the test is skipped with a message
// saying so, unless CREDSHARE_REQUIRE_MYSQL=1, in which case it fails.
//
// Every call creates a database named credshare_<random> (the DSN's user
// may create databases matching credshare\_%), and drops it when the test
// ends.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/go-sql-driver/mysql"
)

// EnvDSN is the environment variable holding the test server's DSN.
const EnvDSN = "CREDSHARE_MYSQL_DSN"

// EnvRequire, set to 1, turns a missing DSN into a test failure.
const EnvRequire = "CREDSHARE_REQUIRE_MYSQL"

// BaseDSN returns the DSN from the environment, or skips (or, with
// CREDSHARE_REQUIRE_MYSQL=1, fails) the test when it is unset.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1", EnvDSN, EnvRequire)
		}
		t.Skipf("MySQL tests skipped: set %s (make test does this)", EnvDSN)
	}
	return dsn
}

// DSN creates a fresh database credshare_<random> and returns a DSN for it;
// the database is dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(BaseDSN(t))
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "credshare_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Open returns a migrated store in a fresh database, closed and dropped when
// the test ends.
func Open(t testing.TB, opts ...mysqlstore.Option) *mysqlstore.Store {
	t.Helper()
	dsn := DSN(t)
	s, err := mysqlstore.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("mysqlstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
