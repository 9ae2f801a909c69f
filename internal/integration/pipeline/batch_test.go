package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
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

// countingStore counts InTx calls.
type countingStore struct {
	store.Store
	txs atomic.Int64
}

func (s *countingStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	s.txs.Add(1)
	return s.Store.InTx(ctx, fn)
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

// TestHandleBatchKeepsEachEventsTrace applies, in one batch, the events of
// three learners, each from its own producer trace (traceparent headers),
// the last learner's without one: every event gets its own SpanHandle span,
// a child of its message's trace context (a new trace without one), and the
// outbox rows an event writes carry its span's context, not another
// event's of the batch.
func TestHandleBatchKeepsEachEventsTrace(t *testing.T) {
	ctx := t.Context()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	st := &countingStore{Store: memstore.New()}
	p, _ := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st), TracerProvider: tp,
		Providers: map[string]badge.Provider{"fake": &fakeProvider{}}, Publisher: &recordingPublisher{}})
	traceOf := func(learner int64) string { return fmt.Sprintf("%032x", 0xabc000+learner) }
	var batch []eventbus.Event
	for learner := int64(1); learner <= 3; learner++ {
		for i, course := range []string{pyCourse, dataCourse} {
			e := passing(fmt.Sprintf("tr-%d-%d", learner, i), user(learner, fmt.Sprintf("l%d@example.org", learner)), course, true, t0.Add(time.Duration(i)*time.Minute))
			e.Msg = &eventbus.Message{Transport: "test"}
			if learner < 3 {
				e.Msg.Headers = []eventbus.Header{{Key: "traceparent",
					Value: []byte(fmt.Sprintf("00-%s-%016x-01", traceOf(learner), 0x100+learner*10+int64(i)))}}
			}
			batch = append(batch, e)
		}
	}
	for i, err := range p.HandleBatch(ctx, batch) {
		if err != nil {
			t.Fatalf("event %s: %v", batch[i].ID, err)
		}
	}
	if n := st.txs.Load(); n != 1 {
		t.Errorf("the batch ran %d transactions, want 1", n)
	}
	spans := map[string]sdktrace.ReadOnlySpan{} // by event id
	for _, s := range exp.GetSpans().Snapshots() {
		if s.Name() != pipeline.SpanHandle {
			continue
		}
		for _, a := range s.Attributes() {
			if a.Key == attribute.Key("credshare.event.id") {
				spans[a.Value.AsString()] = s
			}
		}
	}
	for _, e := range batch {
		s, ok := spans[e.ID]
		if !ok {
			t.Fatalf("no %s span for event %s", pipeline.SpanHandle, e.ID)
		}
		if h, ok := e.Msg.Header("traceparent"); ok {
			if got := s.SpanContext().TraceID().String(); !strings.Contains(h, got) {
				t.Errorf("event %s: span in trace %s, want its message's (%s)", e.ID, got, h)
			}
			if got := s.Parent().SpanID().String(); !strings.Contains(h, got) {
				t.Errorf("event %s: span's parent %s, want its message's span (%s)", e.ID, got, h)
			}
		} else if s.Parent().IsValid() {
			t.Errorf("event %s without a traceparent: span has parent %v, want a new trace", e.ID, s.Parent())
		}
	}
	items, err := st.Outbox().Claim(ctx, "check", time.Now().Add(time.Minute), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 12 { // per learner, two badges: the provider's issue calls and badge.awarded
		t.Fatalf("%d outbox rows, want 12", len(items))
	}
	for _, it := range items {
		var learner int64
		for l := int64(1); l <= 3; l++ {
			if strings.Contains(string(it.Payload), fmt.Sprintf("l%d@example.org", l)) {
				learner = l
			}
		}
		// The award is made by one of the learner's two events.
		var want []string
		for i := range 2 {
			if s := spans[fmt.Sprintf("tr-%d-%d", learner, i)]; s != nil {
				want = append(want, fmt.Sprintf("00-%s-%s-01", s.SpanContext().TraceID(), s.SpanContext().SpanID()))
			}
		}
		if len(want) != 2 {
			t.Fatalf("outbox row %s names no learner of the batch", it.IdempotencyKey)
		}
		if it.TraceParent != want[0] && it.TraceParent != want[1] {
			t.Errorf("row %s: trace parent %q, want the span of one of learner %d's events %q", it.IdempotencyKey, it.TraceParent, learner, want)
		}
	}
}

// flakyRules fails the events named in fail (retryably) and panics on panicID.
type flakyRules struct {
	pipeline.RulesApplier
	fail    map[string]bool
	panicID string
}

func (r flakyRules) ApplyRules(ctx context.Context, tx store.Repos, e eventbus.Event, l credential.Learner) ([]pipeline.Transition, error) {
	if r.fail[e.ID] {
		return nil, errors.New("rules backend unavailable")
	}
	if e.ID == r.panicID {
		panic("rules bug")
	}
	return r.RulesApplier.ApplyRules(ctx, tx, e, l)
}

// TestHandleBatchIsolatesAFailingEvent: one event whose rules fail
// retryably and one whose rules panic, in a batch with others: the batch
// transaction is dropped, the events are handled one by one, the failing
// one gets a retryable error (and is not marked processed, so it is
// applied when delivered again), the panicking one a permanent error, and
// every other event is applied once.
func TestHandleBatchIsolatesAFailingEvent(t *testing.T) {
	ctx := t.Context()
	for name, open := range map[string]func(t *testing.T) store.Store{
		"memstore":    func(t *testing.T) store.Store { return memstore.New() },
		"sqlitestore": func(t *testing.T) store.Store { return openSQLite(t) },
		"mysqlstore":  func(t *testing.T) store.Store { return mysqltest.Open(t) },
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			fr := flakyRules{RulesApplier: loadRules(t, st), fail: map[string]bool{"f-2": true}, panicID: "f-4"}
			p, _ := newPipeline(t, st, pipeline.Config{Rules: fr,
				Providers: map[string]badge.Provider{"fake": &fakeProvider{}}, Publisher: &recordingPublisher{}})
			var batch []eventbus.Event
			for i := range 6 {
				batch = append(batch, passing(fmt.Sprintf("f-%d", i), user(int64(i+1), fmt.Sprintf("l%d@example.org", i+1)), pyCourse, true, t0))
			}
			errs := p.HandleBatch(ctx, batch)
			for i, err := range errs {
				switch i {
				case 2:
					if err == nil || retry.IsPermanent(err) {
						t.Errorf("failing event: err = %v, want a retryable error", err)
					}
				case 4:
					var pe *eventbus.PanicError
					if !errors.As(err, &pe) || !retry.IsPermanent(err) {
						t.Errorf("panicking event: err = %v, want a permanent PanicError", err)
					}
				default:
					if err != nil {
						t.Errorf("event %d: %v", i, err)
					}
				}
			}
			for i, e := range batch {
				done, err := st.Events().IsProcessed(ctx, p.Group(), e.ID)
				if err != nil || done != (i != 2 && i != 4) {
					t.Errorf("event %s processed = %v, %v", e.ID, done, err)
				}
			}
			// Delivered again once the rules recover: only f-2 is new.
			delete(fr.fail, "f-2")
			for i, err := range p.HandleBatch(ctx, batch[:4]) {
				if err != nil && i != 4 {
					t.Errorf("redelivered event %d: %v", i, err)
				}
			}
			if s := p.Stats(); s.Applied != 5 || s.Duplicate != 3 {
				t.Errorf("stats %+v, want 5 applied and 3 duplicates", s)
			}
		})
	}
}
