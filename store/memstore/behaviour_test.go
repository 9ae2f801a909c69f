package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/google/uuid"
)

// Behaviour specific to memstore, beyond the conformance suite.

func TestStoreUsedInsideItsOwnTx(t *testing.T) {
	s := memstore.New()
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		_, err := s.Learners().Get(ctx, 1) // the Store, not tx: would deadlock
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InTx = %v, want ErrConflict for using the Store inside its transaction", err)
	}
}

func TestReposAfterTxEnds(t *testing.T) {
	s := memstore.New()
	var kept store.Repos
	if err := s.InTx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		kept = tx
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := kept.Learners().Get(t.Context(), 1)
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get on Repos of an ended transaction = %v, want ErrClosed", err)
	}
	// The store itself is not locked by the stray Repos.
	if _, err := s.Learners().Get(t.Context(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get = %v", err)
	}
}

func TestWaitingForTheLockHonoursContext(t *testing.T) {
	s := memstore.New()
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.InTx(context.Background(), func(ctx context.Context, tx store.Repos) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Learners().Get(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context while locked = %v", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.Learners().Get(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get while locked = %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFailedCallInsideTxLeavesTheRestOfTheTx(t *testing.T) {
	s := memstore.New()
	ctx := t.Context()
	err := s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, _, err := tx.Learners().Upsert(ctx, credential.Learner{UserID: 1, Username: "a"}); err != nil {
			return err
		}
		// A refused call (the id is taken) is reported but does not undo
		// the transaction's earlier work, as with a failed SQL statement.
		e := store.Exchange{ID: "x", ExpiresAt: time.Now().Add(time.Hour)}
		if err := tx.Exchanges().Create(ctx, e); err != nil {
			return err
		}
		if err := tx.Exchanges().Create(ctx, e); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second Create = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Learners().Get(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestInputsAreCopied(t *testing.T) {
	s := memstore.New()
	ctx := t.Context()
	a, _ := credential.NewAward(1, credential.Badge(uuid.NewString()), credential.Cause{EventID: "e", EventTime: time.Now()})
	a.Evidence = map[string]string{"grade": "A"}
	a.Providers = []credential.ProviderRef{{Provider: "credly", ExternalID: "x"}}
	if _, _, err := s.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.Evidence["grade"] = "F"
	a.Providers[0].ExternalID = "changed"
	got, _ := s.Awards().GetByUUID(ctx, a.UUID)
	if got.Evidence["grade"] != "A" || got.Providers[0].ExternalID != "x" {
		t.Fatalf("stored award aliases the caller's values: %+v", got)
	}

	payload := []byte(`{"a":1}`)
	id, _, _ := s.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "k", IdempotencyKey: "i", Payload: payload})
	payload[2] = 'b'
	if it, _ := s.Outbox().Get(ctx, id); string(it.Payload) != `{"a":1}` {
		t.Fatalf("stored payload aliases the caller's slice: %s", it.Payload)
	}

	seed := []byte("seed")
	l, _, err := s.StatusLists().Allocate(ctx, "did:x", store.PurposeRevocation, func() store.StatusList {
		return store.StatusList{ID: "l", Size: 8, Seed: seed}
	})
	if err != nil {
		t.Fatal(err)
	}
	seed[0] = 'X'
	l.Seed[1] = 'X'
	if got, _ := s.StatusLists().Get(ctx, "l"); string(got.Seed) != "seed" {
		t.Fatalf("stored seed aliased: %q", got.Seed)
	}
}

func TestWithClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	s := memstore.New(memstore.WithClock(func() time.Time { return at }))
	id, _, err := s.Outbox().Enqueue(t.Context(), store.OutboxItem{Kind: "k", IdempotencyKey: "i"})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := s.Outbox().Get(t.Context(), id)
	want := at.UTC().Truncate(time.Microsecond)
	if !it.CreatedAt.Equal(want) || it.CreatedAt.Location() != time.UTC || !it.NotBefore.Equal(want) {
		t.Fatalf("CreatedAt %v, NotBefore %v; want %v in UTC", it.CreatedAt, it.NotBefore, want)
	}
}

func TestAllocateChecksNewList(t *testing.T) {
	s := memstore.New()
	ctx := t.Context()
	sl := s.StatusLists()
	for _, tc := range []struct {
		name  string
		list  store.StatusList
		field string
	}{
		{"no id", store.StatusList{Size: 8, Seed: []byte("s")}, "status_list.id"},
		{"no seed", store.StatusList{ID: "a", Size: 8}, "status_list.seed"},
		{"no size", store.StatusList{ID: "a", Seed: []byte("s")}, "status_list.size"},
		{"other issuer", store.StatusList{ID: "a", Size: 8, Seed: []byte("s"), Issuer: "did:other"}, "status_list.issuer"},
	} {
		_, _, err := sl.Allocate(ctx, "did:x", store.PurposeRevocation, func() store.StatusList { return tc.list })
		var ve *credential.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: err = %v, want invalid %s", tc.name, err, tc.field)
		}
	}
	_, _, err := sl.Allocate(ctx, "did:x", "colour", func() store.StatusList { return store.StatusList{} })
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown purpose: %v", err)
	}
	// A newList that reuses an existing id is a conflict.
	mk := func() store.StatusList { return store.StatusList{ID: "same", Size: 1, Seed: []byte("s")} }
	if _, _, err := sl.Allocate(ctx, "did:x", store.PurposeRevocation, mk); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sl.Allocate(ctx, "did:x", store.PurposeRevocation, mk); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reused list id: %v", err)
	}
	if lists, _ := sl.List(ctx, ""); len(lists) != 1 {
		t.Fatalf("lists = %d, want 1", len(lists))
	}
}
