package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/busmetrics"
	"github.com/credshare/credshare/eventbus/internal/bustrace"
	"github.com/credshare/credshare/eventbus/internal/lifecycle"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
)

// SourceConfig configures a Source.
type SourceConfig struct {
	// Client holds brokers, TLS, SASL and the topic prefix.
	Client ClientConfig
	// Registry is the schema registry writer schemas are fetched from.
	Registry RegistryConfig
	// Group is the consumer group (Open edX's consume_events -g). Required.
	Group string
	// Topics are the base topics to consume (prefix applied). Required.
	Topics []string
	// DeadLetter receives poison messages and events whose handler failed
	// permanently. Default: a Publisher on the same cluster writing to
	// eventbus.DLQName(<full topic>), with the original key, value and
	// headers plus dlq_* headers carrying the reason and origin.
	DeadLetter eventbus.DeadLetterer
	// MaxValueBytes: larger values are dead-lettered without being decoded.
	// 0 means 1 MiB (Kafka's default message size limit).
	MaxValueBytes int
	// RetryBackoff is the pause before a message whose handler returned a
	// retryable error is delivered again; its partition waits meanwhile
	// (order is kept). 0 means 1s.
	RetryBackoff time.Duration
	// ReplayFrom, when set, starts every partition this source is assigned
	// at the first message at or after this time instead of the group's
	// committed offset (Open edX's offset_time replay). Apply it with a
	// single consumer of the group; it is used once per partition.
	ReplayFrom time.Time
	// FetchMaxWait is how long a fetch waits for data; 0 means 500ms.
	FetchMaxWait time.Duration
	// MaxPollRecords bounds the records handled per poll; 0 means 1000. A
	// rebalance waits for the current poll's records, so with slow
	// handlers a smaller value hands partitions over sooner.
	MaxPollRecords int
	// Logger receives poison-message and commit-failure lines; default
	// slog.Default().
	Logger *slog.Logger
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

// Source consumes Open edX events from Kafka in a consumer group.
//
// Offsets are committed only for messages whose handler returned nil or
// that were dead-lettered, after each poll and again when partitions are
// revoked in a rebalance. Partitions are handled in parallel, each one in
// order. A retryable handler error pauses the partition and delivers the
// same message again after RetryBackoff.
type Source struct {
	cfg   SourceConfig
	cl    *kgo.Client
	reg   *registry
	codec *oeavro.Codec
	dlq   eventbus.DeadLetterer
	ownDL *Publisher
	log   *slog.Logger
	m     *metrics // nil without SourceConfig.Meter

	life     lifecycle.Guard
	mu       sync.Mutex
	blocked  map[tp]int64     // partition waiting for redelivery of this offset
	resumeAt map[tp]time.Time // paused partition → when to resume
	replayed map[tp]bool
}

type tp struct {
	topic string
	part  int32
}

var _ eventbus.BatchSource = (*Source)(nil)

// NewSource connects a consumer. It does not join the group until Receive.
func NewSource(cfg SourceConfig) (*Source, error) {
	if err := cfg.Client.validate(); err != nil {
		return nil, err
	}
	if cfg.Group == "" {
		return nil, errors.New("kafkabus: SourceConfig.Group is required")
	}
	if len(cfg.Topics) == 0 {
		return nil, errors.New("kafkabus: SourceConfig.Topics is required")
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = 1 << 20
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.FetchMaxWait <= 0 {
		cfg.FetchMaxWait = 500 * time.Millisecond
	}
	if cfg.MaxPollRecords <= 0 {
		cfg.MaxPollRecords = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rc, err := cfg.Registry.client()
	if err != nil {
		return nil, err
	}
	s := &Source{
		cfg: cfg, reg: newRegistry(rc), codec: oeavro.NewCodec(cfg.MaxValueBytes), log: cfg.Logger,
		blocked: map[tp]int64{}, resumeAt: map[tp]time.Time{}, replayed: map[tp]bool{},
	}
	topics := make([]string, len(cfg.Topics))
	for i, t := range cfg.Topics {
		topics[i] = cfg.Client.fullTopic(t)
	}
	opts := append(cfg.Client.opts(),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(topics...),
		kgo.AutoCommitMarks(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(cfg.FetchMaxWait),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	)
	if !cfg.ReplayFrom.IsZero() {
		opts = append(opts, kgo.AdjustFetchOffsetsFn(s.adjustForReplay))
	}
	if cfg.Meter != nil {
		if s.m, err = newMetrics(cfg.Meter, cfg.Group); err != nil {
			return nil, err
		}
		opts = append(opts, kgo.OnPartitionsAssigned(s.m.onAssigned))
	}
	opts = append(opts, cfg.Client.Opts...)
	s.cl, err = kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkabus: %w", err)
	}
	s.dlq = cfg.DeadLetter
	if s.dlq == nil {
		s.ownDL, err = NewPublisher(PublisherConfig{Client: cfg.Client, Registry: RegistryConfig{Client: rc}, Group: cfg.Group})
		if err != nil {
			s.cl.Close()
			return nil, err
		}
		s.dlq = s.ownDL
	}
	if err := s.m.start(s); err != nil {
		s.cl.Close()
		if s.ownDL != nil {
			_ = s.ownDL.Close()
		}
		return nil, err
	}
	return s, nil
}

// adjustForReplay moves partitions to ReplayFrom the first time they are
// assigned to this source.
func (s *Source) adjustForReplay(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.cfg.ReplayFrom.UnixMilli()
	for t, parts := range offsets {
		for p := range parts {
			k := tp{t, p}
			if !s.replayed[k] {
				s.replayed[k] = true
				parts[p] = kgo.NewOffset().AfterMilli(ms)
			}
		}
	}
	return offsets, nil
}

// onRevoked commits what was handled (normally already committed after
// each poll) and forgets the partitions' retry state.
func (s *Source) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		s.log.Warn("kafkabus: commit on revoke failed", "group", s.cfg.Group, "err", err)
	}
	s.forget(cl, revoked)
}

func (s *Source) onLost(_ context.Context, cl *kgo.Client, lost map[string][]int32) {
	s.forget(cl, lost)
}

func (s *Source) forget(cl *kgo.Client, parts map[string][]int32) {
	s.mu.Lock()
	for t, ps := range parts {
		for _, p := range ps {
			delete(s.blocked, tp{t, p})
			delete(s.resumeAt, tp{t, p})
		}
	}
	s.mu.Unlock()
	s.m.forget(parts)
	cl.ResumeFetchPartitions(parts)
}

// Receive implements eventbus.Source.
func (s *Source) Receive(ctx context.Context, h eventbus.Handler) error {
	if s.cfg.TracerProvider != nil {
		h = bustrace.Wrap(bustrace.Tracer(s.cfg.TracerProvider, "github.com/credshare/credshare/eventbus/kafkabus"), "kafka", h)
	}
	return s.receive(ctx, s.cfg.MaxPollRecords, 0, func(ctx context.Context, recs []*kgo.Record) {
		for _, r := range recs {
			if ctx.Err() != nil || !s.process(ctx, h, r) {
				if ctx.Err() == nil {
					s.retryLater(r)
				}
				return
			}
			s.cl.MarkCommitRecords(r)
			s.m.handled(r)
		}
	})
}

// ReceiveBatch implements eventbus.BatchSource: each poll's records of one
// partition go to h in batches of at most opts.MaxEvents (a poll takes up
// to MaxPollRecords, then waits at most opts.Linger for more when it got
// fewer than MaxEvents). After h returns, the batch's records are
// acknowledged in order up to the first one whose event got a retryable
// error (its partition then waits RetryBackoff and is delivered again from
// that record); events with permanent errors, and undecodable records, are
// dead-lettered first. Records after a retryable one are delivered again
// even if h applied them, which a handler that records processed events
// (credential/pipeline) ignores. SourceConfig.TracerProvider's receive
// spans are not recorded in batch mode; the handler reads each event's
// trace context from its Msg.Headers.
func (s *Source) ReceiveBatch(ctx context.Context, h eventbus.BatchHandler, opts eventbus.BatchOptions) error {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 256
	}
	return s.receive(ctx, max(s.cfg.MaxPollRecords, opts.MaxEvents), opts.Linger, func(ctx context.Context, recs []*kgo.Record) {
		for len(recs) > 0 && ctx.Err() == nil {
			n := min(len(recs), opts.MaxEvents)
			done := s.processBatch(ctx, h, recs[:n])
			if done < n {
				if ctx.Err() == nil {
					s.retryLater(recs[done])
				}
				return
			}
			recs = recs[n:]
		}
	})
}

// processBatch decodes recs, hands the decodable ones (up to the first
// record that cannot be decoded yet) to h, dead-letters what must be, and
// marks the records that may be committed; it returns how many, from the
// start of recs, were.
func (s *Source) processBatch(ctx context.Context, h eventbus.BatchHandler, recs []*kgo.Record) int {
	evs := make([]eventbus.Event, 0, len(recs))
	decErr := make([]error, len(recs))
	for i, r := range recs {
		e, err := s.decode(ctx, r)
		if err != nil && !retry.IsPermanent(err) {
			s.log.Warn("kafkabus: cannot decode yet; will retry", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			recs = recs[:i]
			break
		}
		decErr[i] = err
		if err == nil {
			evs = append(evs, e)
		} else {
			s.log.Warn("kafkabus: poison message", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			evs = append(evs, e) // kept for the dead-letter queue, not handed to h
		}
	}
	var handled []eventbus.Event
	for i, e := range evs {
		if decErr[i] == nil {
			handled = append(handled, e)
		}
	}
	herrs := callBatch(ctx, h, handled)
	k := 0
	for i, r := range recs {
		e, err := evs[i], decErr[i]
		if err == nil {
			err = herrs[k]
			k++
			if err == nil {
				s.m.recorder().CountDelivered(ctx, r.Topic)
			} else if !retry.IsPermanent(err) {
				return i
			}
		}
		if err != nil && !s.deadLetter(ctx, e, err) {
			return i
		}
		s.cl.MarkCommitRecords(r)
		s.m.handled(r)
	}
	return len(recs)
}

// callBatch runs h, turning a panic or a wrong number of results into a
// permanent error for every event.
func callBatch(ctx context.Context, h eventbus.BatchHandler, es []eventbus.Event) (errs []error) {
	if len(es) == 0 {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			errs = make([]error, len(es))
			for i := range errs {
				errs[i] = &eventbus.PanicError{Value: v}
			}
		}
	}()
	errs = h(ctx, es)
	if len(errs) != len(es) {
		panic(fmt.Sprintf("kafkabus: batch handler returned %d errors for %d events", len(errs), len(es)))
	}
	return errs
}

// receive polls until ctx is done and hands each partition's records, in
// order, to run (partitions in parallel).
func (s *Source) receive(ctx context.Context, maxRecords int, linger time.Duration, run func(ctx context.Context, recs []*kgo.Record)) error {
	done, err := s.life.Start("kafkabus")
	if err != nil {
		return err
	}
	defer done()
	for ctx.Err() == nil {
		wait := s.resumeDue()
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := s.cl.PollRecords(pctx, maxRecords)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		if n := fetches.NumRecords(); linger > 0 && n > 0 && n < maxRecords {
			lctx, cancel := context.WithTimeout(ctx, linger)
			more := s.cl.PollRecords(lctx, maxRecords-n)
			cancel()
			fetches = append(fetches, more...)
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				s.log.Warn("kafkabus: fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		s.handleFetches(ctx, fetches, run)
		s.cl.AllowRebalance()
	}
	return nil
}

// resumeDue resumes paused partitions whose backoff is over and returns how
// long the next poll may wait.
func (s *Source) resumeDue() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	wait := time.Second
	resume := map[string][]int32{}
	for k, at := range s.resumeAt {
		if !now.Before(at) {
			resume[k.topic] = append(resume[k.topic], k.part)
			delete(s.resumeAt, k)
		} else if d := at.Sub(now); d < wait {
			wait = d
		}
	}
	if len(resume) > 0 {
		s.cl.ResumeFetchPartitions(resume)
	}
	if wait < time.Millisecond {
		wait = time.Millisecond
	}
	return wait
}

func (s *Source) handleFetches(ctx context.Context, fetches kgo.Fetches, run func(ctx context.Context, recs []*kgo.Record)) {
	byPart := map[tp][]*kgo.Record{}
	var order []tp
	s.mu.Lock()
	fetches.EachRecord(func(r *kgo.Record) {
		k := tp{r.Topic, r.Partition}
		if off, ok := s.blocked[k]; ok {
			if r.Offset != off {
				return // stale record fetched before the partition was rewound
			}
			delete(s.blocked, k)
		}
		if _, ok := byPart[k]; !ok {
			order = append(order, k)
		}
		byPart[k] = append(byPart[k], r)
	})
	s.mu.Unlock()
	if len(order) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, k := range order {
		recs := byPart[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx, recs)
		}()
	}
	wg.Wait()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.cl.CommitMarkedOffsets(cctx); err != nil {
		s.log.Warn("kafkabus: commit failed; will retry", "group", s.cfg.Group, "err", err)
	}
}

// retryLater rewinds r's partition to r and pauses it for RetryBackoff.
func (s *Source) retryLater(r *kgo.Record) {
	k := tp{r.Topic, r.Partition}
	s.mu.Lock()
	s.blocked[k] = r.Offset
	s.resumeAt[k] = time.Now().Add(s.cfg.RetryBackoff)
	s.mu.Unlock()
	s.cl.PauseFetchPartitions(map[string][]int32{r.Topic: {r.Partition}})
	s.cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{r.Topic: {r.Partition: {Epoch: -1, Offset: r.Offset}}})
}

// process decodes and handles one record; it reports whether the record
// may be committed.
func (s *Source) process(ctx context.Context, h eventbus.Handler, r *kgo.Record) bool {
	e, err := s.decode(ctx, r)
	if err != nil {
		if !retry.IsPermanent(err) {
			s.log.Warn("kafkabus: cannot decode yet; will retry", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			return false
		}
		s.log.Warn("kafkabus: poison message", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
		return s.deadLetter(ctx, e, err)
	}
	if err = call(ctx, h, e); err == nil {
		s.m.recorder().CountDelivered(ctx, r.Topic)
		return true
	}
	if !retry.IsPermanent(err) {
		return false
	}
	return s.deadLetter(ctx, e, err)
}

func (s *Source) deadLetter(ctx context.Context, e eventbus.Event, reason error) bool {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.dlq.DeadLetter(dctx, e, reason); err != nil {
		s.log.Error("kafkabus: dead-lettering failed; will retry", "event", e.ID, "err", err)
		return false
	}
	s.m.recorder().CountDeadLettered(dctx, busmetrics.MsgTopic(e), reason)
	return true
}

func call(ctx context.Context, h eventbus.Handler, e eventbus.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventbus.PanicError{Value: v}
		}
	}()
	return h(ctx, e)
}

// decode turns a record into an event. On error the returned event still
// carries Msg (and the id and type when the headers had them) for the
// dead-letter queue.
func (s *Source) decode(ctx context.Context, r *kgo.Record) (eventbus.Event, error) {
	msg := &eventbus.Message{
		Transport: "kafka", Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Key: r.Key, Value: r.Value, Headers: toHeaders(r.Headers), Timestamp: r.Timestamp,
	}
	e := eventbus.Event{Msg: msg}
	return decodeRecord(ctx, s.codec, s.reg.schema, s.cfg.MaxValueBytes, r, e)
}

type schemaFunc = func(ctx context.Context, id int) (avro.Schema, error)

func decodeRecord(ctx context.Context, codec *oeavro.Codec, schemaByID schemaFunc, maxBytes int, r *kgo.Record, e eventbus.Event) (eventbus.Event, error) {
	if msg, _ := e.Msg.Header(HeaderID); msg != "" {
		e.ID = msg
	}
	if t, _ := e.Msg.Header(HeaderType); t != "" {
		e.Type = t
	}
	if len(r.Value) > maxBytes {
		return e, eventbus.DecodeError("value of %d bytes exceeds the %d-byte limit", len(r.Value), maxBytes)
	}
	a, err := parseHeaders(r.Headers)
	if err != nil {
		return e, err
	}
	id, body, err := oeavro.Unframe(r.Value)
	if err != nil {
		return e, err
	}
	writer, err := schemaByID(ctx, int(id))
	if err != nil {
		return e, err
	}
	data, err := codec.Decode(a.typ, writer, body)
	if err != nil {
		return e, err
	}
	e.ID, e.Type, e.Source, e.SpecVersion = a.id, a.typ, a.source, a.spec
	e.Time, e.MinorVersion, e.SourceHost, e.SourceLib = a.time, a.minor, a.sourceHost, a.sourceLib
	e.CauseID = a.causeID
	e.DataContentType = a.contentType
	e.Data = data
	e.Key = decodeKey(codec, r.Key)
	return e, nil
}

// decodeKey reads a Confluent-framed Avro string key, falling back to the
// raw bytes for keys written otherwise.
func decodeKey(codec *oeavro.Codec, k []byte) string {
	if len(k) == 0 {
		return ""
	}
	if _, body, err := oeavro.Unframe(k); err == nil {
		if s, ok := codec.DecodeKey(body); ok {
			return s
		}
	}
	return string(k)
}

// Close leaves the group (committing handled offsets on the way out) and
// releases the client. Unacknowledged messages go to the next consumer.
func (s *Source) Close() error {
	if !s.life.Close() {
		return nil
	}
	s.m.recorder().Close()
	s.cl.CloseAllowingRebalance()
	if s.ownDL != nil {
		return s.ownDL.Close()
	}
	return nil
}

// DeadLetter sends e to the source's dead-letter queue; Source implements
// eventbus.DeadLetterer so a handler chain can use eventbus.DeadLetter(src).
// It is counted in credshare.bus.dead_lettered when metrics are on.
func (s *Source) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	if err := s.dlq.DeadLetter(ctx, e, reason); err != nil {
		return err
	}
	s.m.recorder().CountDeadLettered(ctx, busmetrics.MsgTopic(e), reason)
	return nil
}
