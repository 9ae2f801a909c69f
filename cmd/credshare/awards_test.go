package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store/sqlitestore"
)

// TestAwardsListShowsRevocationKind: the listing tells a rules revocation
// from a person's, and shows both generations of a re-awarded badge.
func TestAwardsListShowsRevocationKind(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "awards.db")
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	put := func(a credential.Award) {
		t.Helper()
		if _, _, err := st.Awards().Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	a1, _ := credential.NewAward(42, credential.Badge("b-python"), credential.Cause{EventID: "p1", EventTime: at})
	a1.Revoke(credential.Cause{EventID: "f1", EventTime: at.Add(time.Hour), Reason: "penalty fail-py"})
	put(a1)
	a2, err := a1.Reissue(credential.Cause{EventID: "p2", EventTime: at.Add(2 * time.Hour)}, false)
	if err != nil {
		t.Fatal(err)
	}
	put(a2)
	b1, _ := credential.NewAward(42, credential.Badge("b-data"), credential.Cause{EventID: "d1", EventTime: at})
	b1.RevokeBy(credential.Cause{EventTime: at.Add(time.Hour), Reason: "issued in error"}, credential.RevokedByPerson)
	put(b1)
	st.Close()

	out, err := run(t, "--db", "sqlite:"+path, "awards", "--learner", "42")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"revoked (rules)", "revoked (by person)", "awarded", "penalty fail-py", "issued in error", a1.UUID.String(), a2.UUID.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("awards output lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines != 4 {
		t.Errorf("awards printed %d lines, want a header and 3 awards:\n%s", lines, out)
	}
}
