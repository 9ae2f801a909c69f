package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) exchanges(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ex := st.Exchanges()
	t0 := base()
	e := store.Exchange{ID: "ex-" + uuid.NewString(), Protocol: "vcapi", State: "pending", LearnerID: 5,
		AwardUUID: uuid.New(), Data: []byte(`{"step":1}`), ExpiresAt: t0.Add(15 * time.Minute)}

	_, err := ex.Get(ctx, e.ID, t0)
	wantErr(t, "Get(missing)", err, store.ErrNotFound)
	must(t, "Create", ex.Create(ctx, e))
	wantErr(t, "Create(same id)", ex.Create(ctx, e), store.ErrConflict)

	got, err := ex.Get(ctx, e.ID, t0)
	must(t, "Get", err)
	if got.ID != e.ID || got.Protocol != "vcapi" || got.State != "pending" || got.LearnerID != 5 || got.AwardUUID != e.AwardUUID {
		t.Fatalf("Get = %+v", got)
	}
	checkJSON(t, "Data", got.Data, e.Data)
	checkTime(t, "ExpiresAt", got.ExpiresAt, e.ExpiresAt)
	_, err = ex.Get(ctx, e.ID, e.ExpiresAt.Add(time.Second))
	wantErr(t, "Get(expired)", err, store.ErrNotFound)

	// Transition.
	_, err = ex.Transition(ctx, e.ID, "active", "complete", nil, t0)
	wantErr(t, "Transition(wrong from)", err, store.ErrConflict)
	_, err = ex.Transition(ctx, "nope", "pending", "active", nil, t0)
	wantErr(t, "Transition(unknown)", err, store.ErrNotFound)
	_, err = ex.Transition(ctx, e.ID, "pending", "active", nil, e.ExpiresAt.Add(time.Second))
	wantErr(t, "Transition(expired)", err, store.ErrNotFound)
	got, err = ex.Transition(ctx, e.ID, "pending", "active", nil, t0)
	if err != nil || got.State != "active" || !jsonEqual(got.Data, e.Data) {
		t.Fatalf("Transition(nil data) = %+v, %v; want state active, data kept", got, err)
	}
	got, err = ex.Transition(ctx, e.ID, "active", "complete", []byte(`{"step":2,"vp":"x"}`), t0)
	if err != nil || got.State != "complete" {
		t.Fatalf("Transition(data) = %+v, %v", got, err)
	}
	checkJSON(t, "Data after Transition", got.Data, []byte(`{"step":2,"vp":"x"}`))
	if got, _ := ex.Get(ctx, e.ID, t0); got.State != "complete" || !jsonEqual(got.Data, []byte(`{"step":2,"vp":"x"}`)) {
		t.Fatalf("Get after Transition = %+v", got)
	}

	// Eight concurrent identical transitions: exactly one succeeds.
	e2 := e
	e2.ID = "ex-" + uuid.NewString()
	must(t, "Create", ex.Create(ctx, e2))
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	var other sync.Map
	for i := range 8 {
		wg.Go(func() {
			_, err := ex.Transition(ctx, e2.ID, "pending", "active", []byte(`{"by":1}`), t0)
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
	other.Range(func(k, v any) bool { t.Errorf("transition %v: %v", k, v); return true })
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("concurrent Transition: %d successes, %d conflicts; want 1 and 7", wins.Load(), conflicts.Load())
	}

	// DeleteExpired.
	short := e
	short.ID = "ex-short-" + uuid.NewString()
	short.ExpiresAt = t0.Add(time.Minute)
	must(t, "Create", ex.Create(ctx, short))
	n, err := ex.DeleteExpired(ctx, t0.Add(5*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	_, err = ex.Get(ctx, short.ID, t0)
	wantErr(t, "Get(deleted)", err, store.ErrNotFound)
	if _, err := ex.Get(ctx, e.ID, t0); err != nil {
		t.Fatalf("DeleteExpired removed a live exchange: %v", err)
	}
	// After deletion the id may be used again.
	must(t, "Create(reused id)", ex.Create(ctx, short))
}
