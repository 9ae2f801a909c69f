package status_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

// The Service is what the wallet and the pipeline plug in.
var (
	_ wallet.StatusAllocator = (*status.Service)(nil)
	_ wallet.StatusEntryFunc = (*status.Service)(nil).Entry
	_ pipeline.StatusRevoker = (*status.Service)(nil)
	_ vc.StatusChecker       = (*status.Checker)(nil)
)

const base = "https://creds.example.edu/status"

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]status.Config{
		"no base":     {},
		"http":        {BaseURL: "http://creds.example.edu/status"},
		"relative":    {BaseURL: "/status"},
		"query":       {BaseURL: "https://x.example/s?a=1"},
		"small":       {BaseURL: base, Entries: 1000},
		"bad message": {BaseURL: base, Messages: &status.MessageConfig{StatusSize: 2, Messages: []status.StatusMessage{{Value: 0, Message: "ok"}}}},
	} {
		if _, err := status.New(cfg); !errors.Is(err, status.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := status.New(status.Config{BaseURL: "http://127.0.0.1:8080/status/"}); err != nil {
		t.Errorf("localhost http: %v", err)
	}
}

func TestAllocateGivesDistinctEntriesPerPurpose(t *testing.T) {
	ctx := context.Background()
	st := newMem(t)
	svc := newService(t, base, status.Config{Suspension: true})
	seen := map[store.StatusRef]bool{}
	lists := map[string]string{}
	for range 500 {
		refs := issue(t, st, svc, "did:key:zIssuer", uuid.New())
		if len(refs) != 2 || refs[0].Purpose != status.PurposeRevocation || refs[1].Purpose != status.PurposeSuspension {
			t.Fatalf("refs = %+v", refs)
		}
		for _, r := range refs {
			if seen[r] {
				t.Fatalf("entry %+v handed out twice", r)
			}
			seen[r] = true
			lists[r.Purpose] = r.ListID
		}
	}
	if lists[status.PurposeRevocation] == lists[status.PurposeSuspension] {
		t.Fatal("revocation and suspension share a list")
	}
	fill, err := status.Fill(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fill) != 2 || fill[0].Used != 500 || fill[0].Ratio != 500.0/status.MinEntries {
		t.Fatalf("fill = %+v", fill)
	}
}

func TestRolledBackAllocationIsNotHandedOutTwice(t *testing.T) {
	ctx := context.Background()
	st := newMem(t)
	svc := newService(t, base, status.Config{})
	boom := errors.New("boom")
	var lost store.StatusRef
	err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		refs, err := svc.Allocate(ctx, tx, "did:key:zA")
		if err != nil {
			return err
		}
		lost = refs[0]
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	seen := map[store.StatusRef]int{}
	for range 50 {
		refs := issue(t, st, svc, "did:key:zA", uuid.New())
		seen[refs[0]]++
	}
	for r, n := range seen {
		if n > 1 {
			t.Fatalf("%+v handed out %d times", r, n)
		}
	}
	ls, err := st.StatusLists().List(ctx, "did:key:zA")
	if err != nil || len(ls) != 1 {
		t.Fatalf("lists = %+v, %v", ls, err)
	}
	if ls[0].Next != 50 {
		t.Fatalf("Next = %d after 50 committed allocations and one rolled back (%+v)", ls[0].Next, lost)
	}
}

func TestFullListRollsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a whole list")
	}
	ctx := context.Background()
	st := newMem(t)
	svc := newService(t, base, status.Config{})
	seen := make(map[int]bool, status.MinEntries)
	var first string
	for k := range status.MinEntries {
		var refs []store.StatusRef
		err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) (err error) {
			refs, err = svc.Allocate(ctx, tx, "did:key:zA")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			first = refs[0].ListID
		}
		if refs[0].ListID != first || seen[refs[0].Index] {
			t.Fatalf("allocation %d: %+v", k, refs[0])
		}
		seen[refs[0].Index] = true
	}
	refs, err := svc.Allocate(ctx, st, "did:key:zA")
	if err != nil {
		t.Fatal(err)
	}
	if refs[0].ListID == first {
		t.Fatal("a full list handed out another entry")
	}
	fill, _ := status.Fill(ctx, st, "did:key:zA")
	if len(fill) != 2 || fill[0].Ratio != 1 || fill[1].Used != 1 {
		t.Fatalf("fill = %+v", fill)
	}
}

func TestEntryFormats(t *testing.T) {
	svc := newService(t, base, status.Config{Messages: &status.MessageConfig{StatusSize: 2, Messages: []status.StatusMessage{
		{Value: 0, Message: "valid"}, {Value: 1, Message: "under review"}, {Value: 2, Message: "corrected"}, {Value: 3, Message: "withdrawn"},
	}}})
	ref := store.StatusRef{Purpose: status.PurposeRevocation, ListID: "abc_DEF-1", Index: 42}
	e2, err := svc.Entry(ref, vc.V2)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Type != "BitstringStatusListEntry" || e2.StatusListCredential != base+"/abc_DEF-1" || e2.StatusListIndex != "42" || e2.ID != base+"/abc_DEF-1#42" || e2.StatusPurpose != "revocation" {
		t.Fatalf("VC 2.0 entry = %+v", e2)
	}
	e1, err := svc.Entry(ref, vc.V1)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Type != "StatusList2021Entry" || e1.StatusListCredential != base+"/abc_DEF-1/2021" {
		t.Fatalf("VC 1.1 entry = %+v", e1)
	}
	m := store.StatusRef{Purpose: status.PurposeMessage, ListID: "m", Index: 1}
	em, err := svc.Entry(m, vc.V2)
	if err != nil {
		t.Fatal(err)
	}
	if string(em.Extra["statusSize"]) != "2" || !strings.Contains(string(em.Extra["statusMessage"]), `"status":"0x3","message":"withdrawn"`) {
		t.Fatalf("message entry extra = %s %s", em.Extra["statusSize"], em.Extra["statusMessage"])
	}
	if _, err := svc.Entry(m, vc.V1); !errors.Is(err, status.ErrInvalid) {
		t.Fatal("a message entry on VC 1.1 was accepted")
	}
	for _, bad := range []store.StatusRef{{Purpose: "x", ListID: "a"}, {Purpose: "revocation", ListID: "a/b"}, {Purpose: "revocation", ListID: "a", Index: -1}} {
		if _, err := svc.Entry(bad, vc.V2); !errors.Is(err, status.ErrInvalid) {
			t.Errorf("Entry(%+v) = %v", bad, err)
		}
	}
}

func TestRevokeSuspendAndUnsuspendAnAward(t *testing.T) {
	ctx := context.Background()
	st := newMem(t)
	svc := newService(t, base, status.Config{Suspension: true})
	award, other := uuid.New(), uuid.New()
	a1 := issue(t, st, svc, "did:key:zA", award)
	a2 := issue(t, st, svc, "did:key:zA", award) // a second wallet
	o := issue(t, st, svc, "did:key:zA", other)
	value := func(r store.StatusRef) int {
		es, _, err := st.StatusLists().Entries(ctx, r.ListID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Index == r.Index {
				return e.Value
			}
		}
		return 0
	}
	n, err := svc.SuspendAward(ctx, st, award)
	if err != nil || n != 2 {
		t.Fatalf("SuspendAward = %d, %v", n, err)
	}
	if value(a1[1]) != 1 || value(a2[1]) != 1 || value(o[1]) != 0 || value(a1[0]) != 0 {
		t.Fatal("suspension bits wrong")
	}
	if n, err := svc.UnsuspendAward(ctx, st, award); err != nil || n != 2 || value(a1[1]) != 0 {
		t.Fatalf("UnsuspendAward = %d, %v", n, err)
	}
	aw := credential.Award{UUID: award}
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error { return svc.RevokeAward(ctx, tx, aw) })
	if err != nil {
		t.Fatal(err)
	}
	l, _ := st.StatusLists().Get(ctx, a1[0].ListID)
	// Idempotent: a second revocation changes nothing.
	if err := svc.RevokeAward(ctx, st, aw); err != nil {
		t.Fatal(err)
	}
	l2, _ := st.StatusLists().Get(ctx, a1[0].ListID)
	if value(a1[0]) != 1 || value(a2[0]) != 1 || value(o[0]) != 0 || l2.Version != l.Version {
		t.Fatalf("revocation bits wrong or version moved (%d → %d)", l.Version, l2.Version)
	}
	// A revocation rolled back with its transaction leaves no bit.
	boom := errors.New("boom")
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := svc.RevokeAward(ctx, tx, credential.Award{UUID: other}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || value(o[0]) != 0 {
		t.Fatalf("rolled-back revocation: %v, bit %d", err, value(o[0]))
	}
	if _, err := svc.SetAwardMessage(ctx, st, award, 1); !errors.Is(err, status.ErrInvalid) {
		t.Fatal("SetAwardMessage without a message list")
	}
}
