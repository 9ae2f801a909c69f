// Command openedx is the credshare deployment for an Open edX site:
// what runs next to the LMS in place of the badges and certificates part of
// the Credentials service.
//
// It consumes the LMS's events from the event bus the site runs, chosen as
// Open edX chooses it, from the same EVENT_BUS_* settings: Redis Streams
// (what Tutor runs) when EVENT_BUS_REDIS_CONNECTION_URL is set, exactly as
// openedx/event-bus-redis writes them (stream fields, schemaless Avro), with
// redisbus; Kafka when EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS and
// EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL are set, exactly as
// openedx/event-bus-kafka writes them (CloudEvents headers, Confluent-framed
// Avro, schemas in the schema registry), with kafkabus. Both set, or
// neither, is a configuration error. On either bus it reads
// learning-badges-lifecycle and learning-certificate-lifecycle (and
// optionally learning-program-certificate-lifecycle), prefixed with
// EVENT_BUS_TOPIC_PREFIX, in one consumer group (consume_events -g). Each event is
// applied by pipeline.Pipeline in one store transaction (MySQL/MariaDB
// through mysqlstore, or SQLite through sqlitestore): course certificate
// awards and revocations, badge progress and awards from the badge rules,
// and outbox rows for every call to the outside world. An outbox.Dispatcher
// runs those rows: Credly and Accredible issue and revoke calls with
// idempotency keys, and badge.awarded / badge.revoked events published back
// to learning-badges-lifecycle on the same bus, in its Open edX format, as
// Credentials does. Records that cannot be decoded and events that can never
// be applied go to "<topic>-dlq" on the same bus with the reason; an event is
// committed (Kafka) or acknowledged (Redis) only once it was applied or
// dead-lettered. docs/openedx-tutor.md shows how to run it beside a Tutor
// site.
//
// # Trying it
//
//	go run ./examples/openedx -fake
//
// starts kfake (an in-process Kafka broker speaking the real protocol),
// srfake (a schema registry), a Credly API fake and SQLite in a temporary
// directory, all on 127.0.0.1; seeds realistic Open edX events through
// kafkabus's publisher (the framing, headers and keys of an LMS producer),
// one delivered twice and one record that is not Avro; runs the deployment
// until they are processed; posts a Credly webhook; checks the endpoints;
// prints a summary and exits 0. With -serve it keeps running until
// interrupted; -data DIR keeps the SQLite file. -fake is Kafka only, being
// self-contained; its tests run the same flow on a real redis-server too.
//
// # Configuration
//
// Settings come from defaults, then a JSON or YAML file (-config FILE or
// CREDSHARE_CONFIG_FILE; unknown keys are errors), then environment
// variables, which win. Every secret can also be read from a file named by
// <VARIABLE>_FILE. The configuration is validated before anything connects;
// every problem is reported at once, naming the file key and the variable,
// and no secret is ever printed. -check-config validates and prints the
// effective configuration with secrets shown as "[set]". -help lists every
// setting; README.md has the full table, with the Open edX setting each one
// corresponds to. The main ones:
//
//	CREDSHARE_REDIS_CONNECTION_URL        EVENT_BUS_REDIS_CONNECTION_URL (selects Redis)
//	CREDSHARE_REDIS_CONSUMER_NAME         consume_events --extra '{"consumer_name": …}'
//	CREDSHARE_REDIS_STREAM_MAX_LEN        EVENT_BUS_REDIS_STREAM_MAX_LEN
//	CREDSHARE_KAFKA_BOOTSTRAP_SERVERS     EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS (selects Kafka)
//	CREDSHARE_KAFKA_API_KEY / _SECRET     EVENT_BUS_KAFKA_API_KEY / _SECRET (SASL_SSL, PLAIN)
//	CREDSHARE_SCHEMA_REGISTRY_URL         EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL
//	CREDSHARE_SCHEMA_REGISTRY_API_KEY     EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY (and _SECRET)
//	CREDSHARE_TOPIC_PREFIX                EVENT_BUS_TOPIC_PREFIX
//	CREDSHARE_TOPICS                      consume_events -t (default: badges and certificate lifecycle)
//	CREDSHARE_PROGRAM_CERTIFICATES        consume_events -t learning-program-certificate-lifecycle
//	CREDSHARE_CONSUMER_GROUP              consume_events -g (default credshare)
//	CREDSHARE_CONSUMERS_ENABLED           EVENT_BUS_KAFKA_CONSUMERS_ENABLED / EVENT_BUS_REDIS_CONSUMERS_ENABLED
//	CREDSHARE_STORE_DRIVER / _DSN         DATABASES["default"]
//	CREDSHARE_CREDLY_ORGANIZATIONS        BADGES_CONFIG["credly"]["ORGANIZATIONS"] ({"<org uuid>": "<token>"})
//	CREDSHARE_CREDLY_SANDBOX              BADGES_CONFIG["credly"]["USE_SANDBOX"]
//	CREDSHARE_ACCREDIBLE_API_KEYS         AccredibleAPIConfig rows ({"<name>": "<key>"})
//	CREDSHARE_ACCREDIBLE_SANDBOX          BADGES_CONFIG["accredible"]["USE_SANDBOX"]
//	CREDSHARE_BADGE_RULES_FILE            BadgeRequirement / DataRule / BadgePenalty rows
//
// Timing, for operators and the reliability suite (internal/integration/reliability):
//
//	CREDSHARE_KAFKA_SESSION_TIMEOUT       how soon a crashed consumer's partitions move (default 45s)
//	CREDSHARE_CREDLY_TIMEOUT              longest wait for one Credly request (default 10s)
//	CREDSHARE_OUTBOX_MAX_ATTEMPTS         attempts of an outbox call before it is dead (default 12)
//	CREDSHARE_OUTBOX_MIN_BACKOFF          first retry delay of a failed outbox call (default 1s)
//	CREDSHARE_OUTBOX_LEASE                how long claimed outbox items are reserved (default 1m)
//
// The EVENT_BUS_REDIS_*, EVENT_BUS_KAFKA_* and EVENT_BUS_TOPIC_PREFIX variables themselves are
// read when the CREDSHARE_ one is unset, so the program can share the Open
// edX services' environment.
//
// # Running
//
// At start the program opens the store (running its migrations), records the
// configured Credly organisations and Accredible keys as provider accounts
// (tokens are read from there on every call), synchronises each account's
// badge templates (a failure is logged, not fatal), stores the templates of
// the rules file, checks that the bus answers (a Kafka broker, or Redis's
// PING), and starts consuming, dispatching and serving. Several processes
// with one consumer group share the partitions (Kafka) or the streams'
// entries (Redis; give each a stable consumer name) and the outbox (use
// MySQL for that).
//
// # Endpoints
//
//   - GET /healthz: liveness, 200 while the process serves.
//   - GET /readyz: 200 when the store answers, the bus answers (a check
//     named "kafka" or "redis") and the consumer runs; 503 with the failing checks, and during shutdown.
//   - GET /metrics: the OpenTelemetry metrics (events by type and outcome,
//     award transitions, outbox depth and age, outbox calls, event handling
//     time by bus, and the bus's credshare.bus.* delivered, dead-lettered and
//     lag figures) in the Prometheus exposition format, served by the OpenTelemetry
//     Prometheus exporter and client_golang's handler from the program's own
//     registry.
//   - POST /badges/credly/webhook/ (Open edX's path) and POST
//     /webhooks/credly: the Credly webhook. Set CREDSHARE_CREDLY_WEBHOOK_SECRET
//     and give Credly a URL ending in ?secret=… to refuse other callers.
//
// Logs are JSON lines on stderr (log/slog), at CREDSHARE_LOG_LEVEL.
//
// # Shutdown
//
// On SIGINT or SIGTERM the process reports not-ready, stops fetching, lets
// the events in hand finish, commits their offsets and leaves the consumer
// group (Kafka) or acknowledges them (Redis), lets the outbox calls in flight finish and record their outcome,
// drains the HTTP server, and closes the publisher and the store, within
// CREDSHARE_SHUTDOWN_TIMEOUT (default 30s). Nothing is lost: an event not
// committed or acknowledged is delivered again and recognised by its id, and
// an outbox item that did not run stays in the store for the next process.
// The exit code is 0 after a clean shutdown, 1 after a failure and 2 for
// invalid flags or configuration.
package main
