package eventbustest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
)

// Harness gives the suite one fresh topic on the bus under test.
type Harness interface {
	// Publish sends events, in order, to the test topic.
	Publish(ctx context.Context, events ...eventbus.Event) error
	// NewSource returns a new consumer of the test topic in group. Sources
	// made for the same group share the work and the acknowledgements.
	NewSource(ctx context.Context, group string) (eventbus.Source, error)
	// DeadLetters returns what the test topic's dead-letter queue holds.
	DeadLetters(ctx context.Context) ([]DeadLetter, error)
	// PublishPoison sends one message that cannot be decoded into an event
	// (only called when Features.Poison is set).
	PublishPoison(ctx context.Context) error
	// Close releases the harness.
	Close()
}

// DeadLetter is one record of a dead-letter queue, as the suite sees it.
type DeadLetter struct {
	// EventID is the event's id, "" when the message could not be decoded.
	EventID string
	// Reason is the reason stored with the message.
	Reason string
}

// Features declares what an adapter supports.
type Features struct {
	// OrderPerKey: events with the same key are delivered in publish order.
	OrderPerKey bool
	// Poison: the harness can publish undecodable messages.
	Poison bool
	// KeyFromKeyField: the transport carries no message key (Redis
	// Streams); Event.Key is derived from the type's key field, so events
	// of unknown types arrive without one.
	KeyFromKeyField bool
	// Metrics: the harness is a MeteredHarness and its sources record the
	// credshare.bus.* metrics (MetricDelivered, MetricDeadLettered,
	// MetricLag) with the transport attribute Transport.
	Metrics bool
	// Transport is the metrics' transport attribute ("kafka", "redis",
	// "mem"); used with Metrics.
	Transport string
	// Timeout bounds each wait of the suite; 0 means 20s.
	Timeout time.Duration
}

// Run runs the conformance suite; each sub-test gets a fresh harness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness, f Features) {
	if f.Timeout <= 0 {
		f.Timeout = 20 * time.Second
	}
	s := suite{newHarness: newHarness, f: f}
	t.Run("Delivery", s.delivery)
	t.Run("AckSemantics", s.ackSemantics)
	t.Run("RedeliveryAfterConsumerDies", s.redeliveryAfterDeath)
	if f.OrderPerKey {
		t.Run("OrderPerKey", s.orderPerKey)
	}
	t.Run("DeadLetter", s.deadLetter)
	if f.Poison {
		t.Run("PoisonMessage", s.poison)
	}
	t.Run("ConcurrentConsumers", s.concurrent)
	if f.Metrics {
		t.Run("Metrics", func(t *testing.T) {
			t.Run("Counters", s.metricsCounters)
			t.Run("Lag", s.metricsLag)
		})
	}
}

type suite struct {
	newHarness func(t *testing.T) Harness
	f          Features
}

// Events returns n distinct events of known and unknown types, with keys
// cycling over keys (a key field value), for use with a Harness.
func Events(n int, keys ...string) []eventbus.Event {
	if len(keys) == 0 {
		keys = []string{"k0", "k1", "k2"}
	}
	out := make([]eventbus.Event, n)
	for i := range out {
		k := keys[i%len(keys)]
		u := eventbus.UserData{ID: int64(1000 + i), IsActive: true, PII: eventbus.UserPersonalData{Username: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.org", i), Name: "Learner"}}
		var e eventbus.Event
		switch i % 3 {
		case 0:
			e = eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
				User: u, Course: eventbus.CourseData{CourseKey: k, DisplayName: "Course", Start: "2024-01-01T00:00:00+00:00"},
				Mode: "verified", Grade: "0.91", DownloadURL: "https://lms.example.org/cert", Name: "Learner", CurrentStatus: "downloadable", PreviousStatus: "notpassing",
			})
		case 1:
			e = eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: i%2 == 1, Course: eventbus.CourseData{CourseKey: k, DisplayName: "Course"}, User: u})
		default:
			e = eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, eventbus.BadgeData{UUID: k, User: u, Template: eventbus.BadgeTemplateData{UUID: "tmpl", Origin: "openedx", Name: "Star"}})
		}
		e.Key = k
		e.Source = "openedx/lms/web"
		e.SourceHost = "lms.example.org"
		e.SourceLib = "9.15.0"
		e.Time = time.Date(2026, 1, 2, 3, 4, 5, (i+1)*1000, time.UTC)
		out[i] = e
	}
	return out
}

// UnknownType is an event type eventbus has no Go type for; Delivery
// checks that such events arrive with their data as a generic tree.
const UnknownType = "org.openedx.learning.course.enrollment.created.v1"

// UnknownSchema is the Avro schema (openedx-events style) of UnknownEvent's
// data, for adapters that need a schema to publish it.
const UnknownSchema = `{"doc": "Avro Event Format for CloudEvents created with openedx_events/schema", "fields": [{"name": "enrollment", "type": {"fields": [{"name": "mode", "type": "string"}, {"name": "is_active", "type": "boolean"}, {"default": null, "name": "note", "type": ["null", "string"]}], "name": "CourseEnrollmentData", "type": "record"}}], "name": "CloudEvent", "namespace": "org.openedx.learning.course.enrollment.created.v1", "type": "record"}`

// UnknownEvent returns a fresh event of UnknownType.
func UnknownEvent() eventbus.Event {
	e := eventbus.NewEvent(UnknownType, map[string]any{
		"enrollment": map[string]any{"mode": "audit", "is_active": true, "note": nil},
	})
	e.Source = "openedx/lms/web"
	e.SourceHost = "lms.example.org"
	e.SourceLib = "9.15.0"
	e.Key = "enrollment-key"
	return e
}

// collector records what handlers saw.
type collector struct {
	mu     sync.Mutex
	events []eventbus.Event
	count  map[string]int
	change chan struct{}
}

func newCollector() *collector {
	return &collector{count: map[string]int{}, change: make(chan struct{}, 1)}
}

func (c *collector) add(e eventbus.Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.count[e.ID]++
	c.mu.Unlock()
	select {
	case c.change <- struct{}{}:
	default:
	}
}

func (c *collector) seen(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[id]
}

func (c *collector) snapshot() []eventbus.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]eventbus.Event(nil), c.events...)
}

// waitFor waits until cond holds.
func (s suite) waitFor(t *testing.T, c *collector, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(s.f.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", s.f.Timeout, what)
		case <-c.change:
		case <-tick.C:
		}
	}
}

// running is a Receive loop in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
	src    eventbus.Source
}

func start(t *testing.T, src eventbus.Source, h eventbus.Handler) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), src: src}
	go func() { r.done <- src.Receive(ctx, h) }()
	return r
}

// stop cancels Receive, waits for it and closes the source.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Receive returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Receive did not return after its context was cancelled")
	}
	if err := r.src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func (s suite) source(t *testing.T, h Harness, group string) eventbus.Source {
	t.Helper()
	src, err := h.NewSource(context.Background(), group)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	return src
}

func publish(t *testing.T, h Harness, events ...eventbus.Event) {
	t.Helper()
	if err := h.Publish(context.Background(), events...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func sameEvent(t *testing.T, got, want eventbus.Event) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Key != want.Key || got.Source != want.Source ||
		got.SourceHost != want.SourceHost || got.SourceLib != want.SourceLib || got.MinorVersion != want.MinorVersion {
		t.Errorf("attributes differ:\n got %+v\nwant %+v", attrs(got), attrs(want))
	}
	if !got.Time.Equal(want.Time.Truncate(time.Microsecond)) && !got.Time.Equal(want.Time) {
		t.Errorf("event %s: time %v, want %v", want.ID, got.Time, want.Time)
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		t.Errorf("event %s: data differs:\n got %#v\nwant %#v", want.ID, got.Data, want.Data)
	}
	if got.Msg == nil {
		t.Errorf("event %s: no transport metadata (Msg)", want.ID)
	}
}

func attrs(e eventbus.Event) eventbus.Event { e.Data = nil; e.Msg = nil; return e }

func (s suite) delivery(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	want := Events(12)
	want = append(want, UnknownEvent())
	publish(t, h, want...)
	c := newCollector()
	r := start(t, s.source(t, h, "g-delivery"), func(_ context.Context, e eventbus.Event) error { c.add(e); return nil })
	defer r.stop(t)
	s.waitFor(t, c, "all events", func() bool { return len(c.snapshot()) >= len(want) })
	byID := map[string]eventbus.Event{}
	for _, e := range c.snapshot() {
		byID[e.ID] = e
	}
	for _, w := range want {
		got, ok := byID[w.ID]
		if !ok {
			t.Errorf("event %s (%s) not delivered", w.ID, w.Type)
			continue
		}
		if _, known := eventbus.LookupType(w.Type); !known && s.f.KeyFromKeyField {
			w.Key = ""
		}
		sameEvent(t, got, w)
		if info, ok := eventbus.LookupType(w.Type); ok {
			if _, err := typed(got, info.Type); err != nil {
				t.Errorf("typed accessor for %s: %v", w.Type, err)
			}
		}
	}
}

func typed(e eventbus.Event, typ string) (any, error) {
	switch typ {
	case eventbus.TypeCertificateCreated:
		return e.Certificate()
	case eventbus.TypeCoursePassingStatusUpdated:
		return e.CoursePassingStatus()
	case eventbus.TypeBadgeAwarded:
		return e.Badge()
	}
	return nil, nil
}

// marker publishes a fresh event and waits until c saw it: everything the
// source was going to deliver before it has been delivered by then.
func (s suite) marker(t *testing.T, h Harness, c *collector) {
	t.Helper()
	m := Events(1, "marker")[0]
	publish(t, h, m)
	s.waitFor(t, c, "the marker event", func() bool { return c.seen(m.ID) > 0 })
}

func (s suite) ackSemantics(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	events := Events(6)
	publish(t, h, events...)
	failing := events[2].ID
	c := newCollector()
	var mu sync.Mutex
	failed := 0
	r := start(t, s.source(t, h, "g-ack"), func(_ context.Context, e eventbus.Event) error {
		c.add(e)
		mu.Lock()
		defer mu.Unlock()
		if e.ID == failing && failed < 2 {
			failed++
			return errors.New("transient failure")
		}
		return nil
	})
	s.waitFor(t, c, "the failing event to be redelivered and all events handled", func() bool {
		if c.seen(failing) < 3 {
			return false
		}
		for _, e := range events {
			if c.seen(e.ID) == 0 {
				return false
			}
		}
		return true
	})
	s.marker(t, h, c)
	r.stop(t)
	for _, e := range events {
		if e.ID != failing && c.seen(e.ID) != 1 {
			t.Errorf("event %s handled %d times, want 1", e.ID, c.seen(e.ID))
		}
	}
	// A new consumer of the group must see nothing that was acknowledged.
	c2 := newCollector()
	r2 := start(t, s.source(t, h, "g-ack"), func(_ context.Context, e eventbus.Event) error { c2.add(e); return nil })
	s.marker(t, h, c2)
	r2.stop(t)
	if got := c2.snapshot(); len(got) != 1 {
		t.Errorf("restarted consumer received %d events, want only the marker: %v", len(got), ids(got))
	}
}

func ids(es []eventbus.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func (s suite) redeliveryAfterDeath(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	events := Events(6, "same-key")
	publish(t, h, events...)
	victim := events[3].ID
	c := newCollector()
	blocked := make(chan struct{})
	var once sync.Once
	r := start(t, s.source(t, h, "g-death"), func(ctx context.Context, e eventbus.Event) error {
		if e.ID == victim {
			once.Do(func() { close(blocked) })
			<-ctx.Done() // the consumer dies while holding this message
			return ctx.Err()
		}
		c.add(e)
		return nil
	})
	select {
	case <-blocked:
	case <-time.After(s.f.Timeout):
		t.Fatal("the victim event never reached the first consumer")
	}
	r.stop(t)
	if c.seen(victim) != 0 {
		t.Fatal("victim was recorded by the dying consumer")
	}
	c2 := newCollector()
	r2 := start(t, s.source(t, h, "g-death"), func(_ context.Context, e eventbus.Event) error { c2.add(e); return nil })
	s.waitFor(t, c2, "the unacknowledged event on the next consumer", func() bool {
		for _, e := range events[3:] {
			if c2.seen(e.ID) == 0 {
				return false
			}
		}
		return true
	})
	s.marker(t, h, c2)
	r2.stop(t)
	for _, e := range events[:3] {
		if n := c.seen(e.ID) + c2.seen(e.ID); n != 1 {
			t.Errorf("acknowledged event %s handled %d times in total, want 1", e.ID, n)
		}
	}
	for _, e := range events[3:] {
		if n := c2.seen(e.ID); n != 1 {
			t.Errorf("event %s handled %d times by the second consumer, want 1", e.ID, n)
		}
	}
}

func (s suite) orderPerKey(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	events := Events(30, "a", "b", "c")
	publish(t, h, events...)
	c := newCollector()
	r := start(t, s.source(t, h, "g-order"), func(_ context.Context, e eventbus.Event) error { c.add(e); return nil })
	s.waitFor(t, c, "all events", func() bool { return len(c.snapshot()) >= len(events) })
	r.stop(t)
	pos := map[string]int{}
	for i, e := range events {
		pos[e.ID] = i
	}
	last := map[string]int{}
	for _, e := range c.snapshot() {
		p := pos[e.ID]
		if prev, ok := last[e.Key]; ok && p < prev {
			t.Errorf("key %s: event #%d delivered after #%d", e.Key, p, prev)
		}
		last[e.Key] = p
	}
}

func (s suite) deadLetter(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	events := Events(5)
	publish(t, h, events...)
	bad := events[1].ID
	c := newCollector()
	r := start(t, s.source(t, h, "g-dlq"), func(_ context.Context, e eventbus.Event) error {
		c.add(e)
		if e.ID == bad {
			return retry.Permanent(errors.New("template 42 does not exist"))
		}
		return nil
	})
	s.waitFor(t, c, "all events", func() bool {
		for _, e := range events {
			if c.seen(e.ID) == 0 {
				return false
			}
		}
		return true
	})
	s.marker(t, h, c)
	r.stop(t)
	if n := c.seen(bad); n != 1 {
		t.Errorf("permanently failing event handled %d times, want 1", n)
	}
	s.expectDeadLetter(t, h, bad, "template 42 does not exist")
	c2 := newCollector()
	r2 := start(t, s.source(t, h, "g-dlq"), func(_ context.Context, e eventbus.Event) error { c2.add(e); return nil })
	s.marker(t, h, c2)
	r2.stop(t)
	if c2.seen(bad) != 0 {
		t.Error("dead-lettered event was delivered again: it was not acknowledged")
	}
}

func (s suite) expectDeadLetter(t *testing.T, h Harness, id, reason string) {
	t.Helper()
	deadline := time.Now().Add(s.f.Timeout)
	for {
		dls, err := h.DeadLetters(context.Background())
		if err != nil {
			t.Fatalf("DeadLetters: %v", err)
		}
		for _, d := range dls {
			if d.EventID == id && strings.Contains(d.Reason, reason) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter for %q with reason %q; have %+v", id, reason, dls)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s suite) poison(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	if err := h.PublishPoison(context.Background()); err != nil {
		t.Fatalf("PublishPoison: %v", err)
	}
	good := Events(2)
	publish(t, h, good...)
	c := newCollector()
	r := start(t, s.source(t, h, "g-poison"), func(_ context.Context, e eventbus.Event) error { c.add(e); return nil })
	s.waitFor(t, c, "the events after the poison message", func() bool { return c.seen(good[0].ID) > 0 && c.seen(good[1].ID) > 0 })
	r.stop(t)
	dls, err := h.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) == 0 || dls[0].Reason == "" {
		t.Fatalf("poison message not dead-lettered with a reason: %+v", dls)
	}
}

func (s suite) concurrent(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	events := Events(40, "a", "b", "c", "d", "e", "f", "g", "h")
	c := newCollector()
	var mu sync.Mutex
	per := map[int]int{}
	inHandler := map[string]bool{}
	mk := func(n int) eventbus.Handler {
		return func(_ context.Context, e eventbus.Event) error {
			mu.Lock()
			if inHandler[e.ID] {
				mu.Unlock()
				t.Errorf("event %s handled by two consumers at once", e.ID)
				return nil
			}
			inHandler[e.ID] = true
			per[n]++
			mu.Unlock()
			time.Sleep(5 * time.Millisecond) // let the other consumer join and take a share
			c.add(e)
			mu.Lock()
			inHandler[e.ID] = false
			mu.Unlock()
			return nil
		}
	}
	r1 := start(t, s.source(t, h, "g-conc"), mk(1))
	r2 := start(t, s.source(t, h, "g-conc"), mk(2))
	publish(t, h, events...)
	s.waitFor(t, c, "all events", func() bool {
		for _, e := range events {
			if c.seen(e.ID) == 0 {
				return false
			}
		}
		return true
	})
	r1.stop(t)
	r2.stop(t)
	dup := 0
	for _, e := range events {
		if c.seen(e.ID) > 1 {
			dup++
		}
	}
	mu.Lock()
	t.Logf("consumer 1 handled %d, consumer 2 handled %d, %d events more than once (allowed during a rebalance)", per[1], per[2], dup)
	mu.Unlock()
}
