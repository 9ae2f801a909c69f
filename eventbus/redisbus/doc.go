// Package redisbus consumes and publishes Open edX events on Redis Streams,
// wire-compatible with openedx/event-bus-redis, using go-redis.
//
// # Wire format
//
// One stream per topic ("<prefix>-<topic>", Open edX's
// EVENT_BUS_TOPIC_PREFIX). Each entry has the fields type, id, source,
// time, minorversion, sourcehost, sourcelib and event_data, where
// event_data is schemaless Avro of the event data with the schema
// openedx-events generates (no registry, no magic byte: both sides derive
// the schema; SourceConfig.Schemas and PublisherConfig.Schemas add types
// beyond the built-in ones). There is no message key: Event.Key is derived
// from the type's key field. Publisher trims streams approximately to
// StreamMaxLen (10000), as event-bus-redis does.
//
// # Delivery semantics
//
// Source uses a consumer group created at the start of the stream ("0",
// not "$": Open edX's consumer skips the backlog written while no consumer
// ran; this one does not). An entry is XACKed only after its handler
// returned nil or it was written to the dead-letter stream (Open edX acks
// failures too). On start the consumer first handles the entries still
// pending on its own name (so keep Consumer stable across restarts), then
// claims entries idle for ClaimMinIdle on other, presumably dead, consumers
// with XAUTOCLAIM, every ClaimInterval, then reads new entries. While it
// works through a batch it re-claims the rest of the batch for itself every
// ClaimMinIdle/3, so a live but busy consumer's entries never look idle to
// the others; only a consumer stuck in one handler call for longer than
// ClaimMinIdle loses its entries. Entries of a
// stream are handled one at a time, in order; a retryable handler error
// pauses the stream for RetryBackoff and handles the pending entries again.
//
// # Dead letters
//
// Poison entries (missing id, type or event_data, bad time, truncated
// Avro, a type without a schema, event_data over MaxValueBytes) and events
// whose handler failed permanently are written to "<stream>-dlq" with their
// original fields plus dlq_reason, dlq_original_stream, dlq_original_id,
// dlq_group, dlq_consumer and dlq_time, then acknowledged.
//
// # Metrics
//
// With SourceConfig.Meter set, a Source records (OpenTelemetry):
//
//   - credshare.bus.delivered{transport=redis,topic}: entries whose handler
//     returned nil (counted once acknowledged).
//   - credshare.bus.dead_lettered{transport=redis,topic,reason_kind}:
//     entries written to the dead-letter stream, by the source or through
//     Source.DeadLetter; reason_kind is decode (eventbus.ErrDecode or
//     eventbus.ErrInvalidEvent: the entry is not a valid event), panic (the
//     handler panicked) or permanent (any other permanent error).
//   - credshare.bus.lag{transport=redis,topic,group}: an observable gauge,
//     per stream, of the entries the group has not acknowledged: XINFO
//     GROUPS "lag" (entries not yet delivered to the group, Redis 7 and
//     later) plus "pending" (delivered, not acknowledged). When Redis
//     cannot give the lag (before Redis 7, or a null entries-read) and the
//     group has not read to the end of the stream, only the pending
//     entries are counted, a lower bound. The figure is the group's, so
//     every consumer of a group reports the same value: aggregate with max,
//     not sum. Nothing is reported before the group exists (Receive
//     creates it). Source.StreamLag returns the same figure.
//
// A handler that dead-letters an event itself (eventbus.DeadLetter
// middleware) and returns nil is counted as both dead-lettered and
// delivered. A closed source stops reporting lag.
//
// # Testing
//
// The package's tests run the eventbustest conformance suite against
// miniredis and, when CREDSHARE_REDIS_URL is set, against redis-server.
package redisbus
