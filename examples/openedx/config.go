package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration of the deployment. It is filled from
// defaults, then from a JSON or YAML file (keys as in the struct tags),
// then from environment variables (see settings), and validated by
// Validate before anything connects.
type Config struct {
	Bus        BusConfig        `json:"bus" yaml:"bus"`
	Kafka      KafkaConfig      `json:"kafka" yaml:"kafka"`
	Redis      RedisConfig      `json:"redis" yaml:"redis"`
	Store      StoreConfig      `json:"store" yaml:"store"`
	Credly     CredlyConfig     `json:"credly" yaml:"credly"`
	Accredible AccredibleConfig `json:"accredible" yaml:"accredible"`
	Badges     BadgesConfig     `json:"badges" yaml:"badges"`
	Outbox     OutboxConfig     `json:"outbox" yaml:"outbox"`
	HTTP       HTTPConfig       `json:"http" yaml:"http"`
	Log        LogConfig        `json:"log" yaml:"log"`
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout Duration `json:"shutdown_timeout" yaml:"shutdown_timeout"`
}

// BusConfig holds the settings both event buses share: what is consumed
// and published, and as which consumer group.
type BusConfig struct {
	TopicPrefix         string   `json:"topic_prefix" yaml:"topic_prefix"`
	Topics              []string `json:"topics" yaml:"topics"`
	ProgramCertificates bool     `json:"program_certificates" yaml:"program_certificates"`
	ConsumerGroup       string   `json:"consumer_group" yaml:"consumer_group"`
	ConsumersEnabled    bool     `json:"consumers_enabled" yaml:"consumers_enabled"`
	RetryBackoff        Duration `json:"retry_backoff" yaml:"retry_backoff"`
	// BatchSize is the most events of one partition applied in one store
	// transaction (Kafka); 1 applies each event in its own.
	BatchSize            int    `json:"batch_size" yaml:"batch_size"`
	PublishBadgeEvents   bool   `json:"publish_badge_events" yaml:"publish_badge_events"`
	PublishProgramEvents bool   `json:"publish_program_events" yaml:"publish_program_events"`
	EventSource          string `json:"event_source" yaml:"event_source"`
}

// KafkaConfig holds the settings of the Kafka bus (event-bus-kafka's).
type KafkaConfig struct {
	BootstrapServers        []string `json:"bootstrap_servers" yaml:"bootstrap_servers"`
	APIKey                  string   `json:"api_key" yaml:"api_key"`
	APISecret               string   `json:"api_secret" yaml:"api_secret"`
	TLS                     *bool    `json:"tls" yaml:"tls"`
	SASLMechanism           string   `json:"sasl_mechanism" yaml:"sasl_mechanism"`
	SchemaRegistryURL       []string `json:"schema_registry_url" yaml:"schema_registry_url"`
	SchemaRegistryAPIKey    string   `json:"schema_registry_api_key" yaml:"schema_registry_api_key"`
	SchemaRegistryAPISecret string   `json:"schema_registry_api_secret" yaml:"schema_registry_api_secret"`
	ReplayFrom              string   `json:"replay_from" yaml:"replay_from"`
	SessionTimeout          Duration `json:"session_timeout" yaml:"session_timeout"`
	// GroupInstanceID, when set, makes this process a static member of
	// the consumer group (KIP-345): a restart with the same id takes
	// over its former membership and partitions at once.
	GroupInstanceID string `json:"group_instance_id" yaml:"group_instance_id"`
}

// RedisConfig holds the settings of the Redis Streams bus
// (event-bus-redis's, the one Tutor runs).
type RedisConfig struct {
	ConnectionURL string `json:"connection_url" yaml:"connection_url"`
	ConsumerName  string `json:"consumer_name" yaml:"consumer_name"`
	StreamMaxLen  int64  `json:"stream_max_len" yaml:"stream_max_len"`
}

// Event bus names: the value of the "bus" check of /readyz and of the
// bus attribute of this program's metrics.
const (
	busKafka = "kafka"
	busRedis = "redis"
)

// StoreConfig says where state is kept.
type StoreConfig struct {
	Driver string `json:"driver" yaml:"driver"`
	DSN    string `json:"dsn" yaml:"dsn"`
}

// CredlyConfig configures the Credly provider and its webhook.
type CredlyConfig struct {
	Organizations map[string]string `json:"organizations" yaml:"organizations"`
	Sandbox       bool              `json:"sandbox" yaml:"sandbox"`
	APIURL        string            `json:"api_url" yaml:"api_url"`
	WebhookSecret string            `json:"webhook_secret" yaml:"webhook_secret"`
	Timeout       Duration          `json:"timeout" yaml:"timeout"`
}

// AccredibleConfig configures the Accredible provider.
type AccredibleConfig struct {
	APIKeys map[string]string `json:"api_keys" yaml:"api_keys"`
	Sandbox bool              `json:"sandbox" yaml:"sandbox"`
	APIURL  string            `json:"api_url" yaml:"api_url"`
}

// BadgesConfig configures templates and rules.
type BadgesConfig struct {
	RulesFile     string `json:"rules_file" yaml:"rules_file"`
	SyncTemplates bool   `json:"sync_templates" yaml:"sync_templates"`
}

// OutboxConfig configures the outbox dispatcher that makes the provider
// calls and publishes the events.
type OutboxConfig struct {
	MaxAttempts int      `json:"max_attempts" yaml:"max_attempts"`
	MinBackoff  Duration `json:"min_backoff" yaml:"min_backoff"`
	Lease       Duration `json:"lease" yaml:"lease"`
}

// HTTPConfig configures the HTTP server (health, metrics, webhooks).
type HTTPConfig struct {
	Addr string `json:"addr" yaml:"addr"`
}

// LogConfig configures the JSON log on stderr.
type LogConfig struct {
	Level string `json:"level" yaml:"level"`
}

// Duration is a time.Duration read from "30s"-style strings (or a number
// of seconds) in files and environment variables.
type Duration struct{ time.Duration }

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case float64:
		d.Duration = time.Duration(v * float64(time.Second))
		return nil
	case string:
		x, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("duration %q: use a form like 30s or 2m", v)
		}
		d.Duration = x
		return nil
	}
	return errors.New("duration: use a string like \"30s\" or a number of seconds")
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	x, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: duration %q: use a form like 30s or 2m", n.Line, n.Value)
	}
	d.Duration = x
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// DefaultConfig returns the defaults every other source overrides.
func DefaultConfig() Config {
	return Config{
		Bus: BusConfig{
			Topics:             []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle},
			ConsumerGroup:      "credshare",
			ConsumersEnabled:   true,
			RetryBackoff:       Duration{time.Second},
			BatchSize:          256,
			PublishBadgeEvents: true,
		},
		Kafka:           KafkaConfig{SASLMechanism: "PLAIN", SessionTimeout: Duration{45 * time.Second}},
		Redis:           RedisConfig{StreamMaxLen: 10000},
		Store:           StoreConfig{Driver: "mysql"},
		Credly:          CredlyConfig{Timeout: Duration{10 * time.Second}},
		Badges:          BadgesConfig{SyncTemplates: true},
		Outbox:          OutboxConfig{MaxAttempts: 12, MinBackoff: Duration{time.Second}, Lease: Duration{time.Minute}},
		HTTP:            HTTPConfig{Addr: ":8080"},
		Log:             LogConfig{Level: "info"},
		ShutdownTimeout: Duration{30 * time.Second},
	}
}

// setting is one configuration setting: its environment variable, its key
// in a configuration file, the Open edX setting it mirrors and how to set it
// from a string. The table drives -help, the README's mapping table and the
// names in validation errors.
type setting struct {
	Env     string   // CREDSHARE_… variable
	Aliases []string // Open edX (or former) variables also read when Env is unset, in order
	Key     string   // file key, dotted
	OpenEdX string   // the Open edX setting it corresponds to
	Default string
	Secret  bool
	Doc     string
	set     func(c *Config, v string) error
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, errors.New("not a boolean (use true or false)")
}

// parseMap reads a JSON object {"id": "secret"} or "id=secret,id2=secret2".
func parseMap(v string) (map[string]string, error) {
	v = strings.TrimSpace(v)
	m := map[string]string{}
	if strings.HasPrefix(v, "{") {
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, errors.New("not a JSON object of strings")
		}
		return m, nil
	}
	for _, pair := range splitList(v) {
		k, val, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, errors.New(`use {"id": "token"} or id=token,id2=token2`)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return m, nil
}

// settings lists every setting. Keep README.md's table in step (a test checks it).
var settings = []setting{
	{Env: "CREDSHARE_KAFKA_BOOTSTRAP_SERVERS", Aliases: []string{"EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"}, Key: "kafka.bootstrap_servers",
		OpenEdX: "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", Doc: "Kafka seed brokers, host:port, comma-separated. Setting it selects Kafka (required then, with the schema registry).",
		set: func(c *Config, v string) error { c.Kafka.BootstrapServers = splitList(v); return nil }},
	{Env: "CREDSHARE_KAFKA_API_KEY", Aliases: []string{"EVENT_BUS_KAFKA_API_KEY"}, Key: "kafka.api_key", Secret: true,
		OpenEdX: "EVENT_BUS_KAFKA_API_KEY", Doc: "SASL user (Confluent Cloud API key); turns on SASL and TLS.",
		set: func(c *Config, v string) error { c.Kafka.APIKey = v; return nil }},
	{Env: "CREDSHARE_KAFKA_API_SECRET", Aliases: []string{"EVENT_BUS_KAFKA_API_SECRET"}, Key: "kafka.api_secret", Secret: true,
		OpenEdX: "EVENT_BUS_KAFKA_API_SECRET", Doc: "SASL password (Confluent Cloud API secret).",
		set: func(c *Config, v string) error { c.Kafka.APISecret = v; return nil }},
	{Env: "CREDSHARE_KAFKA_SASL_MECHANISM", Key: "kafka.sasl_mechanism", Default: "PLAIN",
		OpenEdX: "(always PLAIN in event-bus-kafka)", Doc: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.",
		set: func(c *Config, v string) error {
			c.Kafka.SASLMechanism = strings.ToUpper(strings.TrimSpace(v))
			return nil
		}},
	{Env: "CREDSHARE_KAFKA_TLS", Key: "kafka.tls", Default: "true with an API key, else false",
		OpenEdX: "security.protocol SASL_SSL (implied by the API key)", Doc: "TLS to the brokers.",
		set: func(c *Config, v string) error {
			b, err := parseBool(v)
			c.Kafka.TLS = &b
			return err
		}},
	{Env: "CREDSHARE_SCHEMA_REGISTRY_URL", Aliases: []string{"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL"}, Key: "kafka.schema_registry_url",
		OpenEdX: "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL", Doc: "Confluent schema registry URL(s), comma-separated. Required with Kafka.",
		set: func(c *Config, v string) error { c.Kafka.SchemaRegistryURL = splitList(v); return nil }},
	{Env: "CREDSHARE_SCHEMA_REGISTRY_API_KEY", Aliases: []string{"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY"}, Key: "kafka.schema_registry_api_key", Secret: true,
		OpenEdX: "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY", Doc: "Registry basic-auth user.",
		set: func(c *Config, v string) error { c.Kafka.SchemaRegistryAPIKey = v; return nil }},
	{Env: "CREDSHARE_SCHEMA_REGISTRY_API_SECRET", Aliases: []string{"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET"}, Key: "kafka.schema_registry_api_secret", Secret: true,
		OpenEdX: "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET", Doc: "Registry basic-auth password.",
		set: func(c *Config, v string) error { c.Kafka.SchemaRegistryAPISecret = v; return nil }},
	{Env: "CREDSHARE_TOPIC_PREFIX", Aliases: []string{"EVENT_BUS_TOPIC_PREFIX"}, Key: "bus.topic_prefix",
		OpenEdX: "EVENT_BUS_TOPIC_PREFIX", Doc: `Prefix of every topic (Kafka) or stream (Redis): "<prefix>-<topic>".`,
		set: func(c *Config, v string) error { c.Bus.TopicPrefix = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_TOPICS", Key: "bus.topics", Default: eventbus.TopicBadgesLifecycle + "," + eventbus.TopicCertificateLifecycle,
		OpenEdX: "consume_events -t (one process per topic there)", Doc: "Base topics (Redis: streams) to consume, comma-separated.",
		set: func(c *Config, v string) error { c.Bus.Topics = splitList(v); return nil }},
	{Env: "CREDSHARE_PROGRAM_CERTIFICATES", Key: "bus.program_certificates", Default: "false",
		OpenEdX: "consume_events -t " + eventbus.TopicProgramCertificateLifecycle, Doc: "Also consume " + eventbus.TopicProgramCertificateLifecycle + ".",
		set: func(c *Config, v string) (err error) { c.Bus.ProgramCertificates, err = parseBool(v); return err }},
	{Env: "CREDSHARE_CONSUMER_GROUP", Key: "bus.consumer_group", Default: "credshare",
		OpenEdX: "consume_events -g", Doc: "Consumer group on either bus, as Open edX's consume_events -g (also the group processed events are recorded for).",
		set: func(c *Config, v string) error { c.Bus.ConsumerGroup = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_CONSUMERS_ENABLED", Aliases: []string{"EVENT_BUS_KAFKA_CONSUMERS_ENABLED", "EVENT_BUS_REDIS_CONSUMERS_ENABLED"}, Key: "bus.consumers_enabled", Default: "true",
		OpenEdX: "EVENT_BUS_KAFKA_CONSUMERS_ENABLED / EVENT_BUS_REDIS_CONSUMERS_ENABLED", Doc: "Kill switch: false runs only the outbox dispatcher and the webhooks.",
		set: func(c *Config, v string) (err error) { c.Bus.ConsumersEnabled, err = parseBool(v); return err }},
	{Env: "CREDSHARE_REPLAY_FROM", Key: "kafka.replay_from",
		OpenEdX: `consume_events --extra '{"offset_time": …}'`, Doc: "Kafka only. RFC 3339 time: start every partition there (run one consumer).",
		set: func(c *Config, v string) error { c.Kafka.ReplayFrom = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_KAFKA_SESSION_TIMEOUT", Key: "kafka.session_timeout", Default: "45s",
		OpenEdX: "session.timeout.ms (confluent-kafka's consumer setting)", Doc: "Kafka only. How long the group waits for a silent consumer (one that crashed) before its partitions go to the others; heartbeats are sent every tenth of it, at most every 3s. The brokers bound it (group.min.session.timeout.ms, 6s by default).",
		set: func(c *Config, v string) (err error) {
			c.Kafka.SessionTimeout.Duration, err = parseDuration(v)
			return err
		}},
	{Env: "CREDSHARE_KAFKA_GROUP_INSTANCE_ID", Key: "kafka.group_instance_id",
		OpenEdX: "group.instance.id (confluent-kafka's consumer setting)", Doc: "Kafka only. Static group membership: a name unique to this process and kept across its restarts (e.g. a StatefulSet pod's name). A restarted process then takes over its former membership and partitions at once instead of waiting for the session timeout; a stopped one does not leave the group, so its partitions move only after the session timeout. Unset: a new member on every start, leaving the group on a graceful stop.",
		set: func(c *Config, v string) error { c.Kafka.GroupInstanceID = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_BATCH_SIZE", Key: "bus.batch_size", Default: "256",
		OpenEdX: "(none: event-bus-kafka applies one event per transaction)", Doc: "Kafka only. The most events of one partition applied in one store transaction (1 to 10000; 1: one transaction per event). Events are committed only after their batch is stored.",
		set: func(c *Config, v string) (err error) {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 10000 {
				return errors.New("not a whole number from 1 to 10000")
			}
			c.Bus.BatchSize = n
			return nil
		}},
	{Env: "CREDSHARE_RETRY_BACKOFF", Aliases: []string{"CREDSHARE_KAFKA_RETRY_BACKOFF"}, Key: "bus.retry_backoff", Default: "1s",
		OpenEdX: "EVENT_BUS_KAFKA_CONSUMER_POLL_FAILURE_SLEEP (roughly)", Doc: "Pause before an event that failed for a transient reason is delivered again.",
		set: func(c *Config, v string) (err error) {
			c.Bus.RetryBackoff.Duration, err = parseDuration(v)
			return err
		}},
	{Env: "CREDSHARE_PUBLISH_BADGE_EVENTS", Key: "bus.publish_badge_events", Default: "true",
		OpenEdX: "EVENT_BUS_PRODUCER_CONFIG for badge.awarded.v1 / badge.revoked.v1 (enabled with BADGES_ENABLED)", Doc: "Publish badge.awarded / badge.revoked to " + eventbus.TopicBadgesLifecycle + " on the bus events are consumed from.",
		set: func(c *Config, v string) (err error) { c.Bus.PublishBadgeEvents, err = parseBool(v); return err }},
	{Env: "CREDSHARE_PUBLISH_PROGRAM_EVENTS", Key: "bus.publish_program_events", Default: "false",
		OpenEdX: "EVENT_BUS_PRODUCER_CONFIG for program.certificate.awarded.v1 / revoked.v1", Doc: "Publish program certificate events.",
		set: func(c *Config, v string) (err error) { c.Bus.PublishProgramEvents, err = parseBool(v); return err }},
	{Env: "CREDSHARE_EVENT_SOURCE", Key: "bus.event_source", Default: "openedx/credshare/web",
		OpenEdX: `ce_source of Credentials' events ("openedx/credentials/web")`, Doc: "Source of published events (Kafka ce_source header, Redis source field).",
		set: func(c *Config, v string) error { c.Bus.EventSource = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_REDIS_CONNECTION_URL", Aliases: []string{"EVENT_BUS_REDIS_CONNECTION_URL"}, Key: "redis.connection_url", Secret: true,
		OpenEdX: "EVENT_BUS_REDIS_CONNECTION_URL", Doc: "redis:// or rediss:// URL of the Redis Streams bus; setting it selects Redis (leave the Kafka settings unset).",
		set: func(c *Config, v string) error { c.Redis.ConnectionURL = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_REDIS_CONSUMER_NAME", Key: "redis.consumer_name", Default: "host name + random suffix",
		OpenEdX: `consume_events --extra '{"consumer_name": …}'`, Doc: "Redis only. This consumer's name in the group; keep it stable across restarts (e.g. the pod name) so entries it left pending are handled on start.",
		set: func(c *Config, v string) error { c.Redis.ConsumerName = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_REDIS_STREAM_MAX_LEN", Aliases: []string{"EVENT_BUS_REDIS_STREAM_MAX_LEN"}, Key: "redis.stream_max_len", Default: "10000",
		OpenEdX: "EVENT_BUS_REDIS_STREAM_MAX_LEN", Doc: "Redis only. Published streams are trimmed to about this many entries (XADD MAXLEN ~); negative: no trimming.",
		set: func(c *Config, v string) (err error) {
			c.Redis.StreamMaxLen, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return errors.New("not a whole number")
			}
			return nil
		}},
	{Env: "CREDSHARE_STORE_DRIVER", Key: "store.driver", Default: "mysql",
		OpenEdX: `DATABASES["default"]["ENGINE"]`, Doc: "mysql (MySQL 8 / MariaDB) or sqlite (one process, for trying it out).",
		set: func(c *Config, v string) error { c.Store.Driver = strings.ToLower(strings.TrimSpace(v)); return nil }},
	{Env: "CREDSHARE_STORE_DSN", Key: "store.dsn", Secret: true,
		OpenEdX: `DATABASES["default"] (NAME, USER, PASSWORD, HOST, PORT)`, Doc: "mysql: user:password@tcp(host:3306)/credshare; sqlite: a file path. Required.",
		set: func(c *Config, v string) error { c.Store.DSN = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_CREDLY_ORGANIZATIONS", Key: "credly.organizations", Secret: true,
		OpenEdX: `BADGES_CONFIG["credly"]["ORGANIZATIONS"] (CredlyOrganization rows)`, Doc: `Credly organisations and their tokens: {"<org uuid>": "<token>"} or uuid=token,uuid2=token2.`,
		set: func(c *Config, v string) (err error) { c.Credly.Organizations, err = parseMap(v); return err }},
	{Env: "CREDSHARE_CREDLY_SANDBOX", Key: "credly.sandbox", Default: "false",
		OpenEdX: `BADGES_CONFIG["credly"]["USE_SANDBOX"]`, Doc: "Use Credly's sandbox API.",
		set: func(c *Config, v string) (err error) { c.Credly.Sandbox, err = parseBool(v); return err }},
	{Env: "CREDSHARE_CREDLY_API_URL", Key: "credly.api_url",
		OpenEdX: `BADGES_CONFIG["credly"]["CREDLY_API_BASE_URL"] / ["CREDLY_SANDBOX_API_BASE_URL"]`, Doc: "Override the Credly API root.",
		set: func(c *Config, v string) error { c.Credly.APIURL = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_CREDLY_TIMEOUT", Key: "credly.timeout", Default: "10s",
		OpenEdX: "(none)", Doc: "Longest wait for one Credly request; a request that takes longer is retried.",
		set: func(c *Config, v string) (err error) { c.Credly.Timeout.Duration, err = parseDuration(v); return err }},
	{Env: "CREDSHARE_CREDLY_WEBHOOK_SECRET", Key: "credly.webhook_secret", Secret: true,
		OpenEdX: "(none: Open edX accepts any caller)", Doc: "Shared secret Credly's webhook URL must carry (?secret=…).",
		set: func(c *Config, v string) error { c.Credly.WebhookSecret = v; return nil }},
	{Env: "CREDSHARE_ACCREDIBLE_API_KEYS", Key: "accredible.api_keys", Secret: true,
		OpenEdX: "AccredibleAPIConfig rows (Django admin)", Doc: `Accredible API keys by a name you choose: {"main": "<key>"} or main=key.`,
		set: func(c *Config, v string) (err error) { c.Accredible.APIKeys, err = parseMap(v); return err }},
	{Env: "CREDSHARE_ACCREDIBLE_SANDBOX", Key: "accredible.sandbox", Default: "false",
		OpenEdX: `BADGES_CONFIG["accredible"]["USE_SANDBOX"]`, Doc: "Use Accredible's sandbox API.",
		set: func(c *Config, v string) (err error) { c.Accredible.Sandbox, err = parseBool(v); return err }},
	{Env: "CREDSHARE_ACCREDIBLE_API_URL", Key: "accredible.api_url",
		OpenEdX: `BADGES_CONFIG["accredible"]["ACCREDIBLE_API_BASE_URL"] / ["ACCREDIBLE_SANDBOX_API_BASE_URL"]`, Doc: "Override the Accredible API root.",
		set: func(c *Config, v string) error { c.Accredible.APIURL = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_BADGE_RULES_FILE", Key: "badges.rules_file",
		OpenEdX: "BadgeRequirement / DataRule / BadgePenalty rows (Django admin)", Doc: "Badge rules file (JSON or YAML) applied to the synced templates.",
		set: func(c *Config, v string) error { c.Badges.RulesFile = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_SYNC_TEMPLATES", Key: "badges.sync_templates", Default: "true",
		OpenEdX: "manage.py sync_organization_badge_templates / sync_accredible_groups", Doc: "Sync badge templates from every configured account at start.",
		set: func(c *Config, v string) (err error) { c.Badges.SyncTemplates, err = parseBool(v); return err }},
	{Env: "CREDSHARE_OUTBOX_MAX_ATTEMPTS", Key: "outbox.max_attempts", Default: "12",
		OpenEdX: "(none: Credentials calls Credly once, in the request)", Doc: "Attempts of a provider call or publish before it is dead (listed and re-queued with credshare deadletter).",
		set: func(c *Config, v string) (err error) {
			c.Outbox.MaxAttempts, err = strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return errors.New("not a whole number")
			}
			return nil
		}},
	{Env: "CREDSHARE_OUTBOX_MIN_BACKOFF", Key: "outbox.min_backoff", Default: "1s",
		OpenEdX: "(none)", Doc: "First retry delay of a failed outbox call; it doubles per attempt (with jitter) up to 10m, and a provider's Retry-After is honoured.",
		set: func(c *Config, v string) (err error) {
			c.Outbox.MinBackoff.Duration, err = parseDuration(v)
			return err
		}},
	{Env: "CREDSHARE_OUTBOX_LEASE", Key: "outbox.lease", Default: "1m",
		OpenEdX: "(none)", Doc: "How long a process reserves the outbox items it claimed; a process that dies leaves them to the others after this. A call gets three quarters of it.",
		set: func(c *Config, v string) (err error) { c.Outbox.Lease.Duration, err = parseDuration(v); return err }},
	{Env: "CREDSHARE_HTTP_ADDR", Key: "http.addr", Default: ":8080",
		OpenEdX: "(the Credentials web process)", Doc: "Listen address of /healthz, /readyz, /metrics and the Credly webhook.",
		set: func(c *Config, v string) error { c.HTTP.Addr = strings.TrimSpace(v); return nil }},
	{Env: "CREDSHARE_LOG_LEVEL", Key: "log.level", Default: "info",
		OpenEdX: "LOGGING", Doc: "debug, info, warn or error (JSON lines on stderr).",
		set: func(c *Config, v string) error { c.Log.Level = strings.ToLower(strings.TrimSpace(v)); return nil }},
	{Env: "CREDSHARE_SHUTDOWN_TIMEOUT", Key: "shutdown_timeout", Default: "30s",
		OpenEdX: "(none)", Doc: "Longest graceful shutdown after SIGINT/SIGTERM.",
		set: func(c *Config, v string) (err error) { c.ShutdownTimeout.Duration, err = parseDuration(v); return err }},
}

func lookupSetting(key string) setting {
	for _, s := range settings {
		if s.Key == key {
			return s
		}
	}
	return setting{Key: key}
}

// SettingError reports an invalid setting. It names the setting (file key
// and environment variable) and never carries a secret's value.
type SettingError struct {
	Key, Env string
	Problem  string
}

func (e *SettingError) Error() string {
	if e.Env == "" {
		return e.Key + ": " + e.Problem
	}
	return fmt.Sprintf("%s (%s): %s", e.Key, e.Env, e.Problem)
}

func settingErr(key, format string, args ...any) error {
	s := lookupSetting(key)
	return &SettingError{Key: key, Env: s.Env, Problem: fmt.Sprintf(format, args...)}
}

// LoadConfig builds the configuration: defaults, then the file at path
// (when not empty; .json, .yaml or .yml), then the environment read
// through getenv. It does not validate; call Validate.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		if err := loadFile(&cfg, path); err != nil {
			return cfg, err
		}
	}
	var errs []error
	for _, s := range settings {
		v, ok, err := envValue(s, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if err := s.set(&cfg, v); err != nil {
			p := err.Error()
			if !s.Secret {
				p = fmt.Sprintf("%q: %s", v, p)
			}
			errs = append(errs, &SettingError{Key: s.Key, Env: s.Env, Problem: p})
		}
	}
	return cfg, errors.Join(errs...)
}

// envValue reads a setting from its variable, its Open edX alias, or (for
// secrets) a file named by <VAR>_FILE, as container secrets are mounted.
func envValue(s setting, getenv func(string) string) (string, bool, error) {
	if v := getenv(s.Env); v != "" {
		return v, true, nil
	}
	if s.Secret {
		if p := getenv(s.Env + "_FILE"); p != "" {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", false, &SettingError{Key: s.Key, Env: s.Env + "_FILE", Problem: "cannot read the file: " + pathErr(err)}
			}
			return strings.TrimRight(string(b), "\r\n"), true, nil
		}
	}
	for _, a := range s.Aliases {
		if v := getenv(a); v != "" {
			return v, true, nil
		}
	}
	return "", false, nil
}

func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func loadFile(cfg *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("configuration file %s: %s", path, pathErr(err))
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("configuration file %s: %w", path, err)
		}
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("configuration file %s: %w", path, err)
		}
	default:
		return fmt.Errorf("configuration file %s: use a .json, .yaml or .yml file", path)
	}
	return nil
}

// Topics returns the base topics to consume.
func (c Config) topics() []string {
	ts := slices.Clone(c.Bus.Topics)
	if c.Bus.ProgramCertificates && !slices.Contains(ts, eventbus.TopicProgramCertificateLifecycle) {
		ts = append(ts, eventbus.TopicProgramCertificateLifecycle)
	}
	return ts
}

func (c Config) kafkaTLS() bool {
	if c.Kafka.TLS != nil {
		return *c.Kafka.TLS
	}
	return c.Kafka.APIKey != ""
}

// kafkaSettingsGiven lists the Kafka connection settings that are set.
func (c Config) kafkaSettingsGiven() []string {
	k := c.Kafka
	var out []string
	for _, x := range []struct {
		set  bool
		name string
	}{
		{len(k.BootstrapServers) > 0, "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"},
		{len(k.SchemaRegistryURL) > 0, "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL"},
		{k.APIKey != "" || k.APISecret != "", "EVENT_BUS_KAFKA_API_KEY/SECRET"},
		{k.SchemaRegistryAPIKey != "" || k.SchemaRegistryAPISecret != "", "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY/SECRET"},
	} {
		if x.set {
			out = append(out, x.name)
		}
	}
	return out
}

// busName chooses the event bus as Open edX deployments are told apart:
// Kafka when Kafka connection settings are given, Redis when
// EVENT_BUS_REDIS_CONNECTION_URL is. It returns "" when neither is
// configured and "kafka+redis" when both are (Validate rejects both).
func (c Config) busName() string {
	kafka, redis := len(c.kafkaSettingsGiven()) > 0, c.Redis.ConnectionURL != ""
	switch {
	case kafka && redis:
		return busKafka + "+" + busRedis
	case kafka:
		return busKafka
	case redis:
		return busRedis
	}
	return ""
}

// validateKafka checks the Kafka settings (the bus is Kafka).
func (c Config) validateKafka() []error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, settingErr(key, format, args...)) }
	k := c.Kafka
	if len(k.BootstrapServers) == 0 {
		bad("kafka.bootstrap_servers", "required: the Kafka brokers, e.g. kafka-1:9092,kafka-2:9092")
	}
	for _, b := range k.BootstrapServers {
		if h, p, err := net.SplitHostPort(b); err != nil || h == "" || p == "" {
			bad("kafka.bootstrap_servers", "%q is not host:port", b)
		}
	}
	if (k.APIKey == "") != (k.APISecret == "") {
		bad("kafka.api_key", "set both the API key and kafka.api_secret (CREDSHARE_KAFKA_API_SECRET), or neither")
	}
	if !slices.Contains([]string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, k.SASLMechanism) {
		bad("kafka.sasl_mechanism", "%q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
	}
	if len(k.SchemaRegistryURL) == 0 {
		bad("kafka.schema_registry_url", "required: the schema registry, e.g. http://schema-registry:8081")
	}
	for _, u := range k.SchemaRegistryURL {
		if err := checkURL(u, false); err != nil {
			bad("kafka.schema_registry_url", "%s", err)
		}
	}
	if (k.SchemaRegistryAPIKey == "") != (k.SchemaRegistryAPISecret == "") {
		bad("kafka.schema_registry_api_key", "set both the key and kafka.schema_registry_api_secret (CREDSHARE_SCHEMA_REGISTRY_API_SECRET), or neither")
	}
	if k.SessionTimeout.Duration < time.Second {
		bad("kafka.session_timeout", "must be at least 1s (the brokers usually want 6s or more)")
	}
	if k.ReplayFrom != "" {
		if _, err := time.Parse(time.RFC3339, k.ReplayFrom); err != nil {
			bad("kafka.replay_from", "%q is not an RFC 3339 time such as 2026-11-01T00:00:00Z", k.ReplayFrom)
		}
	}
	return errs
}

// Validate checks every setting and returns all problems at once, each
// naming its setting. Secrets are never part of the messages.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, settingErr(key, format, args...)) }

	switch c.busName() {
	case busKafka:
		errs = append(errs, c.validateKafka()...)
	case busRedis:
		if _, err := redis.ParseURL(c.Redis.ConnectionURL); err != nil {
			bad("redis.connection_url", "not a redis:// or rediss:// URL go-redis can parse (not shown, as it may hold a password)")
		}
		if c.Kafka.ReplayFrom != "" {
			bad("kafka.replay_from", "Kafka only; on Redis a new consumer group starts at the beginning of each stream")
		}
	case "":
		errs = append(errs, errors.New("event bus: none configured: set EVENT_BUS_REDIS_CONNECTION_URL (Redis Streams, as Tutor runs Open edX) "+
			"or EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS and EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL (Kafka) — the values the LMS has"))
	default:
		errs = append(errs, fmt.Errorf("event bus: both Kafka (%s) and Redis (EVENT_BUS_REDIS_CONNECTION_URL / CREDSHARE_REDIS_CONNECTION_URL) are configured: "+
			"Open edX runs on one of them (its EVENT_BUS_CONSUMER says which); keep only that bus's settings", strings.Join(c.kafkaSettingsGiven(), ", ")))
	}
	b := c.Bus
	if strings.ContainsAny(b.TopicPrefix, " \t/") {
		bad("bus.topic_prefix", "%q contains a space or a slash", b.TopicPrefix)
	}
	if len(c.topics()) == 0 && b.ConsumersEnabled {
		bad("bus.topics", "no topic to consume")
	}
	seen := map[string]bool{}
	for _, t := range c.topics() {
		switch {
		case strings.ContainsAny(t, " \t/"):
			bad("bus.topics", "%q is not a topic name", t)
		case seen[t]:
			bad("bus.topics", "%q is listed twice", t)
		case strings.HasSuffix(t, "-dlq"):
			bad("bus.topics", "%q is a dead-letter topic; replay it with the credshare CLI instead", t)
		}
		seen[t] = true
	}
	if strings.TrimSpace(b.ConsumerGroup) == "" {
		bad("bus.consumer_group", "required")
	}
	if b.RetryBackoff.Duration <= 0 {
		bad("bus.retry_backoff", "must be positive")
	}

	switch c.Store.Driver {
	case "mysql", "sqlite":
	default:
		bad("store.driver", "%q is not mysql or sqlite", c.Store.Driver)
	}
	if c.Store.DSN == "" {
		bad("store.dsn", "required: a MySQL DSN (user:password@tcp(host:3306)/credshare) or, with store.driver=sqlite, a file path")
	}
	if c.Store.DSN != "" && c.Store.Driver == "mysql" && mysqlstore.CheckDSN(c.Store.DSN) != nil {
		// The driver's complaint may quote the DSN, and where its password
		// ends is unknown: say what is wanted instead.
		bad("store.dsn", "not a MySQL DSN the driver can parse (want user:password@tcp(host:3306)/credshare); not shown, as it may hold a password")
	}

	for org, tok := range c.Credly.Organizations {
		if strings.TrimSpace(org) == "" {
			bad("credly.organizations", "an organisation id is empty")
		} else if strings.TrimSpace(tok) == "" {
			bad("credly.organizations", "organisation %q has no token", org)
		}
	}
	if c.Credly.APIURL != "" {
		if err := checkURL(c.Credly.APIURL, true); err != nil {
			bad("credly.api_url", "%s", err)
		}
	}
	for name, key := range c.Accredible.APIKeys {
		if strings.TrimSpace(name) == "" {
			bad("accredible.api_keys", "an account name is empty")
		} else if strings.TrimSpace(key) == "" {
			bad("accredible.api_keys", "account %q has no API key", name)
		}
	}
	if c.Accredible.APIURL != "" {
		if err := checkURL(c.Accredible.APIURL, true); err != nil {
			bad("accredible.api_url", "%s", err)
		}
	}
	if c.Badges.RulesFile != "" {
		if st, err := os.Stat(c.Badges.RulesFile); err != nil {
			bad("badges.rules_file", "cannot read %s: %s", c.Badges.RulesFile, pathErr(err))
		} else if st.IsDir() {
			bad("badges.rules_file", "%s is a directory", c.Badges.RulesFile)
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not [host]:port", c.HTTP.Addr)
	}
	if _, err := logLevel(c.Log.Level); err != nil {
		bad("log.level", "%s", err)
	}
	if c.ShutdownTimeout.Duration <= 0 {
		bad("shutdown_timeout", "must be positive")
	}
	if c.Credly.Timeout.Duration <= 0 {
		bad("credly.timeout", "must be positive")
	}
	if c.Outbox.MaxAttempts < 1 {
		bad("outbox.max_attempts", "must be at least 1")
	}
	if c.Outbox.MinBackoff.Duration <= 0 || c.Outbox.MinBackoff.Duration > 10*time.Minute {
		bad("outbox.min_backoff", "must be positive and at most 10m")
	}
	if c.Outbox.Lease.Duration < time.Second {
		bad("outbox.lease", "must be at least 1s")
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute http(s) URL; with httpsOnly, plain http only
// for a loopback host.
func checkURL(raw string, httpsOnly bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an absolute http(s) URL", redactURL(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials; use the API key settings instead", redactURL(raw))
	}
	if httpsOnly && u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
			return fmt.Errorf("%q must use https", raw)
		}
	}
	return nil
}

// redactURL hides user info in a URL that is about to be printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return "[REDACTED]@" + raw[i+1:]
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

func logLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// LogValue implements slog.LogValuer: the effective configuration with
// every secret replaced by "[set]".
func (c Config) LogValue() slog.Value {
	secret := func(s string) string {
		if s == "" {
			return ""
		}
		return "[set]"
	}
	ids := func(m map[string]string) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return slog.GroupValue(
		slog.String("bus", c.busName()),
		slog.Any("kafka.bootstrap_servers", c.Kafka.BootstrapServers),
		slog.String("kafka.api_key", secret(c.Kafka.APIKey)),
		slog.Bool("kafka.tls", c.kafkaTLS()),
		slog.Any("kafka.schema_registry_url", c.Kafka.SchemaRegistryURL),
		slog.String("kafka.group_instance_id", c.Kafka.GroupInstanceID),
		slog.String("redis.connection_url", secret(c.Redis.ConnectionURL)),
		slog.String("redis.consumer_name", c.Redis.ConsumerName),
		slog.String("bus.topic_prefix", c.Bus.TopicPrefix),
		slog.Any("bus.topics", c.topics()),
		slog.String("bus.consumer_group", c.Bus.ConsumerGroup),
		slog.Bool("bus.consumers_enabled", c.Bus.ConsumersEnabled),
		slog.Bool("bus.publish_badge_events", c.Bus.PublishBadgeEvents),
		slog.Bool("bus.publish_program_events", c.Bus.PublishProgramEvents),
		slog.String("store.driver", c.Store.Driver),
		slog.String("store.dsn", secret(c.Store.DSN)),
		slog.Any("credly.organizations", ids(c.Credly.Organizations)),
		slog.Bool("credly.sandbox", c.Credly.Sandbox),
		slog.Any("accredible.accounts", ids(c.Accredible.APIKeys)),
		slog.Bool("accredible.sandbox", c.Accredible.Sandbox),
		slog.String("badges.rules_file", c.Badges.RulesFile),
		slog.String("http.addr", c.HTTP.Addr),
	)
}

// writeSettingsHelp prints the settings table for -help.
func writeSettingsHelp(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT VARIABLE\tFILE KEY\tDEFAULT\tOPEN EDX SETTING")
	for _, s := range settings {
		def := s.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Env, s.Key, def, s.OpenEdX)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, s := range settings {
		extra := ""
		if len(s.Aliases) > 0 {
			extra = " Also read from " + strings.Join(s.Aliases, ", ") + "."
		}
		if s.Secret {
			extra += " Secret: never logged; may be given in a file named by " + s.Env + "_FILE."
		}
		fmt.Fprintf(w, "  %s\n      %s%s\n", s.Env, s.Doc, extra)
	}
}

// settingsMarkdown renders the settings as the Markdown table README.md
// carries (a test keeps the two in step).
func settingsMarkdown() string {
	var b strings.Builder
	b.WriteString("| Environment variable | File key | Default | Open edX setting | Meaning |\n| --- | --- | --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, s := range settings {
		doc := s.Doc
		if len(s.Aliases) > 0 {
			doc += " Also read from `" + strings.Join(s.Aliases, "`, `") + "`."
		}
		if s.Secret {
			doc += " Secret (or `" + s.Env + "_FILE`)."
		}
		def := s.Default
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", s.Env, s.Key, cell(def), cell(s.OpenEdX), cell(doc))
	}
	return b.String()
}
