package mysqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
)

// TestMigrationsRerunAfterCrash: a process that died after the ALTER
// TABLE of versions 2 and 3 and before recording them (simulated by
// deleting their rows from the migrations table, and with the revoked_by
// backfill not yet run) leaves a database the next Open migrates again
// without failing on the duplicate columns; the rows are kept, the revoked
// one counts as revoked by the rules. Running the whole set once more
// changes nothing.
func TestMigrationsRerunAfterCrash(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.DSN(t)
	s, err := mysqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	kept, _ := credential.NewAward(7, credential.Badge("b-awarded"), credential.Cause{EventID: "e1", EventTime: at})
	rev, _ := credential.NewAward(7, credential.Badge("b-revoked"), credential.Cause{EventID: "e2", EventTime: at})
	rev.Revoke(credential.Cause{EventID: "e3", EventTime: at.Add(time.Hour), Reason: "penalty"})
	for _, a := range []credential.Award{kept, rev} {
		if _, _, err := s.Awards().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "k", Target: "t", IdempotencyKey: "i1", Payload: []byte(`{}`),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"DELETE FROM credshare_schema_migrations WHERE version IN (2, 3)",
		"UPDATE cs_awards SET revoked_by = ''",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	for round := 1; round <= 2; round++ {
		s, err := mysqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("round %d: Open after the interrupted migrations: %v", round, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != 3 {
			t.Fatalf("round %d: SchemaVersion = %d, %v", round, v, err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("round %d: Migrate again: %v", round, err)
		}
		a, err := s.Awards().GetByUUID(ctx, kept.UUID)
		if err != nil || a.Status != credential.StatusAwarded || a.RevokedBy != "" || a.Gen() != 1 {
			t.Errorf("round %d: awarded row: %+v, %v", round, a, err)
		}
		r, err := s.Awards().GetByUUID(ctx, rev.UUID)
		if err != nil || r.RevokedBy != credential.RevokedByRules || r.Gen() != 1 {
			t.Errorf("round %d: revoked row: %+v, %v", round, r, err)
		}
		s.Close()
	}
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM credshare_schema_migrations").Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("migration rows = %d, %v; want 3", rows, err)
	}
	var tp string
	if err := db.QueryRowContext(ctx, "SELECT trace_parent FROM cs_outbox WHERE idempotency_key = 'i1'").Scan(&tp); err != nil || tp == "" {
		t.Errorf("outbox trace_parent after the re-run: %q, %v", tp, err)
	}
}
