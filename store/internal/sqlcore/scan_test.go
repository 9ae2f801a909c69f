package sqlcore

import (
	"testing"
	"time"
)

// FuzzStoredTime feeds the time scanner the text a MySQL server without
// parseTime returns: valid times round-trip in UTC, anything else is an
// error, never a panic.
func FuzzStoredTime(f *testing.F) {
	for _, s := range []string{"2026-11-28 23:13:31.123456", "2026-11-28 23:13:31", "0000-00-00 00:00:00", "", "garbage", "2026-13-40 99:99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got time.Time
		if err := (ts{&got}).Scan([]byte(s)); err != nil {
			return
		}
		if got.IsZero() {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q scanned to %v, not UTC", s, got)
		}
		var again time.Time
		if err := (ts{&again}).Scan(got.Format("2006-01-02 15:04:05.999999999")); err != nil || !again.Equal(got) {
			t.Fatalf("%q: %v does not round-trip: %v, %v", s, got, again, err)
		}
	})
}

func TestStoredTimeForms(t *testing.T) {
	want := time.Date(2026, 11, 28, 23, 13, 31, 123456000, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	for _, src := range []any{
		want.UnixMicro(),
		time.Date(2026, 11, 28, 23, 13, 31, 123456000, tokyo), // wall clock as stored, driver's zone
		[]byte("2026-11-28 23:13:31.123456"),
		"2026-11-28 23:13:31.123456",
	} {
		var got time.Time
		if err := (ts{&got}).Scan(src); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Scan(%T %v) = %v, %v; want %v", src, src, got, err, want)
		}
	}
	var got time.Time
	if err := (ts{&got}).Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", got, err)
	}
	if err := (ts{&got}).Scan(3.5); err == nil {
		t.Error("Scan(float) succeeded")
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (\n x INT\n);\n\nCREATE INDEX i ON a (x);\nSELECT 1")
	if len(got) != 3 || got[0] != "CREATE TABLE a (\n x INT\n)" || got[1] != "CREATE INDEX i ON a (x)" || got[2] != "SELECT 1" {
		t.Fatalf("splitStatements = %q", got)
	}
}
