package kafkabus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sr"
)

// ClientConfig holds the connection settings shared by Source and
// Publisher.
type ClientConfig struct {
	// Brokers are the seed brokers ("host:port"). Required.
	Brokers []string
	// ClientID names the client to the brokers; default "credshare".
	ClientID string
	// TopicPrefix is Open edX's EVENT_BUS_TOPIC_PREFIX: topics become
	// "<prefix>-<topic>".
	TopicPrefix string
	// TLS enables TLS with this configuration (managed clusters).
	TLS *tls.Config
	// SASL authenticates with these mechanisms, e.g. plain.Auth{User: key,
	// Pass: secret}.AsMechanism() for Confluent Cloud (SASL_SSL/PLAIN, as
	// event-bus-kafka configures it) or scram.Auth{…}.AsSha512Mechanism().
	SASL []sasl.Mechanism
	// Opts are extra franz-go options, applied last.
	Opts []kgo.Opt
}

func (c ClientConfig) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafkabus: Brokers is required")
	}
	return nil
}

func (c ClientConfig) opts() []kgo.Opt {
	id := c.ClientID
	if id == "" {
		id = "credshare"
	}
	o := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ClientID(id)}
	if c.TLS != nil {
		o = append(o, kgo.DialTLSConfig(c.TLS))
	}
	if len(c.SASL) > 0 {
		o = append(o, kgo.SASL(c.SASL...))
	}
	return o
}

func (c ClientConfig) fullTopic(t string) string { return eventbus.FullTopic(c.TopicPrefix, t) }

// RegistryConfig says how to reach the Confluent schema registry.
type RegistryConfig struct {
	// URLs of the registry (Open edX's EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL).
	// Required unless Client is set.
	URLs []string
	// Key and Secret are the optional basic-auth credentials
	// (EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY / _SECRET).
	Key, Secret string
	// TLS configures TLS to the registry.
	TLS *tls.Config
	// HTTPClient replaces the registry's HTTP client.
	HTTPClient *http.Client
	// Client is a ready registry client; it wins over the fields above.
	Client *sr.Client
}

func (c RegistryConfig) client() (*sr.Client, error) {
	if c.Client != nil {
		return c.Client, nil
	}
	if len(c.URLs) == 0 {
		return nil, errors.New("kafkabus: Registry.URLs or Registry.Client is required")
	}
	o := []sr.ClientOpt{sr.URLs(c.URLs...)}
	if c.Key != "" || c.Secret != "" {
		o = append(o, sr.BasicAuth(c.Key, c.Secret))
	}
	if c.TLS != nil {
		o = append(o, sr.DialTLSConfig(c.TLS))
	}
	if c.HTTPClient != nil {
		o = append(o, sr.HTTPClient(c.HTTPClient))
	}
	return sr.NewClient(o...)
}

// registry caches writer schemas by id and registered ids by subject.
type registry struct {
	cl *sr.Client

	mu       sync.RWMutex
	byID     map[int]avro.Schema
	subjects map[string]int
}

func newRegistry(cl *sr.Client) *registry {
	return &registry{cl: cl, byID: map[int]avro.Schema{}, subjects: map[string]int{}}
}

// schema returns the writer schema with id. An id the registry does not
// know, or a schema that is not Avro, is a decode error (permanent); a
// registry that cannot be reached gives a retryable error.
func (r *registry) schema(ctx context.Context, id int) (avro.Schema, error) {
	r.mu.RLock()
	s, ok := r.byID[id]
	r.mu.RUnlock()
	if ok {
		return s, nil
	}
	got, err := r.cl.SchemaByID(ctx, id)
	if err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			return nil, eventbus.DecodeError("schema id %d is unknown to the registry", id)
		}
		return nil, fmt.Errorf("kafkabus: fetching schema %d: %w", id, err)
	}
	if got.Type != sr.TypeAvro {
		return nil, eventbus.DecodeError("schema id %d is %s, not Avro", id, got.Type)
	}
	s, err = oeavro.ParseSchema(got.Schema)
	if err != nil {
		return nil, eventbus.DecodeError("schema id %d does not parse: %v", id, err)
	}
	r.mu.Lock()
	r.byID[id] = s
	r.mu.Unlock()
	return s, nil
}

// register registers schema under subject (idempotent on the registry's
// side) and returns its id, cached per subject.
func (r *registry) register(ctx context.Context, subject, schema string) (int, error) {
	r.mu.RLock()
	id, ok := r.subjects[subject]
	r.mu.RUnlock()
	if ok {
		return id, nil
	}
	id, err := r.cl.RegisterSchema(ctx, subject, sr.Schema{Schema: schema, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		return 0, fmt.Errorf("kafkabus: registering subject %s: %w", subject, err)
	}
	r.mu.Lock()
	r.subjects[subject] = id
	r.mu.Unlock()
	return id, nil
}

// ValueSubject returns the TopicRecordNameStrategy subject of an event
// type's value schema: "<full topic>-<event type>.CloudEvent".
func ValueSubject(fullTopic, eventType string) string {
	return fullTopic + "-" + eventType + ".CloudEvent"
}

// KeySubject returns the subject of the key schema. The key schema is a
// primitive (e.g. {"name": "uuid", "type": "string"}); confluent-kafka's
// AvroSerializer names a primitive after its type, so the
// TopicRecordNameStrategy subject is "<full topic>-string".
func KeySubject(fullTopic string) string { return fullTopic + "-string" }
