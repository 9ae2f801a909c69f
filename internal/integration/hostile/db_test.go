// Package hostile_test holds issue 12's hostile-input tests that need a
// real store: malformed and wrong-typed events through a real source into
// the pipeline on SQLite and MariaDB (dead-lettered with a reason, the
// database unchanged), and SQL- and script-looking names through the
// stores into the hosted pages (unchanged in the store, escaped on the
// page). docs/security.md "Hostile input" lists them.
package hostile_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

// backend is a store and a plain connection to the same database, to read
// every table of it behind the store's back.
type backend struct {
	st store.Store
	db *sql.DB
	// tables lists the database's tables.
	tables string
}

func sqliteBackend(t *testing.T) backend {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.db")
	st, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return backend{st: st, db: db, tables: `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`}
}

func mariadbBackend(t *testing.T) backend {
	t.Helper()
	dsn := mysqltest.DSN(t) // skips unless CREDSHARE_MYSQL_DSN is set
	st, err := mysqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return backend{st: st, db: db, tables: `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name`}
}

var backends = map[string]func(t *testing.T) backend{"sqlite": sqliteBackend, "mariadb": mariadbBackend}

// dump reads every row of every table, each row as one string, sorted:
// two dumps are equal when the database holds the same data.
func (b backend) dump(t *testing.T) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows, err := b.db.QueryContext(ctx, b.tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no tables")
	}
	out := map[string][]string{}
	for _, n := range names {
		rs, err := b.db.QueryContext(ctx, "SELECT * FROM "+n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		cols, _ := rs.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		lines := []string{}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&sb, "%s=%q ", cols[i], v)
			}
			lines = append(lines, sb.String())
		}
		if err := rs.Close(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(lines)
		out[n] = lines
	}
	return out
}

// sameDump reports the first difference between two dumps.
func sameDump(t *testing.T, before, after map[string][]string) {
	t.Helper()
	for n, b := range before {
		a := after[n]
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("table %s changed:\nbefore %d rows %.600q\nafter  %d rows %.600q", n, len(b), b, len(a), a)
		}
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			t.Errorf("table %s appeared", n)
		}
	}
}
