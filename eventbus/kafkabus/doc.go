// Package kafkabus consumes and publishes Open edX events on Kafka,
// wire-compatible with openedx/event-bus-kafka, using franz-go and a
// Confluent schema registry.
//
// # Configuration
//
// ClientConfig carries the brokers, TLS and SASL settings for managed
// clusters (Confluent Cloud uses SASL_SSL with PLAIN: set TLS to a
// *tls.Config and SASL to plain.Auth{User: key, Pass: secret}.AsMechanism())
// and TopicPrefix, Open edX's EVENT_BUS_TOPIC_PREFIX ("<prefix>-<topic>").
// RegistryConfig points at the schema registry (URLs, optional basic auth).
// NewSource and NewPublisher validate their configs.
//
// # Wire format
//
// Each message carries the CloudEvents headers ce_type, ce_id, ce_source,
// ce_specversion, ce_time, ce_minorversion, sourcehost, sourcelib,
// content-type and ce_datacontenttype. The value is Confluent-framed
// (0x00, a big-endian uint32 schema id) Avro of the event data, with the
// schema openedx-events generates (record "CloudEvent" in the namespace of
// the event type) registered under the TopicRecordNameStrategy subject
// "<topic>-<event type>.CloudEvent". The key is Confluent-framed Avro of the
// type's key field (badge.uuid for badge events). The consumer fetches the
// writer schema by id from the registry (cached) and resolves it against
// our schema, so events from a newer openedx-events with extra fields
// decode; events of types without a Go type decode with the writer schema
// into the generic tree.
//
// # Delivery semantics
//
// Source joins a consumer group and starts a new group at the beginning of
// each partition. It commits a message's offset only after the handler
// returned nil or the message was written to the dead-letter topic — never
// before (Open edX commits failures too) — after every poll and again when
// partitions are revoked in a rebalance. Partitions are handled in
// parallel, each strictly in order. A retryable handler error pauses the
// partition and delivers the same message again after RetryBackoff. A
// message that cannot be decoded (bad magic byte, unknown schema id,
// truncated Avro, missing ce_id, duplicated headers, a value over
// MaxValueBytes, an incompatible writer schema) is dead-lettered with the
// reason and consumption goes on; a registry that cannot be reached is
// retried instead. ReplayFrom starts the assigned partitions at a
// timestamp, like event-bus-kafka's offset_time.
//
// Rebalances wait until the records of the current poll are handled, so
// bound handlers (eventbus.Timeout) well below the group's rebalance
// timeout (franz-go's default is 60s; set kgo.RebalanceTimeout in
// ClientConfig.Opts to change it).
//
// # Dead letters
//
// Publisher implements eventbus.DeadLetterer: it copies the original key,
// value (truncated past DLQMaxValueBytes) and headers to
// eventbus.DLQName(topic) ("<topic>-dlq") and adds dlq_reason,
// dlq_original_topic, dlq_original_partition, dlq_original_offset,
// dlq_group and dlq_time headers. Source uses one by default. The
// publisher asks for topic auto-creation; on clusters that forbid it
// (Confluent Cloud, most managed services) create the "-dlq" topics first,
// or dead-lettering fails and the message stays uncommitted (retried).
//
// # Metrics
//
// With SourceConfig.Meter set, a Source records (OpenTelemetry):
//
//   - credshare.bus.delivered{transport=kafka,topic}: messages whose
//     handler returned nil.
//   - credshare.bus.dead_lettered{transport=kafka,topic,reason_kind}:
//     messages written to the dead-letter topic, by the source or through
//     Source.DeadLetter; reason_kind is decode (eventbus.ErrDecode or
//     eventbus.ErrInvalidEvent: the message is not a valid event), panic
//     (the handler panicked) or permanent (any other permanent error).
//   - credshare.bus.lag{transport=kafka,topic,partition,group}: an
//     observable gauge, per partition assigned to this source, of the high
//     watermark minus the next offset to handle (the offset after the last
//     message handled here, else the group's committed offset, else the
//     log start). Each observation asks the partition leaders for their
//     offsets (ListOffsets), bounded to 5s. Summed over the group's
//     consumers it is the group's lag. Source.Lag returns the same figures.
//
// A handler that dead-letters an event itself (eventbus.DeadLetter
// middleware) and returns nil is counted as both dead-lettered and
// delivered. A closed source stops reporting lag.
//
// # Publishing
//
// Publisher.Publish writes badge.awarded/revoked and program certificate
// events (and any type given a schema in PublisherConfig.Schemas) exactly
// as an Open edX producer would, waiting for the broker's acknowledgement.
package kafkabus
