package sqlcore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ts scans a stored time: unix microseconds (SQLite), a time.Time (MySQL
// with parseTime) or its text form (MySQL without parseTime). Stored times
// are UTC whatever the driver's location says, so a time.Time's wall clock
// is re-read as UTC.
type ts struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s ts) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	case time.Time:
		if v.IsZero() {
			*s.t = time.Time{}
			return nil
		}
		*s.t = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
	case []byte:
		return s.parse(string(v))
	case string:
		return s.parse(v)
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (s ts) parse(v string) error {
	if v == "" || strings.HasPrefix(v, "0000-00-00") {
		*s.t = time.Time{}
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", v, time.UTC)
	if err != nil {
		return fmt.Errorf("cannot parse stored time %q: %w", v, err)
	}
	*s.t = t
	return nil
}

// raw returns b as a json.RawMessage, nil when empty.
func raw(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// rawArg returns the stored form of a JSON document: NULL when empty.
func rawArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// jsonArg encodes v as JSON for a text column; empty collections are stored
// as NULL.
// nullString stores "" as NULL (a column added after rows existed, whose
// old rows hold NULL).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonArg(v any, empty bool) (any, error) {
	if empty {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// unjson decodes a JSON column into v; NULL leaves v alone.
func unjson(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// insertSQL returns "INSERT INTO table (cols) VALUES (?, …)".
func insertSQL(table string, cols ...string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + placeholders(len(cols)) + ")"
}

// insertIgnore inserts a row unless it conflicts with an existing one, and
// reports whether it was inserted.
func (db *DB) insertIgnore(ctx context.Context, tx q, table string, cols []string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, insertSQL(table, cols...)+db.d.OnConflictIgnore(cols[0]), args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// exists reports whether query (a SELECT 1 …) returns a row.
func exists(ctx context.Context, tx q, query string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect runs query and scans every row with scan.
func collect[T any](ctx context.Context, tx q, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// limit applies the store's paging defaults: 0 means def, capped at max.
func limit(n, def, max int) int {
	if n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}
