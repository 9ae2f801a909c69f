package sqlitestore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

// TestUpgradeVersion1WithRows: a database at schema version 1 holding an
// awarded and a revoked award (written as version 1 wrote them) is
// brought to the current version by Open; the rows are kept, the revoked
// one counts as revoked by the rules, both are generation 1, and the
// upgraded store accepts a second generation of the revoked achievement.
func TestUpgradeVersion1WithRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	raw := openRaw(t, path)
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(string(v1)); err != nil {
		t.Fatalf("version 1 schema: %v", err)
	}
	if _, err := raw.Exec(`CREATE TABLE credshare_schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(64) NOT NULL);
		INSERT INTO credshare_schema_migrations VALUES (1, '0001_init', '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	awarded, revoked := uuid.New(), uuid.New()
	ins := `INSERT INTO cs_awards (uuid, learner_id, kind, achievement_id, status, awarded_at, awarded_event_id, awarded_event_time,
		awarded_reason, revoked_at, revoked_event_id, revoked_event_time, revoked_reason, evidence, providers, times, updated_at)
		VALUES (?, 7, 'badge', ?, ?, ?, ?, ?, '', ?, ?, ?, ?, NULL, NULL, 1, ?)`
	if _, err := raw.Exec(ins, awarded.String(), "b-awarded", "awarded", at.UnixMicro(), "e1", at.UnixMicro(), nil, "", nil, "", at.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(ins, revoked.String(), "b-revoked", "revoked", at.UnixMicro(), "e2", at.UnixMicro(),
		at.Add(time.Hour).UnixMicro(), "e3", at.Add(time.Hour).UnixMicro(), "penalty fail-py", at.Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 3 {
		t.Fatalf("SchemaVersion = %d, %v; want 3", v, err)
	}
	a, err := s.Awards().GetByUUID(ctx, awarded)
	if err != nil || a.Status != credential.StatusAwarded || a.RevokedBy != "" || a.Generation != 1 || a.Awarded.EventID != "e1" || !a.AwardedAt.Equal(at) {
		t.Errorf("awarded row after the upgrade: %+v, %v", a, err)
	}
	r, err := s.Awards().GetByUUID(ctx, revoked)
	if err != nil || r.Status != credential.StatusRevoked || r.RevokedBy != credential.RevokedByRules || r.Generation != 1 ||
		r.Revoked.Reason != "penalty fail-py" || !r.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("revoked row after the upgrade: %+v, %v", r, err)
	}
	n, err := r.Reissue(credential.Cause{EventID: "e4", EventTime: at.Add(2 * time.Hour)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Awards().Put(ctx, n); err != nil {
		t.Fatalf("a second generation in the upgraded store: %v", err)
	}
	all, err := s.Awards().List(ctx, store.AwardFilter{LearnerID: 7})
	if err != nil || len(all) != 3 {
		t.Errorf("List = %d awards, %v; want 3", len(all), err)
	}
}
