package pipeline_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"time"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/outbox"
)

// The pipeline applies Open edX events to the store; a badge whose every
// group is fulfilled is awarded once, however often the event is delivered.
func ExampleNew() {
	ctx := context.Background()
	st := memstore.New()

	file := `{"templates": [{"name": "Python Pioneer", "provider": "obv3", "state": "active",
	  "uuid": "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e",
	  "requirements": [{"id": "pass", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
	    "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY101+2026"},
	              {"path": "is_passing", "operator": "eq", "value": "true"}]}]}]}`
	ts, err := rules.ReadFile(strings.NewReader(file))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := rules.PutTemplates(ctx, st.Config(), ts); err != nil {
		log.Fatal(err)
	}
	engine, err := pipeline.LoadRules(ctx, st.Config())
	if err != nil {
		log.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: engine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}

	ev := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{
		IsPassing: true,
		Course:    eventbus.CourseData{CourseKey: "course-v1:X+PY101+2026", DisplayName: "Python Basics"},
		User:      eventbus.UserData{ID: 42, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org", Name: "Ada Lovelace"}},
	})
	ev.ID, ev.Time = "5d2c7a0e-0f0b-11f1-8001-0242ac120002", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for range 2 { // the bus delivers it twice
		if err := p.Handle(ctx, ev); err != nil {
			log.Fatal(err)
		}
	}
	a, err := st.Awards().Get(ctx, 42, credential.Badge("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"))
	if err != nil {
		log.Fatal(err)
	}
	s := p.Stats()
	fmt.Println(a.Status, a.Times, a.Awarded.EventID == ev.ID)
	fmt.Println("applied", s.Applied, "duplicate", s.Duplicate, "granted", s.Granted)
	// Output:
	// awarded 1 true
	// applied 1 duplicate 1 granted 1
}

// A Dispatcher runs the outbox: each item's handler is called with the
// item's idempotency key until it succeeds, is rescheduled with backoff, or
// dies with its reason.
func ExampleDispatcher() {
	ctx := context.Background()
	st := memstore.New()
	if _, _, err := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "notify", Target: "mail",
		IdempotencyKey: "notify:award-1", Payload: []byte(`{"to":"ada@example.org"}`)}); err != nil {
		log.Fatal(err)
	}
	d, err := outbox.NewDispatcher(outbox.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	d.Handle("notify", func(ctx context.Context, it store.OutboxItem) error {
		fmt.Printf("sending %s (%s)\n", it.Payload, it.IdempotencyKey)
		return nil
	})
	n, err := d.Drain(ctx)
	if err != nil {
		log.Fatal(err)
	}
	stats, _ := st.Outbox().Stats(ctx)
	fmt.Println("ran", n, "pending", stats.Pending)
	// Output:
	// sending {"to":"ada@example.org"} (notify:award-1)
	// ran 1 pending 0
}

// HandleBatch applies the events a source delivers together in one store
// transaction, with one result per event: a duplicate (here the same event
// twice in the batch) changes nothing and an event that cannot be applied
// gets its own permanent error while the others are applied.
func ExamplePipeline_HandleBatch() {
	ctx := context.Background()
	st := memstore.New()
	p, err := pipeline.New(pipeline.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	cert := func(id string, user int64) eventbus.Event {
		e := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
			Course: eventbus.CourseData{CourseKey: "course-v1:X+PY101+2026", DisplayName: "Python Basics"},
			Mode:   "verified", CurrentStatus: "downloadable",
			User: eventbus.UserData{ID: user, IsActive: true, PII: eventbus.UserPersonalData{Username: fmt.Sprint("u", user)}},
		})
		e.ID, e.Time = id, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		return e
	}
	noLearner := cert("c-3", 0)
	noLearner.Data["user"] = nil
	batch := []eventbus.Event{cert("c-1", 1), cert("c-2", 2), cert("c-1", 1), noLearner}
	// A BatchSource calls p.BatchHandler() the same way:
	//	src.ReceiveBatch(ctx, p.BatchHandler(), eventbus.BatchOptions{MaxEvents: 256, Linger: 2 * time.Millisecond})
	for i, err := range p.HandleBatch(ctx, batch) {
		fmt.Println(batch[i].ID, err == nil)
	}
	s := p.Stats()
	fmt.Println("applied", s.Applied, "duplicate", s.Duplicate, "invalid", s.Invalid, "granted", s.Granted)
	// Output:
	// c-1 true
	// c-2 true
	// c-1 true
	// c-3 false
	// applied 2 duplicate 1 invalid 1 granted 2
}
