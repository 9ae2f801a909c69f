// Package membus is an in-memory event bus with the delivery semantics of
// the real ones, for tests, the quickstart and the embedded default.
//
// # Semantics
//
// Topics are partitioned logs (Config.Partitions, default 4); an event goes
// to the partition of its key, so events with one key keep their order.
// Each consumer group keeps one committed offset per partition and a
// partition is read by one consumer of the group at a time, one message at
// a time. A message is acknowledged (the offset moves on) only when the
// handler returned nil, or returned a permanent error and the message was
// written to the dead-letter topic. After a retryable error the message is
// delivered again after Config.RedeliveryDelay; when a consumer stops, its
// partitions — with any unacknowledged message — go to the group's other
// consumers. A new group starts at the beginning of every partition.
//
// # Dead letters
//
// Bus implements eventbus.DeadLetterer: dead-lettered events go to the topic
// eventbus.DLQName(topic) with their reason; Bus.DeadLetters lists them.
//
// # Metrics
//
// With SourceConfig.Meter set, a Source records (OpenTelemetry):
//
//   - credshare.bus.delivered{transport=mem,topic}: messages whose handler
//     returned nil.
//   - credshare.bus.dead_lettered{transport=mem,topic,reason_kind}: messages
//     written to the dead-letter topic after a permanent handler error;
//     reason_kind is decode (eventbus.ErrDecode or eventbus.ErrInvalidEvent),
//     panic (the handler panicked) or permanent (any other).
//   - credshare.bus.lag{transport=mem,topic,partition,group}: an observable
//     gauge, per partition, of the messages the group has not acknowledged
//     (a group that has not started lags by the whole partition). Every
//     source of a group reports the group's figure. Source.Lag returns it.
//
// A closed source stops reporting lag.
//
// # Limits
//
// Everything lives in memory and is lost with the process; nothing is ever
// trimmed. Use kafkabus or redisbus in production.
package membus
