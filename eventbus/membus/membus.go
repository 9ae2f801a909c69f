package membus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/busmetrics"
	"github.com/credshare/credshare/eventbus/internal/bustrace"
	"github.com/credshare/credshare/eventbus/internal/lifecycle"
)

// Config configures a Bus. The zero value is usable.
type Config struct {
	// Partitions is the number of partitions per topic; events with the
	// same key go to the same partition and keep their order. 0 means 4.
	Partitions int
	// TopicPrefix is applied to topic names (eventbus.FullTopic).
	TopicPrefix string
	// RedeliveryDelay is how long a message whose handler returned a
	// retryable error waits before it is delivered again. 0 means 100ms.
	RedeliveryDelay time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Bus is an in-memory event bus with Kafka-like semantics: topics are
// partitioned logs, consumer groups keep one committed offset per
// partition, and a partition is read by one consumer of a group at a time.
// It implements eventbus.Publisher and eventbus.DeadLetterer.
type Bus struct {
	cfg Config

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	topics  map[string]*topic
	closed  bool
	nextID  int
}

type topic struct {
	parts  [][]message
	groups map[string]*group
}

type message struct {
	e      eventbus.Event
	hdrs   []eventbus.Header // trace context of the publisher (traceparent, tracestate)
	at     time.Time
	reason string // dead-letter reason, for DLQ topics
}

type group struct {
	parts   []partState
	members map[int]bool // live consumers
}

type partState struct {
	committed  int64 // next offset to deliver
	holder     int   // consumer id holding the partition, 0 if free
	inFlight   bool  // a message is with a handler
	notBefore  time.Time
	deliveries int // deliveries of the message at committed
}

// New returns an empty bus.
func New(cfg Config) *Bus {
	if cfg.Partitions <= 0 {
		cfg.Partitions = 4
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Bus{cfg: cfg, changed: make(chan struct{}), topics: map[string]*topic{}}
}

func (b *Bus) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *Bus) topicLocked(name string) *topic {
	t, ok := b.topics[name]
	if !ok {
		t = &topic{parts: make([][]message, b.cfg.Partitions), groups: map[string]*group{}}
		b.topics[name] = t
	}
	return t
}

func (b *Bus) partition(e eventbus.Event) int {
	k := e.Key
	if k == "" {
		k = e.ID
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(k))
	return int(h.Sum32() % uint32(b.cfg.Partitions))
}

// Publish appends e to topic (prefix applied). The event is copied, so the
// caller may reuse its data. A missing key is filled from the type's key
// field, a missing spec version with "1.0".
func (b *Bus) Publish(ctx context.Context, topic string, e eventbus.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	e = prepare(e)
	return b.append(eventbus.FullTopic(b.cfg.TopicPrefix, topic), message{e: e, hdrs: bustrace.Headers(ctx), at: b.cfg.Now()})
}

func prepare(e eventbus.Event) eventbus.Event {
	e.Data = cloneMap(e.Data)
	e.Msg = nil
	if e.SpecVersion == "" {
		e.SpecVersion = eventbus.SpecVersion
	}
	if e.Key == "" {
		if info, ok := eventbus.LookupType(e.Type); ok {
			if v, ok := lookup(e.Data, info.KeyField); ok {
				e.Key = fmt.Sprint(v)
			}
		}
	}
	return e
}

func lookup(m map[string]any, path string) (any, bool) {
	return eventbus.Event{Data: m}.Lookup(path)
}

func (b *Bus) append(name string, m message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return eventbus.ErrClosed
	}
	t := b.topicLocked(name)
	p := b.partition(m.e)
	t.parts[p] = append(t.parts[p], m)
	b.notifyLocked()
	return nil
}

// DeadLetter stores e with reason in the dead-letter topic of the topic it
// came from (eventbus.DLQName), or of "unknown" for an event built in memory.
func (b *Bus) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	src := "unknown"
	if e.Msg != nil && e.Msg.Topic != "" {
		src = e.Msg.Topic
	}
	r := "unknown"
	if reason != nil {
		r = reason.Error()
	}
	e.Data = cloneMap(e.Data)
	return b.append(eventbus.DLQName(src), message{e: e, at: b.cfg.Now(), reason: r})
}

// DeadLetterRecord is one message in a dead-letter topic.
type DeadLetterRecord struct {
	// Event is the event as it was handed to the handler; Event.Msg
	// locates the original message.
	Event eventbus.Event
	// Reason is the error that sent it to the dead-letter topic.
	Reason string
	// At is when it was dead-lettered.
	At time.Time
}

// DeadLetters returns the dead-letter records of a (full) topic name, in
// the order they were written per partition.
func (b *Bus) DeadLetters(topicName string) []DeadLetterRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.topics[eventbus.DLQName(topicName)]
	if !ok {
		return nil
	}
	var out []DeadLetterRecord
	for _, p := range t.parts {
		for _, m := range p {
			out = append(out, DeadLetterRecord{Event: m.e, Reason: m.reason, At: m.at})
		}
	}
	return out
}

// Len returns the number of messages in a (full) topic name.
func (b *Bus) Len(topicName string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	if t, ok := b.topics[topicName]; ok {
		for _, p := range t.parts {
			n += len(p)
		}
	}
	return n
}

// Close makes Publish fail with eventbus.ErrClosed and stops every source.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.notifyLocked()
	}
	return nil
}

// SourceConfig configures a Source.
type SourceConfig struct {
	// Group is the consumer group. Required.
	Group string
	// Topics are the base topic names to read (prefix applied). Required.
	Topics []string
	// DeadLetter receives messages whose handler returned a permanent
	// error; default the bus itself.
	DeadLetter eventbus.DeadLetterer
	// MaxInFlight caps concurrent handler calls (one per partition at
	// most); 0 means the number of partitions.
	MaxInFlight int
	// Meter, when set, records the credshare.bus.* metrics (see the
	// package documentation); nil records none.
	Meter metric.Meter
	// TracerProvider, when set, runs each handler call in a
	// "credshare.bus.receive" consumer span, a child of the traceparent
	// the message carries (if any); nil records none (the global provider
	// is never used). The handler can read the message's trace context
	// from the event's Msg.Headers either way.
	TracerProvider trace.TracerProvider
}

// Source is a consumer of a Bus in a consumer group.
type Source struct {
	bus    *Bus
	cfg    SourceConfig
	topics []string
	m      *busmetrics.Recorder // nil without SourceConfig.Meter

	life lifecycle.Guard
}

// NewSource returns a consumer of the bus.
func (b *Bus) NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Group == "" {
		return nil, errors.New("membus: SourceConfig.Group is required")
	}
	if len(cfg.Topics) == 0 {
		return nil, errors.New("membus: SourceConfig.Topics is required")
	}
	if cfg.DeadLetter == nil {
		cfg.DeadLetter = b
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = b.cfg.Partitions * len(cfg.Topics)
	}
	s := &Source{bus: b, cfg: cfg}
	for _, t := range cfg.Topics {
		s.topics = append(s.topics, eventbus.FullTopic(b.cfg.TopicPrefix, t))
	}
	if cfg.Meter != nil {
		m, err := newMetrics(cfg.Meter, s)
		if err != nil {
			return nil, err
		}
		s.m = m
	}
	return s, nil
}

type workItem struct {
	topic string
	part  int
	off   int64
	e     eventbus.Event
}

// Receive implements eventbus.Source.
func (s *Source) Receive(ctx context.Context, h eventbus.Handler) error {
	done, err := s.life.Start("membus")
	if err != nil {
		return err
	}
	defer done()
	if s.cfg.TracerProvider != nil {
		h = bustrace.Wrap(bustrace.Tracer(s.cfg.TracerProvider, "github.com/credshare/credshare/eventbus/membus"), "mem", h)
	}

	b := s.bus
	b.mu.Lock()
	b.nextID++
	me := b.nextID
	for _, name := range s.topics {
		b.topicLocked(name).groupLocked(s.cfg.Group, b.cfg.Partitions).members[me] = true
	}
	b.notifyLocked()
	b.mu.Unlock()

	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		b.mu.Lock()
		for _, name := range s.topics {
			g := b.topicLocked(name).groupLocked(s.cfg.Group, b.cfg.Partitions)
			delete(g.members, me)
			for i := range g.parts {
				if g.parts[i].holder == me {
					g.parts[i].holder = 0
				}
			}
		}
		b.notifyLocked()
		b.mu.Unlock()
	}()

	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil
		}
		inFlight := s.countInFlightLocked(me)
		var items []workItem
		now := b.cfg.Now()
		var wake time.Time
		for _, name := range s.topics {
			t := b.topicLocked(name)
			g := t.groupLocked(s.cfg.Group, b.cfg.Partitions)
			share := (len(g.parts) + len(g.members) - 1) / len(g.members)
			held := 0
			for p := range g.parts {
				if g.parts[p].holder == me {
					held++
				}
			}
			for p := range g.parts {
				// Give back idle partitions beyond our share (rebalance).
				if ps := &g.parts[p]; ps.holder == me && held > share && !ps.inFlight {
					ps.holder = 0
					held--
					b.notifyLocked()
				}
			}
			for p := range g.parts {
				ps := &g.parts[p]
				if ps.holder != me && ps.holder != 0 {
					continue
				}
				if ps.inFlight || ps.committed >= int64(len(t.parts[p])) || inFlight+len(items) >= s.cfg.MaxInFlight {
					continue
				}
				if ps.holder == 0 {
					if held >= share {
						continue
					}
					ps.holder = me
					held++
				}
				if now.Before(ps.notBefore) {
					if wake.IsZero() || ps.notBefore.Before(wake) {
						wake = ps.notBefore
					}
					continue
				}
				ps.inFlight = true
				ps.deliveries++
				m := t.parts[p][ps.committed]
				e := m.e
				e.Data = cloneMap(e.Data)
				e.Msg = &eventbus.Message{Transport: "mem", Topic: name, Partition: int32(p), Offset: ps.committed,
					Timestamp: m.at, Deliveries: ps.deliveries, Headers: slices.Clone(m.hdrs)}
				items = append(items, workItem{topic: name, part: p, off: ps.committed, e: e})
			}
		}
		changed := b.changed
		b.mu.Unlock()

		for _, it := range items {
			inFlight++
			wg.Add(1)
			go func(it workItem) {
				defer wg.Done()
				ack := s.handle(ctx, h, it.e)
				b.mu.Lock()
				g := b.topicLocked(it.topic).groupLocked(s.cfg.Group, b.cfg.Partitions)
				ps := &g.parts[it.part]
				ps.inFlight = false
				if ack && ps.committed == it.off {
					ps.committed++
					ps.deliveries = 0
					ps.notBefore = time.Time{}
				} else if !ack {
					ps.notBefore = b.cfg.Now().Add(b.cfg.RedeliveryDelay)
				}
				b.notifyLocked()
				b.mu.Unlock()
			}(it)
		}
		if len(items) > 0 {
			continue
		}
		var timer *time.Timer
		var tc <-chan time.Time
		if !wake.IsZero() {
			timer = time.NewTimer(time.Until(wake))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (s *Source) countInFlightLocked(me int) int {
	n := 0
	for _, name := range s.topics {
		g := s.bus.topicLocked(name).groupLocked(s.cfg.Group, s.bus.cfg.Partitions)
		for _, ps := range g.parts {
			if ps.holder == me && ps.inFlight {
				n++
			}
		}
	}
	return n
}

// handle runs the handler and says whether the message may be acknowledged.
func (s *Source) handle(ctx context.Context, h eventbus.Handler, e eventbus.Event) (ack bool) {
	err := safeCall(ctx, h, e)
	if err == nil {
		s.m.CountDelivered(ctx, busmetrics.MsgTopic(e))
		return true
	}
	if !retry.IsPermanent(err) {
		return false
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if s.cfg.DeadLetter.DeadLetter(dctx, e, err) != nil {
		return false
	}
	s.m.CountDeadLettered(dctx, busmetrics.MsgTopic(e), err)
	return true
}

func safeCall(ctx context.Context, h eventbus.Handler, e eventbus.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventbus.PanicError{Value: v}
		}
	}()
	return h(ctx, e)
}

// Close stops future Receive calls and the source's lag reports.
func (s *Source) Close() error {
	if s.life.Close() {
		s.m.Close()
	}
	return nil
}

func (t *topic) groupLocked(name string, parts int) *group {
	g, ok := t.groups[name]
	if !ok {
		g = &group{parts: make([]partState, parts), members: map[int]bool{}}
		t.groups[name] = g
	}
	return g
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := slices.Clone(x)
		for i := range out {
			out[i] = cloneValue(out[i])
		}
		return out
	case []byte:
		return slices.Clone(x)
	}
	return v
}
