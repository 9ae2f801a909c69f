package kafkabus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/bustrace"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Client holds brokers, TLS, SASL and the topic prefix.
	Client ClientConfig
	// Registry is where value and key schemas are registered. Required
	// for Publish; not needed for dead-lettering only.
	Registry RegistryConfig
	// Source is the CloudEvents source of published events that have
	// none; default "openedx/credshare/web".
	Source string
	// SourceHost defaults to the host name.
	SourceHost string
	// SourceLib defaults to "11.2.0", the openedx-events version whose
	// schemas this package reproduces. Open edX consumers parse it as
	// dot-separated integers.
	SourceLib string
	// Schemas holds Avro schemas (openedx-events style JSON) for event
	// types beyond the built-in ones, keyed by event type; events of other
	// types cannot be published.
	Schemas map[string]string
	// Group is written in the dlq_group header of dead-lettered messages.
	Group string
	// DLQMaxValueBytes truncates larger values copied into the dead-letter
	// topic (the dlq_value_truncated_from header keeps the original size);
	// 0 means 900 KiB, under Kafka's default message size limit.
	DLQMaxValueBytes int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Publisher writes events as event-bus-kafka's producer does: the
// CloudEvents headers, the value as Confluent-framed Avro registered under
// "<topic>-<event type>.CloudEvent", the key as Confluent-framed Avro of the
// type's key field (badge.uuid for badge events). It also implements
// eventbus.DeadLetterer.
type Publisher struct {
	cfg   PublisherConfig
	cl    *kgo.Client
	reg   *registry
	codec *oeavro.Codec
	extra map[string]avro.Schema

	mu     sync.Mutex
	closed bool
}

// NewPublisher connects a producer.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if err := cfg.Client.validate(); err != nil {
		return nil, err
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
	if cfg.DLQMaxValueBytes <= 0 {
		cfg.DLQMaxValueBytes = 900 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Publisher{cfg: cfg, codec: oeavro.NewCodec(0), extra: map[string]avro.Schema{}}
	for t, js := range cfg.Schemas {
		s, err := oeavro.ParseSchema(js)
		if err != nil {
			return nil, fmt.Errorf("kafkabus: schema for %s: %w", t, err)
		}
		p.extra[t] = s
	}
	if cfg.Registry.Client != nil || len(cfg.Registry.URLs) > 0 {
		rc, err := cfg.Registry.client()
		if err != nil {
			return nil, err
		}
		p.reg = newRegistry(rc)
	}
	opts := append(cfg.Client.opts(), kgo.AllowAutoTopicCreation(), kgo.RequiredAcks(kgo.AllISRAcks()))
	opts = append(opts, cfg.Client.Opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkabus: %w", err)
	}
	p.cl = cl
	return p, nil
}

// Record builds the Kafka record Publish would write for e on topic (the
// base topic), registering schemas as needed.
func (p *Publisher) Record(ctx context.Context, topic string, e eventbus.Event) (*kgo.Record, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if p.reg == nil {
		return nil, errors.New("kafkabus: publisher has no schema registry")
	}
	full := p.cfg.Client.fullTopic(topic)
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
		e.Time = p.cfg.Now()
	}
	schema, ok := oeavro.SchemaJSON(e.Type)
	var body []byte
	var err error
	if ok {
		body, err = p.codec.Encode(e.Type, e.Data)
	} else if s, found := p.extra[e.Type]; found {
		schema = p.cfg.Schemas[e.Type]
		body, err = p.codec.EncodeWith(s, e.Data)
	} else {
		return nil, fmt.Errorf("%w: no Avro schema for event type %q (see PublisherConfig.Schemas)", eventbus.ErrInvalidEvent, e.Type)
	}
	if err != nil {
		return nil, err
	}
	id, err := p.reg.register(ctx, ValueSubject(full, e.Type), schema)
	if err != nil {
		return nil, err
	}
	rec := &kgo.Record{Topic: full, Value: oeavro.Frame(uint32(id), body), Headers: eventHeaders(e)}
	for _, h := range bustrace.Headers(ctx) {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	key := e.Key
	if key == "" {
		if info, ok := eventbus.LookupType(e.Type); ok {
			if v, ok := e.Lookup(info.KeyField); ok && v != nil {
				key = fmt.Sprint(v)
			}
		}
	}
	if key != "" {
		keySchema, ok := oeavro.KeySchemaJSON(e.Type)
		if !ok {
			keySchema = `{"type": "string"}`
		}
		kid, err := p.reg.register(ctx, KeySubject(full), keySchema)
		if err != nil {
			return nil, err
		}
		kb, err := p.codec.EncodeKey(e.Type, key)
		if err != nil {
			return nil, err
		}
		rec.Key = oeavro.Frame(uint32(kid), kb)
	}
	return rec, nil
}

// Publish implements eventbus.Publisher.
func (p *Publisher) Publish(ctx context.Context, topic string, e eventbus.Event) error {
	if p.isClosed() {
		return eventbus.ErrClosed
	}
	rec, err := p.Record(ctx, topic, e)
	if err != nil {
		return err
	}
	if err := p.cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("kafkabus: producing %s to %s: %w", e.ID, rec.Topic, err)
	}
	return nil
}

// DeadLetter implements eventbus.DeadLetterer: it writes the original
// record (key, value, headers) of e to eventbus.DLQName(original topic),
// adding dlq_reason, dlq_original_topic/partition/offset, dlq_group and
// dlq_time headers. An event that did not come from Kafka is written as
// JSON (attributes and data) to DLQName of its full type's topic.
func (p *Publisher) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	if p.isClosed() {
		return eventbus.ErrClosed
	}
	r := "unknown"
	if reason != nil {
		r = reason.Error()
	}
	var rec kgo.Record
	if m := e.Msg; m != nil && m.Transport == "kafka" {
		rec.Topic = eventbus.DLQName(m.Topic)
		rec.Key = m.Key
		rec.Value = m.Value
		for _, h := range m.Headers {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		rec.Headers = append(rec.Headers,
			kgo.RecordHeader{Key: HeaderDLQTopic, Value: []byte(m.Topic)},
			kgo.RecordHeader{Key: HeaderDLQPartition, Value: []byte(strconv.Itoa(int(m.Partition)))},
			kgo.RecordHeader{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))})
	} else {
		topic := "unknown"
		if info, ok := eventbus.LookupType(e.Type); ok {
			topic = info.Topic
		}
		rec.Topic = eventbus.DLQName(p.cfg.Client.fullTopic(topic))
		rec.Key = []byte(e.Key)
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("kafkabus: %w", err)
		}
		rec.Value = b
		for _, h := range eventHeaders(e) {
			if h.Key == HeaderContentType || h.Key == HeaderDataContentType {
				h.Value = []byte(eventbus.ContentTypeJSON)
			}
			rec.Headers = append(rec.Headers, h)
		}
	}
	if n := len(rec.Value); n > p.cfg.DLQMaxValueBytes {
		rec.Value = rec.Value[:p.cfg.DLQMaxValueBytes]
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: HeaderDLQTruncated, Value: []byte(strconv.Itoa(n))})
	}
	if len(r) > 4096 {
		r = r[:4096]
	}
	rec.Headers = append(rec.Headers,
		kgo.RecordHeader{Key: HeaderDLQReason, Value: []byte(r)},
		kgo.RecordHeader{Key: HeaderDLQGroup, Value: []byte(p.cfg.Group)},
		kgo.RecordHeader{Key: HeaderDLQTime, Value: []byte(eventbus.FormatTime(p.cfg.Now().UTC()))})
	if err := p.cl.ProduceSync(ctx, &rec).FirstErr(); err != nil {
		return fmt.Errorf("kafkabus: writing to dead-letter topic %s: %w", rec.Topic, err)
	}
	return nil
}

func (p *Publisher) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close flushes and closes the producer.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.cl.Flush(ctx)
	p.cl.Close()
	return err
}
