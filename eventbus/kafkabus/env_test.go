package kafkabus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"go.opentelemetry.io/otel/metric"
)

// env is a kfake cluster and an srfake registry for one test.
type env struct {
	t       testing.TB
	cluster *kfake.Cluster
	reg     *srfake.Registry
	srcl    *sr.Client
	brokers []string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": "20000000"}))
	if err != nil {
		t.Fatal(err)
	}
	reg := srfake.New()
	srcl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cluster: c, reg: reg, srcl: srcl, brokers: c.ListenAddrs()}
	t.Cleanup(func() { reg.Close(); c.Close() })
	return e
}

func (e *env) client(opts ...kgo.Opt) *kgo.Client {
	e.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.brokers...), kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.ProducerBatchMaxBytes(16 << 20)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(cl.Close)
	return cl
}

func (e *env) createTopic(name string, partitions int32) {
	e.t.Helper()
	cl := e.client()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = name
	rt.NumPartitions = partitions
	rt.ReplicationFactor = 1
	req.Topics = append(req.Topics, rt)
	if _, err := req.RequestWith(context.Background(), cl); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) clientConfig(prefix string) kafkabus.ClientConfig {
	return kafkabus.ClientConfig{Brokers: e.brokers, TopicPrefix: prefix, Opts: []kgo.Opt{kgo.HeartbeatInterval(100 * time.Millisecond)}}
}

func (e *env) source(prefix, group string, mod ...func(*kafkabus.SourceConfig)) *kafkabus.Source {
	e.t.Helper()
	cfg := kafkabus.SourceConfig{
		Client:       e.clientConfig(prefix),
		Registry:     kafkabus.RegistryConfig{Client: e.srcl},
		Group:        group,
		Topics:       []string{eventbus.TopicBadgesLifecycle},
		RetryBackoff: 20 * time.Millisecond,
		FetchMaxWait: 100 * time.Millisecond,
		Logger:       quiet,
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := kafkabus.NewSource(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) publisher(prefix string) *kafkabus.Publisher {
	e.t.Helper()
	p, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: e.clientConfig(prefix), Registry: kafkabus.RegistryConfig{Client: e.srcl},
		Schemas: map[string]string{eventbustest.UnknownType: eventbustest.UnknownSchema}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = p.Close() })
	return p
}

// readAll returns every record of topic, reading from the start until the
// topic has been quiet for a moment.
func (e *env) readAll(topic string) []*kgo.Record {
	e.t.Helper()
	cl := e.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []*kgo.Record
	quiet := 0
	for quiet < 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return out
}

func header(r *kgo.Record, key string) string {
	v := ""
	for _, h := range r.Headers {
		if h.Key == key {
			v = string(h.Value)
		}
	}
	return v
}

var harnessSeq atomic.Int64

// quiet discards the sources' poison-message warnings in tests.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type harness struct {
	env    *env
	prefix string
	pub    *kafkabus.Publisher
}

func (h *harness) full() string { return eventbus.FullTopic(h.prefix, eventbus.TopicBadgesLifecycle) }

func (h *harness) Publish(ctx context.Context, events ...eventbus.Event) error {
	for _, e := range events {
		if err := h.pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) NewSource(_ context.Context, group string) (eventbus.Source, error) {
	return h.env.source(h.prefix, group), nil
}

func (h *harness) NewMeteredSource(_ context.Context, group string, m metric.Meter) (eventbus.Source, error) {
	return h.env.source(h.prefix, group, func(c *kafkabus.SourceConfig) { c.Meter = m }), nil
}

func (h *harness) DeadLetters(context.Context) ([]eventbustest.DeadLetter, error) {
	var out []eventbustest.DeadLetter
	for _, r := range h.env.readAll(eventbus.DLQName(h.full())) {
		out = append(out, eventbustest.DeadLetter{EventID: header(r, kafkabus.HeaderID), Reason: header(r, kafkabus.HeaderDLQReason)})
	}
	return out, nil
}

func (h *harness) PublishPoison(ctx context.Context) error {
	cl := h.env.client()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: h.full(), Value: []byte{0x02, 0x04, 'h', 'i'},
		Headers: []kgo.RecordHeader{{Key: "ce_id", Value: []byte("poison-1")}, {Key: "ce_type", Value: []byte(eventbus.TypeBadgeAwarded)}}}).FirstErr()
}

func (h *harness) Close() {}

func newHarness(e *env) func(t *testing.T) eventbustest.Harness {
	return func(t *testing.T) eventbustest.Harness {
		h := &harness{env: e, prefix: fmt.Sprintf("h%d", harnessSeq.Add(1))}
		e.createTopic(h.full(), 3)
		h.pub = e.publisher(h.prefix)
		return h
	}
}
