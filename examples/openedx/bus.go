package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"time"

	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/eventbus/redisbus"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"go.opentelemetry.io/otel/metric"
)

// openBus connects the event bus the configuration selects (Validate has
// made sure it is exactly one) and sets a.bus, a.pub, a.src and a.ping.
// Both buses consume the same base topics with the same consumer group,
// publish in Open edX's format of that bus, and dead-letter to
// "<topic>-dlq" on the same bus.
func (a *App) openBus(ctx context.Context, opts appOptions, meter metric.Meter) error {
	switch a.cfg.busName() {
	case busKafka:
		a.bus = busKafka
		return a.openKafka(ctx, opts, meter)
	case busRedis:
		a.bus = busRedis
		return a.openRedis(ctx, opts, meter)
	}
	return fmt.Errorf("event bus: %q is not one bus (run Validate first)", a.cfg.busName())
}

// pingTimeout bounds the first contact with the bus at start.
const pingTimeout = 15 * time.Second

func (a *App) openKafka(ctx context.Context, opts appOptions, meter metric.Meter) error {
	cfg := a.cfg
	cc := a.kafkaClientConfig(opts.kafkaOpts)
	reg := kafkabus.RegistryConfig{URLs: cfg.Kafka.SchemaRegistryURL, Key: cfg.Kafka.SchemaRegistryAPIKey, Secret: cfg.Kafka.SchemaRegistryAPISecret}
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: cc, Registry: reg, Source: cfg.Bus.EventSource, Group: cfg.Bus.ConsumerGroup})
	if err != nil {
		return fmt.Errorf("kafka publisher: %w", err)
	}
	a.pub = pub
	a.closers = append(a.closers, pub.Close)
	pingOpts := []kgo.Opt{kgo.SeedBrokers(cc.Brokers...), kgo.ClientID("credshare-health")}
	if cc.TLS != nil {
		pingOpts = append(pingOpts, kgo.DialTLSConfig(cc.TLS))
	}
	if len(cc.SASL) > 0 {
		pingOpts = append(pingOpts, kgo.SASL(cc.SASL...))
	}
	ping, err := kgo.NewClient(pingOpts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	a.closers = append(a.closers, func() error { ping.Close(); return nil })
	a.ping = ping.Ping
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	err = a.ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("kafka.bootstrap_servers (CREDSHARE_KAFKA_BOOTSTRAP_SERVERS): no broker answered: %w", err)
	}
	if !cfg.Bus.ConsumersEnabled {
		return nil
	}
	sc := kafkabus.SourceConfig{Client: cc, Registry: reg, Group: cfg.Bus.ConsumerGroup, Topics: cfg.topics(),
		DeadLetter: pub, RetryBackoff: cfg.Bus.RetryBackoff.Duration, Logger: a.log, Meter: meter,
		TracerProvider: opts.tracerProvider}
	if id := cfg.Kafka.GroupInstanceID; id != "" {
		// Static membership, for the consumer's client only; the
		// publisher's client is in no group. The options of cc (and of
		// appOptions) come first: this appends, it does not share them.
		sc.Client.Opts = append(slices.Clip(cc.Opts), kgo.InstanceID(id))
	}
	if cfg.Kafka.ReplayFrom != "" {
		sc.ReplayFrom, _ = time.Parse(time.RFC3339, cfg.Kafka.ReplayFrom)
	}
	src, err := kafkabus.NewSource(sc)
	if err != nil {
		return fmt.Errorf("kafka consumer: %w", err)
	}
	a.src = src
	// Closed before the publisher it dead-letters through.
	a.closers = append(a.closers, src.Close)
	return nil
}

func (a *App) kafkaClientConfig(extra []kgo.Opt) kafkabus.ClientConfig {
	k := a.cfg.Kafka
	st := k.SessionTimeout.Duration
	// franz-go's heartbeat default (3s) is right for its default session
	// timeout (45s); a shorter session needs more frequent heartbeats.
	// Options from appOptions come after, and win.
	opts := []kgo.Opt{kgo.SessionTimeout(st), kgo.HeartbeatInterval(min(st/10, 3*time.Second))}
	cc := kafkabus.ClientConfig{Brokers: k.BootstrapServers, ClientID: "credshare", TopicPrefix: a.cfg.Bus.TopicPrefix,
		Opts: append(opts, extra...)}
	if a.cfg.kafkaTLS() {
		cc.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if k.APIKey != "" {
		var m sasl.Mechanism
		switch k.SASLMechanism {
		case "SCRAM-SHA-256":
			m = scram.Auth{User: k.APIKey, Pass: k.APISecret}.AsSha256Mechanism()
		case "SCRAM-SHA-512":
			m = scram.Auth{User: k.APIKey, Pass: k.APISecret}.AsSha512Mechanism()
		default:
			m = plain.Auth{User: k.APIKey, Pass: k.APISecret}.AsMechanism()
		}
		cc.SASL = []sasl.Mechanism{m}
	}
	return cc
}

// openRedis connects to Redis Streams as event-bus-redis does: one stream
// per topic ("<prefix>-<topic>"), a consumer group per stream named
// bus.consumer_group (consume_events -g), entries written with the fields
// type, id, source, time, minorversion, sourcehost, sourcelib and
// event_data (schemaless Avro).
func (a *App) openRedis(ctx context.Context, opts appOptions, meter metric.Meter) error {
	cfg := a.cfg
	ro, err := redis.ParseURL(cfg.Redis.ConnectionURL)
	if err != nil {
		// go-redis's message may quote the URL, password and all.
		return fmt.Errorf("redis.connection_url (CREDSHARE_REDIS_CONNECTION_URL): not a redis:// or rediss:// URL")
	}
	client := redis.NewClient(ro)
	a.closers = append(a.closers, client.Close)
	a.ping = func(ctx context.Context) error { return client.Ping(ctx).Err() }
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	err = a.ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("redis.connection_url (CREDSHARE_REDIS_CONNECTION_URL): redis at %s did not answer: %w", ro.Addr, err)
	}
	pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: client, TopicPrefix: cfg.Bus.TopicPrefix,
		StreamMaxLen: cfg.Redis.StreamMaxLen, Source: cfg.Bus.EventSource})
	if err != nil {
		return fmt.Errorf("redis publisher: %w", err)
	}
	a.pub = pub
	a.closers = append(a.closers, pub.Close)
	if !cfg.Bus.ConsumersEnabled {
		return nil
	}
	src, err := redisbus.NewSource(redisbus.SourceConfig{Client: client, TopicPrefix: cfg.Bus.TopicPrefix, Topics: cfg.topics(),
		Group: cfg.Bus.ConsumerGroup, Consumer: cfg.Redis.ConsumerName, RetryBackoff: cfg.Bus.RetryBackoff.Duration,
		Block: opts.redisBlock, Logger: a.log, Meter: meter, TracerProvider: opts.tracerProvider})
	if err != nil {
		return fmt.Errorf("redis consumer: %w", err)
	}
	a.src = src
	// Closed before the client it reads with.
	a.closers = append(a.closers, src.Close)
	return nil
}
