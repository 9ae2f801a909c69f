package status_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/verify"
)

// TestVerifierWithOurChecker runs whole-credential verification (vc/verify)
// with the Checker: valid, then revoked once the award is revoked, and
// status-unknown when the list cannot be fetched.
func TestVerifierWithOurChecker(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	c := f.checker(t)
	v, err := verify.New(verify.Config{Status: c}) // lists are read at the fixture clock
	if err != nil {
		t.Fatal(err)
	}
	var entries []vc.StatusEntry
	for i := range f.refs {
		entries = append(entries, f.entry(t, i, vc.V2))
	}
	raw, err := json.Marshal(signedCredential(t, f.iss, vc.V2, entries))
	if err != nil {
		t.Fatal(err)
	}
	cred := raw
	if r := v.VerifyCredential(ctx, cred); r.Verdict != vc.VerdictValid {
		t.Fatalf("fresh credential: %+v", r)
	}
	if err := f.svc.RevokeAward(ctx, f.st, awardOf(f.award)); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(10 * time.Minute) // past the cache and batch windows
	if r := v.VerifyCredential(ctx, cred); r.Verdict != vc.VerdictRevoked || !r.Has(vc.ReasonRevoked) {
		t.Fatalf("revoked credential: %+v", r)
	}
	f.srv.Close()
	c.Flush()
	if r := v.VerifyCredential(ctx, cred); r.Verdict != vc.VerdictStatusUnknown {
		t.Fatalf("unreachable list: %+v", r)
	}
}
