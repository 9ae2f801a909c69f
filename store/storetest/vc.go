package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func issuanceRecord(award uuid.UUID, created time.Time) store.IssuanceRecord {
	return store.IssuanceRecord{
		ID: uuid.New(), AwardUUID: award, LearnerID: 5, IssuerID: "did:key:z6MkIssuer",
		Wallet: "lcw", Format: "ldp_vc", DataModel: "obv3",
		Challenge: "ch-" + uuid.NewString(), ChallengeExpires: created.Add(10 * time.Minute),
		State: store.IssuancePending, CreatedAt: created,
	}
}

func (s suite) issuance(t *testing.T) {
	t.Run("CreateGetList", s.issuanceCRUD)
	t.Run("ConsumeChallenge", s.issuanceChallenge)
}

func (s suite) issuanceCRUD(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	is := st.Issuance()
	t0 := base()
	award := uuid.New()

	_, err := is.Get(ctx, uuid.New())
	wantErr(t, "Get(missing)", err, store.ErrNotFound)

	var recs []store.IssuanceRecord
	for i := range 3 {
		r := issuanceRecord(award, t0.Add(time.Duration(i)*time.Second))
		must(t, "Create", is.Create(ctx, r))
		recs = append(recs, r)
	}
	otherAward := issuanceRecord(uuid.New(), t0)
	must(t, "Create", is.Create(ctx, otherAward))
	wantErr(t, "Create(same id)", is.Create(ctx, recs[0]), store.ErrConflict)

	got, err := is.Get(ctx, recs[1].ID)
	must(t, "Get", err)
	want := recs[1]
	if got.ID != want.ID || got.AwardUUID != want.AwardUUID || got.LearnerID != 5 || got.IssuerID != want.IssuerID ||
		got.Wallet != "lcw" || got.Format != "ldp_vc" || got.DataModel != "obv3" || got.Challenge != want.Challenge ||
		got.State != store.IssuancePending || !got.ChallengeUsedAt.IsZero() || got.HolderDID != "" || len(got.Status) != 0 {
		t.Fatalf("Get = %+v\nwant %+v", got, want)
	}
	checkTime(t, "ChallengeExpires", got.ChallengeExpires, want.ChallengeExpires)

	list, err := is.ListByAward(ctx, award)
	must(t, "ListByAward", err)
	var ids []uuid.UUID
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []uuid.UUID{recs[0].ID, recs[1].ID, recs[2].ID}) {
		t.Fatalf("ListByAward = %v, want the three records oldest first", ids)
	}
	if list, _ := is.ListByAward(ctx, uuid.New()); len(list) != 0 {
		t.Fatalf("ListByAward(unknown award) = %v", list)
	}

	// MarkIssued.
	status := []store.StatusRef{{Purpose: store.PurposeRevocation, ListID: "l1", Index: 17}, {Purpose: store.PurposeSuspension, ListID: "l2", Index: 4}}
	cred := []byte(`{"id":"urn:uuid:c1","type":["VerifiableCredential"]}`)
	at := t0.Add(time.Minute)
	must(t, "MarkIssued", is.MarkIssued(ctx, recs[1].ID, "did:key:z6MkHolder", status, "urn:uuid:c1", cred, at))
	got, _ = is.Get(ctx, recs[1].ID)
	if got.State != store.IssuanceIssued || got.HolderDID != "did:key:z6MkHolder" || got.CredentialID != "urn:uuid:c1" ||
		!slices.Equal(got.Status, status) || got.Challenge != want.Challenge {
		t.Fatalf("after MarkIssued: %+v", got)
	}
	checkJSON(t, "Credential", got.Credential, cred)
	checkTime(t, "IssuedAt", got.IssuedAt, at)
	status[0].Index = 999 // the stored entries are copies
	if got, _ := is.Get(ctx, recs[1].ID); got.Status[0].Index != 17 {
		t.Fatalf("stored status aliased the caller's slice: %+v", got.Status)
	}
	wantErr(t, "MarkIssued(missing)", is.MarkIssued(ctx, uuid.New(), "did:x", nil, "c", cred, at), store.ErrNotFound)

	// Validation.
	bad := issuanceRecord(award, t0)
	bad.AwardUUID = uuid.Nil
	wantInvalid(t, "Create(no award)", is.Create(ctx, bad), "award")
	bad = issuanceRecord(award, t0)
	bad.IssuerID = ""
	wantInvalid(t, "Create(no issuer)", is.Create(ctx, bad), "issuer")
	bad = issuanceRecord(award, t0)
	bad.Challenge = ""
	wantInvalid(t, "Create(no challenge)", is.Create(ctx, bad), "challenge")
	if list, _ := is.ListByAward(ctx, award); len(list) != 3 {
		t.Fatalf("invalid records were stored: %d", len(list))
	}
}

func (s suite) issuanceChallenge(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	is := st.Issuance()
	t0 := base()
	r := issuanceRecord(uuid.New(), t0)
	must(t, "Create", is.Create(ctx, r))

	_, err := is.ConsumeChallenge(ctx, uuid.New(), r.Challenge, t0)
	wantErr(t, "ConsumeChallenge(unknown id)", err, store.ErrNotFound)
	_, err = is.ConsumeChallenge(ctx, r.ID, "wrong", t0)
	wantErr(t, "ConsumeChallenge(mismatch)", err, store.ErrConflict)
	_, err = is.ConsumeChallenge(ctx, r.ID, r.Challenge, r.ChallengeExpires.Add(time.Second))
	wantErr(t, "ConsumeChallenge(expired)", err, store.ErrConflict)
	if got, _ := is.Get(ctx, r.ID); !got.ChallengeUsedAt.IsZero() {
		t.Fatal("a refused ConsumeChallenge marked the challenge used")
	}

	now := t0.Add(time.Minute)
	got, err := is.ConsumeChallenge(ctx, r.ID, r.Challenge, now)
	if err != nil || got.ID != r.ID || got.AwardUUID != r.AwardUUID {
		t.Fatalf("ConsumeChallenge = %+v, %v", got, err)
	}
	checkTime(t, "ChallengeUsedAt", got.ChallengeUsedAt, now)
	if stored, _ := is.Get(ctx, r.ID); !sameTime(stored.ChallengeUsedAt, now) {
		t.Fatalf("stored ChallengeUsedAt = %v", stored.ChallengeUsedAt)
	}
	_, err = is.ConsumeChallenge(ctx, r.ID, r.Challenge, now)
	wantErr(t, "ConsumeChallenge(used)", err, store.ErrConflict)

	// Eight concurrent consumers: exactly one wins.
	r2 := issuanceRecord(uuid.New(), t0)
	must(t, "Create", is.Create(ctx, r2))
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	var other sync.Map
	for i := range 8 {
		wg.Go(func() {
			_, err := is.ConsumeChallenge(ctx, r2.ID, r2.Challenge, now)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				other.Store(i, err)
			}
		})
	}
	wg.Wait()
	other.Range(func(k, v any) bool { t.Errorf("consumer %v: %v", k, v); return true })
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("concurrent ConsumeChallenge: %d successes, %d conflicts; want 1 and 7", wins.Load(), conflicts.Load())
	}
}

// listMaker returns a newList function making small lists with fresh ids.
func listMaker(prefix string, size, statusSize int) func() store.StatusList {
	var n atomic.Int64
	return func() store.StatusList {
		return store.StatusList{
			ID:         fmt.Sprintf("%s-%d-%s", prefix, n.Add(1), uuid.NewString()[:8]),
			Size:       size,
			StatusSize: statusSize,
			Seed:       []byte("seed-" + uuid.NewString()),
		}
	}
}

func (s suite) statusLists(t *testing.T) {
	t.Run("AllocateRollover", s.listsAllocate)
	t.Run("AllocateRaceInTx", s.listsRace)
	t.Run("AllocateRollback", s.listsRollback)
	t.Run("SetStatus", s.listsSetStatus)
}

const issuer = "did:key:z6MkIssuer"

func (s suite) listsAllocate(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	sl := st.StatusLists()
	newList := listMaker("rev", 50, 1)

	_, err := sl.Get(ctx, "nope")
	wantErr(t, "Get(missing)", err, store.ErrNotFound)
	if lists, err := sl.List(ctx, ""); err != nil || len(lists) != 0 {
		t.Fatalf("List(empty store) = %v, %v", lists, err)
	}

	var first store.StatusList
	for i := range 50 {
		l, ord, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, newList)
		must(t, "Allocate", err)
		if ord != int64(i) || l.Next != ord {
			t.Fatalf("allocation %d: ordinal %d, list Next %d", i, ord, l.Next)
		}
		if i == 0 {
			first = l
			if l.ID == "" || l.Issuer != issuer || l.Purpose != store.PurposeRevocation || l.Size != 50 || l.StatusSize != 1 || len(l.Seed) == 0 {
				t.Fatalf("new list = %+v", l)
			}
			recent(t, "StatusList.CreatedAt", l.CreatedAt)
		} else if l.ID != first.ID {
			t.Fatalf("allocation %d went to list %s before %s was full", i, l.ID, first.ID)
		}
	}
	got, err := sl.Get(ctx, first.ID)
	if err != nil || got.Next != 50 || string(got.Seed) != string(first.Seed) {
		t.Fatalf("Get(full list) = %+v, %v", got, err)
	}
	// Full: the next allocation rolls over to a new list.
	l, ord, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, newList)
	if err != nil || ord != 0 || l.ID == first.ID {
		t.Fatalf("Allocate on a full list = %s/%d, %v; want a new list, ordinal 0", l.ID, ord, err)
	}
	second := l.ID
	// Other purposes and issuers have their own lists.
	ls, ord, err := sl.Allocate(ctx, issuer, store.PurposeSuspension, listMaker("sus", 50, 1))
	if err != nil || ord != 0 || ls.ID == first.ID || ls.ID == second || ls.Purpose != store.PurposeSuspension {
		t.Fatalf("Allocate(suspension) = %+v, %d, %v", ls, ord, err)
	}
	lo, ord, err := sl.Allocate(ctx, "did:web:other.example", store.PurposeRevocation, listMaker("oth", 50, 1))
	if err != nil || ord != 0 || lo.Issuer != "did:web:other.example" {
		t.Fatalf("Allocate(other issuer) = %+v, %d, %v", lo, ord, err)
	}

	lists, err := sl.List(ctx, issuer)
	must(t, "List", err)
	var ids []string
	for _, l := range lists {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, []string{first.ID, second, ls.ID}) {
		t.Fatalf("List(issuer) = %v, want oldest first [%s %s %s]", ids, first.ID, second, ls.ID)
	}
	if all, _ := sl.List(ctx, ""); len(all) != 4 {
		t.Fatalf("List(all issuers) = %d lists, want 4", len(all))
	}
}

// listsRace: 8 goroutines allocate inside transactions; ordinals are
// distinct per list, lists roll over when full, and Next counts them.
func (s suite) listsRace(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	newList := listMaker("race", 50, 1)
	const workers, each = 8, 20
	type slot struct {
		list string
		ord  int64
	}
	var mu sync.Mutex
	seen := map[slot]bool{}
	var dups []slot
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				var got slot
				err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
					l, ord, err := tx.StatusLists().Allocate(ctx, issuer, store.PurposeRevocation, newList)
					got = slot{l.ID, ord}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if seen[got] {
					dups = append(dups, got)
				}
				seen[got] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Allocate: %v", err)
	}
	if len(dups) > 0 {
		t.Fatalf("ordinals handed out twice: %v", dups)
	}
	perList := map[string]int64{}
	for sl := range seen {
		perList[sl.list]++
		if sl.ord < 0 || sl.ord >= 50 {
			t.Fatalf("ordinal %d outside a list of 50", sl.ord)
		}
	}
	if len(perList) != (workers*each+49)/50 {
		t.Fatalf("%d allocations used %d lists, want %d", workers*each, len(perList), (workers*each+49)/50)
	}
	for id, n := range perList {
		l, err := st.StatusLists().Get(ctx, id)
		must(t, "Get", err)
		if l.Next != n {
			t.Fatalf("list %s: Next = %d, %d ordinals handed out", id, l.Next, n)
		}
	}
}

func (s suite) listsRollback(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	sl := st.StatusLists()
	newList := listMaker("rb", 50, 1)
	boom := errors.New("rolled back")

	// A rolled-back transaction that created a list leaves no list.
	err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, _, err := tx.StatusLists().Allocate(ctx, issuer, store.PurposeRevocation, newList); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if lists, _ := sl.List(ctx, issuer); len(lists) != 0 {
		t.Fatalf("rolled-back allocation left lists: %+v", lists)
	}

	l0, o0, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, newList)
	must(t, "Allocate", err)
	var rolled int64 = -1
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		_, o, err := tx.StatusLists().Allocate(ctx, issuer, store.PurposeRevocation, newList)
		rolled = o
		if err != nil {
			return err
		}
		return boom
	})
	if err != boom || rolled != o0+1 {
		t.Fatalf("rolled-back allocation: ordinal %d, %v", rolled, err)
	}
	// The ordinal is given back, and handed out once more, never twice.
	l1, o1, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, newList)
	if err != nil || o1 != rolled || l1.ID != l0.ID {
		t.Fatalf("Allocate after rollback = %s/%d, %v; want %s/%d", l1.ID, o1, err, l0.ID, rolled)
	}
	_, o2, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, newList)
	if err != nil || o2 != o1+1 {
		t.Fatalf("next Allocate = %d, %v; want %d", o2, err, o1+1)
	}
	if l, _ := sl.Get(ctx, l0.ID); l.Next != 3 {
		t.Fatalf("Next = %d after three committed allocations", l.Next)
	}
}

func (s suite) listsSetStatus(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	sl := st.StatusLists()
	l, _, err := sl.Allocate(ctx, issuer, store.PurposeRevocation, listMaker("set", 50, 1))
	must(t, "Allocate", err)
	m, _, err := sl.Allocate(ctx, issuer, store.PurposeMessage, listMaker("msg", 50, 2))
	must(t, "Allocate(message)", err)

	entries, v0, err := sl.Entries(ctx, l.ID)
	if err != nil || len(entries) != 0 {
		t.Fatalf("Entries(new list) = %v, %d, %v", entries, v0, err)
	}
	for _, idx := range []int{30, 4, 49, 0} {
		if changed, err := sl.SetStatus(ctx, l.ID, idx, 1); err != nil || !changed {
			t.Fatalf("SetStatus(%d, 1) = %v, %v", idx, changed, err)
		}
	}
	entries, v1, err := sl.Entries(ctx, l.ID)
	must(t, "Entries", err)
	if want := []store.StatusEntry{{Index: 0, Value: 1}, {Index: 4, Value: 1}, {Index: 30, Value: 1}, {Index: 49, Value: 1}}; !slices.Equal(entries, want) || v1 != v0+4 {
		t.Fatalf("Entries = %v, version %d; want %v, version %d", entries, v1, want, v0+4)
	}
	// Idempotent: the same value again changes nothing, not even the version.
	if changed, err := sl.SetStatus(ctx, l.ID, 4, 1); err != nil || changed {
		t.Fatalf("SetStatus(same value) = %v, %v", changed, err)
	}
	if _, v, _ := sl.Entries(ctx, l.ID); v != v1 {
		t.Fatalf("version moved from %d to %d without a change", v1, v)
	}
	if changed, err := sl.SetStatus(ctx, l.ID, 5, 0); err != nil || changed {
		t.Fatalf("SetStatus(clear a clear entry) = %v, %v", changed, err)
	}
	// Clearing.
	if changed, err := sl.SetStatus(ctx, l.ID, 4, 0); err != nil || !changed {
		t.Fatalf("SetStatus(4, 0) = %v, %v", changed, err)
	}
	entries, v2, _ := sl.Entries(ctx, l.ID)
	if want := []store.StatusEntry{{Index: 0, Value: 1}, {Index: 30, Value: 1}, {Index: 49, Value: 1}}; !slices.Equal(entries, want) || v2 != v1+1 {
		t.Fatalf("after clearing: %v, version %d", entries, v2)
	}
	if got, _ := sl.Get(ctx, l.ID); got.Version != v2 {
		t.Fatalf("Get.Version = %d, Entries version %d", got.Version, v2)
	}

	// Multi-bit message list.
	if changed, err := sl.SetStatus(ctx, m.ID, 7, 3); err != nil || !changed {
		t.Fatalf("SetStatus(message, 3) = %v, %v", changed, err)
	}
	if changed, err := sl.SetStatus(ctx, m.ID, 7, 2); err != nil || !changed {
		t.Fatalf("SetStatus(message, 2) = %v, %v", changed, err)
	}
	if entries, _, _ := sl.Entries(ctx, m.ID); !slices.Equal(entries, []store.StatusEntry{{Index: 7, Value: 2}}) {
		t.Fatalf("message entries = %v", entries)
	}

	// Bad input.
	_, err = sl.SetStatus(ctx, "nope", 1, 1)
	wantErr(t, "SetStatus(unknown list)", err, store.ErrNotFound)
	_, err = sl.SetStatus(ctx, l.ID, 50, 1)
	wantInvalid(t, "SetStatus(index = size)", err, "index")
	_, err = sl.SetStatus(ctx, l.ID, -1, 1)
	wantInvalid(t, "SetStatus(index -1)", err, "index")
	_, err = sl.SetStatus(ctx, l.ID, 1, 2)
	wantInvalid(t, "SetStatus(value 2 on 1 bit)", err, "value")
	_, err = sl.SetStatus(ctx, m.ID, 1, 4)
	wantInvalid(t, "SetStatus(value 4 on 2 bits)", err, "value")
	if _, v, _ := sl.Entries(ctx, l.ID); v != v2 {
		t.Fatalf("refused SetStatus moved the version to %d", v)
	}
}
