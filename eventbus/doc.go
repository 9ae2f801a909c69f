// Package eventbus is credshare's event envelope and bus abstraction,
// wire-compatible with the Open edX event bus (openedx-events with
// event-bus-kafka or event-bus-redis).
//
// It imports only the standard library and github.com/google/uuid; the
// transports live in sub-packages: kafkabus (Kafka + Confluent schema
// registry), redisbus (Redis Streams), membus (in memory, with the same
// acknowledgement semantics) and filebus (JSON lines, for replay and
// backfill). eventbustest is the conformance suite they all pass.
//
// # Events
//
// An Event carries the CloudEvents attributes Open edX sends (id, type,
// source, specversion, time, minorversion, sourcehost, sourcelib, data
// content type), the message key, and the data as a generic tree, so an
// event of any type is delivered, including types this package has no Go
// type for. Event.Tree returns the payload shaped like Open edX's
// attrs.asdict(payload), the tree the Credentials rules engine resolves
// dotted paths such as "user.pii.email", "course.course_key" or "is_passing"
// against; Event.Lookup resolves such paths. Typed accessors
// (CoursePassingStatus, CcxCoursePassingStatus, Certificate, Badge,
// ProgramCertificate, User) convert the tree of the known types to Go
// structs, and constructors (CertificateEvent, BadgeEvent, …) build events
// from them.
//
// # Handlers and middleware
//
// A Source delivers events to a Handler. The handler returns nil once the
// event's effects are committed; only then is the message acknowledged. A
// permanent error (retry.IsPermanent from credential/retry: marked with
// retry.Permanent, or wrapping ErrDecode or ErrInvalidEvent) sends the
// message to the dead-letter queue (then it is acknowledged); any other
// error leaves it unacknowledged so it is delivered
// again. Middleware adds policy: Retry (capped exponential backoff with
// jitter), Dedup (skip events a consumer group already applied, checked
// through a ProcessedChecker such as store.Events), DeadLetter, Timeout and
// Recover (a panic becomes a permanent error). A typical chain is
//
//	h = eventbus.Chain(apply,
//		eventbus.DeadLetter(dlq),            // permanent failures → DLQ, then ack
//		eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 5}),
//		eventbus.Recover(),                  // panic → permanent error
//		eventbus.Timeout(30*time.Second),    // per attempt
//		eventbus.Dedup("credshare", st.Events()), // st is a store.Store
//	)
//
// # Delivery semantics
//
// Every Source is at least once: a message is acknowledged only after its
// handler succeeded or it was dead-lettered, so a crash redelivers it.
// Effects become exactly once when the handler records the event id in the
// same transaction as its effects (store.Events.MarkProcessed); Dedup is
// only a fast pre-check. Open edX's own consumers acknowledge failed
// messages too, and its Redis consumer starts at "$", skipping the backlog;
// credshare's adapters do neither.
//
// # Publishing
//
// A Publisher sends events as Open edX producers do: BadgeEvent builds the
// badge.awarded / badge.revoked events Credentials emits (topic
// TopicBadgesLifecycle, key badge.uuid). Reuse the event ID when retrying a
// publish, so downstream consumers can deduplicate.
//
// # Errors
//
// ErrDecode (poison messages), ErrInvalidEvent, ErrClosed and ErrTimeout are
// sentinels for errors.Is. retry.IsPermanent (credential/retry) is the single
// verdict sources act on, the same one the outbox dispatcher and the badge
// providers use.
package eventbus
