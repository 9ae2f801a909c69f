package obv3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/bits"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/wallet"
)

// testKey is a fixed 32-byte key, so the ids below are the same on every
// run (no statistical test can then flake).
func testKey(n byte) []byte { return bytes.Repeat([]byte{n}, obv3.MinIDKeySize) }

// legacyID is the record id of before keyed ids: a name-based UUID of the
// idempotency key, computable by anyone.
func legacyID(key string) uuid.UUID {
	return uuid.NewSHA1(uuid.MustParse("0b3c5e1a-7d44-4e2b-a1f0-93c6d2e8b417"), []byte(key))
}

// TestRecordIDsAreKeyed: the ids of consecutive awards (the pipeline's
// idempotency key is "issue:<award UUID>") are version 8 UUIDs that match
// no key-less derivation of the award (its UUID, the old name-based id, a
// SHA-1 or SHA-256 of the key), that change wholly with the key, and that
// share with each other no more bits than unrelated random values do.
func TestRecordIDsAreKeyed(t *testing.T) {
	e := newEnv(t)
	other := e.cfg
	other.IDKey = testKey(2)
	p2, err := obv3.New(other)
	if err != nil {
		t.Fatal(err)
	}
	const n = 256
	seen := map[uuid.UUID]bool{}
	var prev uuid.UUID
	for i := range n {
		award := uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-%012x", i)) // consecutive award ids
		key := "issue:" + award.String()
		id := e.p.RecordID(key)
		if id != e.p.RecordID(key) {
			t.Fatal("RecordID is not deterministic: Issue would not be idempotent")
		}
		if id.Version() != 8 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d, variant %v", id, id.Version(), id.Variant())
		}
		sum := sha256.Sum256([]byte(key))
		for _, derived := range []uuid.UUID{award, legacyID(key), uuid.NewSHA1(uuid.NameSpaceURL, []byte(key)), uuid.UUID(sum[:16]), uuid.NewMD5(uuid.Nil, []byte(key))} {
			if id == derived || bytes.Equal(id[:4], derived[:4]) {
				t.Fatalf("id %s of %s matches a key-less derivation %s", id, key, derived)
			}
		}
		if d := hamming(id, p2.RecordID(key)); d < 30 {
			t.Fatalf("another key changed only %d bits of %s", d, id)
		}
		if i > 0 {
			// 122 free bits: unrelated values differ in 61 ± 5.5; these
			// ids are fixed (fixed keys), so the bound cannot flake.
			if d := hamming(id, prev); d < 30 || d > 92 {
				t.Fatalf("ids of consecutive awards %s, %s differ in %d bits", prev, id, d)
			}
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		prev = id
	}
	// The id Issue writes is RecordID's, and is the credential's id.
	res, err := e.p.Issue(context.Background(), badge.IssueRequest{IdempotencyKey: "issue:" + e.award.UUID.String(), AwardUUID: e.award.UUID})
	if err != nil {
		t.Fatal(err)
	}
	if want := "urn:uuid:" + e.p.RecordID("issue:"+e.award.UUID.String()).String(); res.ExternalID != want {
		t.Fatalf("ExternalID %s, want %s", res.ExternalID, want)
	}
}

func hamming(a, b uuid.UUID) int {
	d := 0
	for i := range a {
		d += bits.OnesCount8(a[i] ^ b[i])
	}
	return d
}

// TestIDKeyRotation: with the old key in PreviousIDKeys, a retry across
// a rotation returns the credential already issued; new issues use the new
// key.
func TestIDKeyRotation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	req := badge.IssueRequest{IdempotencyKey: "issue:" + e.award.UUID.String(), AwardUUID: e.award.UUID}
	r1, err := e.p.Issue(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rotated := e.cfg
	rotated.IDKey, rotated.PreviousIDKeys = testKey(3), [][]byte{e.cfg.IDKey}
	p, err := obv3.New(rotated)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := p.Issue(ctx, req)
	if err != nil || r2 != r1 {
		t.Fatalf("retry after rotation = %+v, %v; want %+v", r2, err, r1)
	}
	recs, _ := e.st.Issuance().ListByAward(ctx, e.award.UUID)
	if len(recs) != 1 {
		t.Fatalf("%d records after a retry across a rotation, want 1", len(recs))
	}
	r3, err := p.Issue(ctx, badge.IssueRequest{IdempotencyKey: "reissue:" + e.award.UUID.String(), AwardUUID: e.award.UUID})
	if err != nil || r3.ExternalID != "urn:uuid:"+p.RecordID("reissue:"+e.award.UUID.String()).String() {
		t.Fatalf("new issue after rotation = %+v, %v", r3, err)
	}
}

// TestLegacyRecordFoundAndNotPublic: a record written under the old,
// computable id is still found by a retry (no second credential) and
// PublicRecord refuses it; keyed records and other wallets' are public.
func TestLegacyRecordFoundAndNotPublic(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	key := "issue:" + e.award.UUID.String()
	id := legacyID(key)
	now := time.Now().UTC()
	legacy := store.IssuanceRecord{ID: id, AwardUUID: e.award.UUID, LearnerID: e.award.LearnerID, IssuerID: e.cfg.IssuerID,
		Wallet: obv3.WalletID, Format: "ldp_vc", Challenge: wallet.NewToken(), ChallengeExpires: now,
		State: store.IssuancePending, CredentialID: "urn:uuid:" + id.String(), CreatedAt: now}
	if err := e.st.Issuance().Create(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Issuance().MarkIssued(ctx, id, "", nil, legacy.CredentialID, []byte(`{}`), now); err != nil {
		t.Fatal(err)
	}
	res, err := e.p.Issue(ctx, badge.IssueRequest{IdempotencyKey: key, AwardUUID: e.award.UUID})
	if err != nil || res.ExternalID != legacy.CredentialID {
		t.Fatalf("retry of a legacy issue = %+v, %v", res, err)
	}
	recs, _ := e.st.Issuance().ListByAward(ctx, e.award.UUID)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	if obv3.PublicRecord(recs[0]) {
		t.Error("a record with a computable id is public")
	}
	fresh, err := e.p.Issue(ctx, badge.IssueRequest{IdempotencyKey: "again:" + e.award.UUID.String(), AwardUUID: e.award.UUID})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.st.Issuance().Get(ctx, uuid.MustParse(strings.TrimPrefix(fresh.ExternalID, "urn:uuid:")))
	if err != nil || !obv3.PublicRecord(rec) {
		t.Fatalf("a keyed record is not public: %v", err)
	}
	if !obv3.PublicRecord(store.IssuanceRecord{ID: legacyID("x"), Wallet: "lcw"}) {
		t.Error("another wallet's record is refused")
	}
}

func TestIDKeyRequired(t *testing.T) {
	e := newEnv(t)
	for _, mut := range []func(*obv3.Config){
		func(c *obv3.Config) { c.IDKey = nil },
		func(c *obv3.Config) { c.IDKey = testKey(1)[:31] },
		func(c *obv3.Config) { c.PreviousIDKeys = [][]byte{[]byte("short")} },
	} {
		c := e.cfg
		mut(&c)
		if _, err := obv3.New(c); err == nil {
			t.Errorf("accepted IDKey %d bytes, previous %v", len(c.IDKey), c.PreviousIDKeys)
		}
	}
}
