package redisbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/busmetrics"
	"github.com/credshare/credshare/eventbus/internal/bustrace"
	"github.com/credshare/credshare/eventbus/internal/lifecycle"
	"github.com/credshare/credshare/eventbus/internal/oeavro"

	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/credential/retry"
)

// schemas holds the Avro schemas of event types beyond the built-in ones.
type schemas map[string]avro.Schema

func parseSchemas(in map[string]string) (schemas, error) {
	out := schemas{}
	for t, js := range in {
		s, err := oeavro.ParseSchema(js)
		if err != nil {
			return nil, fmt.Errorf("redisbus: schema for %s: %w", t, err)
		}
		out[t] = s
	}
	return out, nil
}

// SourceConfig configures a Source.
type SourceConfig struct {
	// Client is the Redis client (go-redis). Required.
	Client redis.UniversalClient
	// TopicPrefix is Open edX's EVENT_BUS_TOPIC_PREFIX.
	TopicPrefix string
	// Topics are the base stream names to consume (prefix applied).
	// Required.
	Topics []string
	// Group is the consumer group. Required.
	Group string
	// Consumer names this consumer in the group. Keep it stable across
	// restarts of one process (e.g. the pod name): on start the consumer
	// first handles the entries still pending on its name. Default: the
	// host name plus a random suffix.
	Consumer string
	// Schemas are Avro schemas (openedx-events style) of event types beyond
	// the built-in ones. event_data is schemaless Avro, so an entry of a type
	// without a schema cannot be decoded and is dead-lettered.
	Schemas map[string]string
	// DeadLetter receives poison entries and events whose handler failed
	// permanently; default a DeadLetterer on the same client writing to
	// eventbus.DLQName(<stream>).
	DeadLetter eventbus.DeadLetterer
	// Count is the number of entries read per call; 0 means 100.
	Count int64
	// Block is how long a read waits for new entries; 0 means 1s.
	Block time.Duration
	// ClaimMinIdle is how long an entry must have been pending on another
	// consumer before this one claims it (XAUTOCLAIM); 0 means 1 minute.
	ClaimMinIdle time.Duration
	// ClaimInterval is how often idle entries are claimed; 0 means
	// ClaimMinIdle/2.
	ClaimInterval time.Duration
	// RetryBackoff is the pause before a message whose handler returned a
	// retryable error is handled again (the stream waits, so order is
	// kept); 0 means 1s.
	RetryBackoff time.Duration
	// MaxValueBytes: larger event_data is dead-lettered without decoding;
	// 0 means 1 MiB.
	MaxValueBytes int
	// Logger defaults to slog.Default().
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

// Source consumes Open edX events from Redis Streams with a consumer group,
// wire-compatible with event-bus-redis.
type Source struct {
	cfg     SourceConfig
	codec   *oeavro.Codec
	extra   schemas
	dlq     eventbus.DeadLetterer
	streams []string
	m       *busmetrics.Recorder // nil without SourceConfig.Meter

	life lifecycle.Guard
}

// NewSource validates cfg and returns a source. The group is created (at
// the start of the stream, so no backlog is skipped) on Receive.
func NewSource(cfg SourceConfig) (*Source, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("redisbus: SourceConfig.Client is required")
	case cfg.Group == "":
		return nil, errors.New("redisbus: SourceConfig.Group is required")
	case len(cfg.Topics) == 0:
		return nil, errors.New("redisbus: SourceConfig.Topics is required")
	}
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		cfg.Consumer = host + "-" + uuid.NewString()[:8]
	}
	if cfg.Count <= 0 {
		cfg.Count = 100
	}
	if cfg.Block <= 0 {
		cfg.Block = time.Second
	}
	if cfg.ClaimMinIdle <= 0 {
		cfg.ClaimMinIdle = time.Minute
	}
	if cfg.ClaimInterval <= 0 {
		cfg.ClaimInterval = cfg.ClaimMinIdle / 2
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	extra, err := parseSchemas(cfg.Schemas)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, codec: oeavro.NewCodec(cfg.MaxValueBytes), extra: extra, dlq: cfg.DeadLetter}
	if s.dlq == nil {
		s.dlq = &DeadLetterer{Client: cfg.Client, Group: cfg.Group, Consumer: cfg.Consumer}
	}
	for _, t := range cfg.Topics {
		s.streams = append(s.streams, eventbus.FullTopic(cfg.TopicPrefix, t))
	}
	if cfg.Meter != nil {
		if s.m, err = newMetrics(cfg.Meter, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Receive implements eventbus.Source. Each stream is read by its own
// goroutine, entries strictly in order.
func (s *Source) Receive(ctx context.Context, h eventbus.Handler) error {
	done, err := s.life.Start("redisbus")
	if err != nil {
		return err
	}
	defer done()
	if s.cfg.TracerProvider != nil {
		h = bustrace.Wrap(bustrace.Tracer(s.cfg.TracerProvider, "github.com/credshare/credshare/eventbus/redisbus"), "redis", h)
	}
	for _, st := range s.streams {
		err := s.cfg.Client.XGroupCreateMkStream(ctx, st, s.cfg.Group, "0").Err()
		if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("redisbus: creating group %s on %s: %w", s.cfg.Group, st, err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(s.streams))
	for i, st := range s.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.consume(ctx, st, h)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// consume runs the read loop of one stream: own pending entries first (on
// start and after a failure), idle entries of other consumers every
// ClaimInterval, then new entries.
func (s *Source) consume(ctx context.Context, stream string, h eventbus.Handler) error {
	rdb := s.cfg.Client
	pending := true
	var nextClaim time.Time
	claimFrom := "0-0"
	for ctx.Err() == nil {
		var msgs []redis.XMessage
		var err error
		switch {
		case pending:
			msgs, err = s.read(ctx, stream, "0", 0)
			if err == nil && len(msgs) == 0 {
				pending = false
				continue
			}
		case !time.Now().Before(nextClaim):
			var start string
			msgs, start, err = rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: stream, Group: s.cfg.Group, Consumer: s.cfg.Consumer,
				MinIdle: s.cfg.ClaimMinIdle, Start: claimFrom, Count: s.cfg.Count,
			}).Result()
			if err == nil {
				if start == "0-0" || start == "" {
					nextClaim = time.Now().Add(s.cfg.ClaimInterval)
					claimFrom = "0-0"
				} else {
					claimFrom = start
				}
				if len(msgs) == 0 {
					continue
				}
			}
		default:
			block := s.cfg.Block
			if d := time.Until(nextClaim); d < block {
				block = max(d, time.Millisecond)
			}
			msgs, err = s.read(ctx, stream, ">", block)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.Nil) {
				continue
			}
			s.cfg.Logger.Warn("redisbus: read failed; retrying", "stream", stream, "err", err)
			if !sleep(ctx, s.cfg.RetryBackoff) {
				return nil
			}
			continue
		}
		// Entries read in one batch stay pending on this consumer while the
		// earlier ones are handled. Reset their idle time every
		// ClaimMinIdle/3 so that a live consumer's backlog is never taken
		// for a dead one's, and drop any that another consumer claimed.
		refreshEvery := s.cfg.ClaimMinIdle / 3
		lastRefresh := time.Now()
		for i := 0; i < len(msgs); i++ {
			if ctx.Err() != nil {
				return nil
			}
			if time.Since(lastRefresh) >= refreshEvery {
				msgs = append(msgs[:i], s.keep(ctx, stream, msgs[i:], refreshEvery)...)
				lastRefresh = time.Now()
				if i >= len(msgs) {
					break
				}
			}
			m := msgs[i]
			if !s.process(ctx, stream, h, m) {
				// Leave it (and the rest of the batch) pending; after the
				// pause, handle our pending entries again, in order.
				pending = true
				if !sleep(ctx, s.cfg.RetryBackoff) {
					return nil
				}
				break
			}
		}
	}
	return nil
}

// keep re-claims msgs for this consumer, resetting their idle time, and
// returns those it still holds: an entry another consumer claimed (its idle
// time is then below minIdle) is left to that consumer. On a Redis error
// every entry is kept.
func (s *Source) keep(ctx context.Context, stream string, msgs []redis.XMessage, minIdle time.Duration) []redis.XMessage {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	held, err := s.cfg.Client.XClaimJustID(ctx, &redis.XClaimArgs{Stream: stream, Group: s.cfg.Group,
		Consumer: s.cfg.Consumer, MinIdle: minIdle, Messages: ids}).Result()
	if err != nil {
		s.cfg.Logger.Warn("redisbus: could not refresh pending entries", "stream", stream, "err", err)
		return msgs
	}
	set := make(map[string]bool, len(held))
	for _, id := range held {
		set[id] = true
	}
	out := msgs[:0:0]
	for _, m := range msgs {
		if set[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

func (s *Source) read(ctx context.Context, stream, id string, block time.Duration) ([]redis.XMessage, error) {
	args := &redis.XReadGroupArgs{Group: s.cfg.Group, Consumer: s.cfg.Consumer, Streams: []string{stream, id}, Count: s.cfg.Count, Block: block}
	if block == 0 {
		args.Block = -1 // no BLOCK argument
	}
	res, err := s.cfg.Client.XReadGroup(ctx, args).Result()
	if err != nil {
		return nil, err
	}
	var out []redis.XMessage
	for _, st := range res {
		out = append(out, st.Messages...)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// process handles one entry and acknowledges it when the handler succeeded
// or it was dead-lettered; it reports whether the stream may move on.
func (s *Source) process(ctx context.Context, stream string, h eventbus.Handler, m redis.XMessage) bool {
	if m.Values == nil {
		// The entry was trimmed from the stream while pending: nothing
		// left to handle.
		return s.ack(ctx, stream, m.ID)
	}
	e, err := s.decode(stream, m)
	if err == nil {
		err = call(ctx, h, e)
		if err == nil {
			if !s.ack(ctx, stream, m.ID) {
				return false
			}
			s.m.CountDelivered(ctx, stream)
			return true
		}
	} else {
		s.cfg.Logger.Warn("redisbus: poison entry", "stream", stream, "id", m.ID, "err", err)
	}
	if !retry.IsPermanent(err) {
		return false
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if derr := s.dlq.DeadLetter(dctx, e, err); derr != nil {
		s.cfg.Logger.Error("redisbus: dead-lettering failed; will retry", "stream", stream, "id", m.ID, "err", derr)
		return false
	}
	s.m.CountDeadLettered(dctx, stream, err)
	return s.ack(dctx, stream, m.ID)
}

func (s *Source) ack(ctx context.Context, stream, id string) bool {
	if err := s.cfg.Client.XAck(context.WithoutCancel(ctx), stream, s.cfg.Group, id).Err(); err != nil {
		s.cfg.Logger.Warn("redisbus: XACK failed", "stream", stream, "id", id, "err", err)
		return false
	}
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

// decode turns an entry into an event; on error the event still carries
// Msg (and the id and type when present) for the dead-letter queue.
func (s *Source) decode(stream string, m redis.XMessage) (eventbus.Event, error) {
	msg := &eventbus.Message{Transport: "redis", Topic: stream, StreamID: m.ID, Timestamp: streamIDTime(m.ID)}
	keys := make([]string, 0, len(m.Values))
	for k := range m.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := asString(m.Values[k])
		if k == FieldEventData {
			msg.Value = []byte(v)
			continue
		}
		msg.Headers = append(msg.Headers, eventbus.Header{Key: k, Value: []byte(v)})
	}
	e := eventbus.Event{Msg: msg}
	e.ID, _ = asString(m.Values[FieldID])
	e.Type, _ = asString(m.Values[FieldType])
	f, err := parseFields(m.Values, s.cfg.MaxValueBytes)
	if err != nil {
		return e, err
	}
	var data map[string]any
	if w, ok := s.extra[f.typ]; ok {
		data, err = s.codec.Decode(f.typ, w, f.data)
	} else {
		data, err = s.codec.Decode(f.typ, nil, f.data)
	}
	if err != nil {
		return e, err
	}
	e.Source, e.Time, e.MinorVersion, e.SourceHost, e.SourceLib = f.source, f.time, f.minor, f.sourceHost, f.sourceLib
	e.CauseID = f.causeID
	e.SpecVersion = eventbus.SpecVersion
	e.DataContentType = eventbus.ContentTypeAvro
	e.Data = data
	if info, ok := eventbus.LookupType(e.Type); ok {
		if v, ok := e.Lookup(info.KeyField); ok && v != nil {
			e.Key = fmt.Sprint(v)
		}
	}
	return e, nil
}

// Close stops future Receive calls and the source's lag reports; the
// client belongs to the caller.
func (s *Source) Close() error {
	if s.life.Close() {
		s.m.Close()
	}
	return nil
}

// DeadLetter sends e to the source's dead-letter queue (counted in
// credshare.bus.dead_lettered when metrics are on).
func (s *Source) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	if err := s.dlq.DeadLetter(ctx, e, reason); err != nil {
		return err
	}
	s.m.CountDeadLettered(ctx, busmetrics.MsgTopic(e), reason)
	return nil
}

// DeadLetterer writes dead letters to "<stream>-dlq": the original fields
// plus dlq_reason, dlq_original_stream, dlq_original_id, dlq_group,
// dlq_consumer and dlq_time.
type DeadLetterer struct {
	// Client is the Redis client. Required.
	Client redis.UniversalClient
	// Group and Consumer are recorded with each dead letter.
	Group, Consumer string
	// TopicPrefix is used for events that did not come from Redis.
	TopicPrefix string
}

// DeadLetter implements eventbus.DeadLetterer.
func (d *DeadLetterer) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	r := "unknown"
	if reason != nil {
		r = reason.Error()
	}
	if len(r) > 4096 {
		r = r[:4096]
	}
	var values []any
	var stream string
	if m := e.Msg; m != nil && m.Transport == "redis" {
		stream = eventbus.DLQName(m.Topic)
		for _, h := range m.Headers {
			values = append(values, h.Key, h.Value)
		}
		values = append(values, FieldEventData, m.Value, FieldDLQStream, m.Topic, FieldDLQID, m.StreamID)
	} else {
		topic := "unknown"
		if info, ok := eventbus.LookupType(e.Type); ok {
			topic = info.Topic
		}
		stream = eventbus.DLQName(eventbus.FullTopic(d.TopicPrefix, topic))
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("redisbus: %w", err)
		}
		values = append(values, FieldType, e.Type, FieldID, e.ID, "event_json", b)
	}
	values = append(values, FieldDLQReason, r, FieldDLQGroup, d.Group, FieldDLQConsumer, d.Consumer,
		FieldDLQTime, eventbus.FormatTime(time.Now().UTC()))
	if err := d.Client.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: values}).Err(); err != nil {
		return fmt.Errorf("redisbus: writing to dead-letter stream %s: %w", stream, err)
	}
	return nil
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Client is the Redis client. Required.
	Client redis.UniversalClient
	// TopicPrefix is Open edX's EVENT_BUS_TOPIC_PREFIX.
	TopicPrefix string
	// StreamMaxLen trims streams approximately to this length on every
	// XADD, as event-bus-redis does (EVENT_BUS_REDIS_STREAM_MAX_LEN); 0 means
	// 10000, negative means no trimming.
	StreamMaxLen int64
	// Schemas are Avro schemas of event types beyond the built-in ones.
	Schemas map[string]string
	// Source, SourceHost and SourceLib fill events that lack them
	// (defaults "openedx/credshare/web", the host name, "11.2.0").
	Source, SourceHost, SourceLib string
}

// Publisher writes events as event-bus-redis's producer does: XADD with
// the fields type, id, source, time, minorversion, sourcehost, sourcelib
// and event_data (schemaless Avro).
type Publisher struct {
	cfg   PublisherConfig
	codec *oeavro.Codec
	extra schemas
}

// NewPublisher validates cfg and returns a publisher.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if cfg.Client == nil {
		return nil, errors.New("redisbus: PublisherConfig.Client is required")
	}
	if cfg.StreamMaxLen == 0 {
		cfg.StreamMaxLen = 10000
	}
	if cfg.Source == "" {
		cfg.Source = "openedx/credshare/web"
	}
	if cfg.SourceHost == "" {
		cfg.SourceHost, _ = os.Hostname()
	}
	if cfg.SourceLib == "" {
		cfg.SourceLib = "11.2.0"
	}
	extra, err := parseSchemas(cfg.Schemas)
	if err != nil {
		return nil, err
	}
	return &Publisher{cfg: cfg, codec: oeavro.NewCodec(0), extra: extra}, nil
}

// Publish implements eventbus.Publisher.
func (p *Publisher) Publish(ctx context.Context, topic string, e eventbus.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Source == "" {
		e.Source = p.cfg.Source
	}
	if e.SourceHost == "" {
		e.SourceHost = p.cfg.SourceHost
	}
	if e.SourceLib == "" {
		e.SourceLib = p.cfg.SourceLib
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	var data []byte
	var err error
	if s, ok := p.extra[e.Type]; ok {
		data, err = p.codec.EncodeWith(s, e.Data)
	} else {
		data, err = p.codec.Encode(e.Type, e.Data)
	}
	if err != nil {
		return err
	}
	values := entryValues(e, data)
	for _, h := range bustrace.Headers(ctx) {
		values = append(values, h.Key, string(h.Value))
	}
	args := &redis.XAddArgs{Stream: eventbus.FullTopic(p.cfg.TopicPrefix, topic), Values: values}
	if p.cfg.StreamMaxLen > 0 {
		args.MaxLen, args.Approx = p.cfg.StreamMaxLen, true
	}
	if err := p.cfg.Client.XAdd(ctx, args).Err(); err != nil {
		return fmt.Errorf("redisbus: XADD %s: %w", args.Stream, err)
	}
	return nil
}

// Close is a no-op: the client belongs to the caller.
func (p *Publisher) Close() error { return nil }
