package sqlcore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MigrationsTable is the table that records applied schema versions. Its
// name is prefixed so that it cannot clash with a host application's
// migration tool sharing the database.
const MigrationsTable = "credshare_schema_migrations"

// Migration is one schema version: the statements that take the schema from
// the previous version to this one.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// LoadMigrations reads dir of fsys: files named NNNN_name.sql, whose
// statements are separated by lines ending in ";". It returns them ordered
// by version.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must start with a positive version and '_'", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), Statements: splitStatements(string(b))})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// splitStatements splits a script at lines ending in ";" and drops "--"
// comment lines.
func splitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			st := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, st)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// RunMigrations applies the migrations of ms that conn's database lacks.
// The caller holds whatever lock keeps two processes from migrating at once.
// With transactional set (SQLite), each version is applied in its own
// transaction, re-checking under the transaction's lock that no one applied
// it first; otherwise (MySQL, whose DDL commits implicitly) statements must
// be re-runnable (CREATE TABLE IF NOT EXISTS) so that a version interrupted
// halfway can be applied again.
func RunMigrations(ctx context.Context, conn *sql.Conn, ms []Migration, transactional bool) error {
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+MigrationsTable+
		" (version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(64) NOT NULL)"); err != nil {
		return fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	if len(ms) > 0 && len(applied) > 0 {
		if top := slices.Max(applied); top > ms[len(ms)-1].Version {
			return fmt.Errorf("the database schema is at version %d, newer than this code's %d: upgrade credshare", top, ms[len(ms)-1].Version)
		}
	}
	for _, m := range ms {
		if slices.Contains(applied, m.Version) {
			continue
		}
		if err := apply(ctx, conn, m, transactional); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *sql.Conn) ([]int, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM "+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func apply(ctx context.Context, conn *sql.Conn, m Migration, transactional bool) error {
	var ex execer = conn
	var tx *sql.Tx
	if transactional {
		var err error
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		var one int
		err = tx.QueryRowContext(ctx, "SELECT 1 FROM "+MigrationsTable+" WHERE version = ?", m.Version).Scan(&one)
		if err == nil {
			return nil // applied by another process meanwhile
		}
		if err != sql.ErrNoRows {
			return err
		}
		ex = tx
	}
	for i, st := range m.Statements {
		if _, err := ex.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if _, err := ex.ExecContext(ctx, "INSERT INTO "+MigrationsTable+" (version, name, applied_at) VALUES (?, ?, ?)",
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	if tx != nil {
		return tx.Commit()
	}
	return nil
}

// SchemaVersion returns the highest schema version recorded in db; it fails
// when the database was never migrated.
func SchemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM "+MigrationsTable).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}
