package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

func openSQLite(t testing.TB) store.Store {
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// noBatchStore hides the store's BatchWriter: InTx hands fn Repos without it.
type noBatchStore struct{ store.Store }

func (s noBatchStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		return fn(ctx, struct{ store.Repos }{tx})
	})
}

// TestHandleBatchOnEveryStore applies the scenario through HandleBatch on
// memstore, SQLite and MariaDB (and on a store without BatchWriter, the
// per-event fallback): the whole stream twice in one batch (duplicates
// inside it), with an event without id and one that can never be applied
// (a certificate without a learner) in the middle, then the stream again
// in batches of three (duplicates across batches). The two bad events get
// permanent errors of their own, every other event nil, and the final
// state is the scenario's: each award, provider call and published event
// exactly once.
func TestHandleBatchOnEveryStore(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"memstore":    func(t *testing.T) store.Store { return memstore.New() },
		"sqlitestore": func(t *testing.T) store.Store { return openSQLite(t) },
		"mysqlstore":  func(t *testing.T) store.Store { return mysqltest.Open(t) },
		"nobatch":     func(t *testing.T) store.Store { return noBatchStore{memstore.New()} },
	}
	for _, name := range []string{"memstore", "sqlitestore", "mysqlstore", "nobatch"} {
		t.Run(name, func(t *testing.T) { testHandleBatch(t, stores[name](t)) })
	}
}

func testHandleBatch(t *testing.T, st store.Store) {
	ctx := context.Background()
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st),
		Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub})
	noID := passing("", user(9, "l9@example.org"), pyCourse, true, t0)
	noLearner := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
		Course: eventbus.CourseData{CourseKey: pyCourse}, CurrentStatus: "downloadable"})
	noLearner.ID = "no-learner"
	evs := scenario()
	mid := len(evs) / 2
	batch := append(append(append([]eventbus.Event{}, evs[:mid]...), noID, noLearner), evs[mid:]...)
	batch = append(batch, scenario()...)
	errs := p.HandleBatch(ctx, batch)
	if len(errs) != len(batch) {
		t.Fatalf("%d errors for %d events", len(errs), len(batch))
	}
	for i, err := range errs {
		bad := i == mid || i == mid+1
		switch {
		case bad && !retry.IsPermanent(err):
			t.Errorf("event %d (%q): err = %v, want a permanent error", i, batch[i].ID, err)
		case !bad && err != nil:
			t.Errorf("event %d (%s): err = %v", i, batch[i].ID, err)
		}
	}
	// Again, in batches of three: all duplicates.
	again := scenario()
	for len(again) > 0 {
		n := min(3, len(again))
		for i, err := range p.HandleBatch(ctx, again[:n]) {
			if err != nil {
				t.Errorf("replayed event %s: %v", again[i].ID, err)
			}
		}
		again = again[n:]
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	checkScenario(t, st, prov, pub)
	s := p.Stats()
	if want := int64(2*len(evs)) + int64(len(evs)) - s.Applied - s.Ignored; s.Duplicate != want {
		t.Errorf("stats %+v: %d duplicates, want %d", s, s.Duplicate, want)
	}
	if s.Invalid != 2 || s.Failed != 0 {
		t.Errorf("stats %+v: want 2 invalid, 0 failed", s)
	}
}
