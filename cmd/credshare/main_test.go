package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

// run executes the CLI in-process with args and returns stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// hostilePasswords hold every character that broke the old redaction.
var hostilePasswords = []string{"s3cret", "p@ss:word", "a/b?c#d@e:f", "::@@//??##", "pa:ss@w/rd#1?2"}

func TestRedactDB(t *testing.T) {
	for in, want := range map[string]string{
		"mysql:credshare:s3cret@tcp(127.0.0.1:3306)/db": "mysql:credshare@tcp(127.0.0.1:3306)/db",
		"sqlite:/tmp/x.db":     "sqlite:/tmp/x.db",
		"mysql:root@tcp(h)/db": "mysql:root@tcp(h:3306)/db", // the driver adds the default port
		"mem:":                 "mem:",
	} {
		if got := redactDB(in); got != want {
			t.Errorf("redactDB(%q) = %q, want %q", in, got, want)
		}
	}
	for _, pw := range hostilePasswords {
		for _, spec := range []string{
			"mysql:credshare:" + pw + "@tcp(127.0.0.1:1)/credshare?timeout=1s",
			"mysql://credshare:" + pw + "@tcp(127.0.0.1:1)/credshare",
			"postgres://credshare:" + url.QueryEscape(pw) + "@127.0.0.1:1/credshare",
		} {
			if got := redactDB(spec); leaks(got, pw) {
				t.Errorf("redactDB(%q) = %q leaks the password", spec, got)
			}
		}
	}
}

// leaks reports whether s holds any substring of pw of 4 or more bytes
// (or pw itself, when shorter).
func leaks(s, pw string) bool {
	n := min(4, len(pw))
	for i := 0; i+n <= len(pw); i++ {
		if strings.Contains(s, pw[i:i+n]) {
			return true
		}
	}
	return false
}

// TestDBPasswordNeverPrinted: with a MySQL DSN whose password holds
// '@', ':', '/', '?' and '#', a command that fails to open the store
// prints no 4-byte piece of the password on stdout, stderr or in its
// error.
func TestDBPasswordNeverPrinted(t *testing.T) {
	for _, pw := range hostilePasswords {
		root := newRoot()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs([]string{"--db", "mysql:credshare:" + pw + "@tcp(127.0.0.1:1)/credshare?timeout=1s", "deadletter", "list"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := root.ExecuteContext(ctx)
		cancel()
		if err == nil {
			t.Fatalf("%q: opening a store on port 1 succeeded", pw)
		}
		all := out.String() + errOut.String() + err.Error()
		if leaks(all, pw) {
			t.Errorf("password %q leaked:\n%s", pw, all)
		}
	}
}

func TestDeadletterListAndRetry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "badge.issue", Target: "credly", IdempotencyKey: "k1", Payload: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Outbox().Claim(ctx, "w", time.Now(), time.Minute, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %v", items, err)
	}
	if err := st.Outbox().Kill(ctx, id, "w", "401 token expired"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := run(t, "--db", "sqlite:"+db, "deadletter", "list")
	if err != nil || !strings.Contains(out, "401 token expired") || !strings.Contains(out, "credly") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = run(t, "--db", "sqlite:"+db, "--json", "deadletter", "list")
	var listed []store.OutboxItem
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 || listed[0].ID != id {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if _, err := run(t, "--db", "sqlite:"+db, "deadletter", "retry"); err == nil {
		t.Fatal("retry without ids or --all succeeded")
	}
	out, err = run(t, "--db", "sqlite:"+db, "deadletter", "retry", "--all")
	if err != nil || !strings.Contains(out, "re-queued 1") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	out, _ = run(t, "--db", "sqlite:"+db, "deadletter", "list")
	if !strings.Contains(out, "no dead outbox items") {
		t.Fatalf("after retry: %s", out)
	}
}

// TestHelpHidesDBPassword: a password in CREDSHARE_DB is the --db
// default, and --help prints defaults; it must print this one redacted.
func TestHelpHidesDBPassword(t *testing.T) {
	for _, pw := range hostilePasswords {
		t.Setenv("CREDSHARE_DB", "mysql:credshare:"+pw+"@tcp(127.0.0.1:1)/credshare")
		for _, args := range [][]string{{"--help"}, {"deadletter", "--help"}} {
			root := newRoot()
			var out, errOut bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errOut)
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			all := out.String() + errOut.String()
			if !strings.Contains(all, "--db") {
				t.Fatalf("%v printed no --db flag:\n%s", args, all)
			}
			if leaks(all, pw) {
				t.Errorf("%v with password %q leaked:\n%s", args, pw, all)
			}
		}
	}
}
