// Package pipeline is the credential-sharing pipeline: it turns Open edX
// learning events into awards, badge progress and the outbox rows that carry
// every effect to the outside world.
//
// A [Pipeline], built with [New] from a [Config], handles each event in one
// store transaction: it records the event id as processed for its consumer
// group, refreshes the learner's personal data (eventbus.Event.Learner),
// applies certificate events and the badge rules (a [RulesApplier] such as
// [Rules]), and for every award [Transition] writes the outbox rows for the
// provider calls (kinds [KindBadgeIssue] and [KindBadgeRevoke]) and the
// published events ([KindEventPublish]). [Pipeline.RegisterHandlers]
// installs the handlers for those kinds, and the providers' published
// limits, on a store/outbox Dispatcher, which runs the rows with idempotency
// keys, backoff and a dead state. Effects are therefore exactly-once as seen
// from outside, on top of an at-least-once bus.
//
// # Batches
//
// [Pipeline.HandleBatch] (installed with [Pipeline.BatchHandler] on a source
// that implements eventbus.BatchSource, such as kafkabus.Source) applies the
// events a source already has — up to eventbus.BatchOptions.MaxEvents of one
// partition, waiting at most Linger for more — in one store transaction:
// their processed marks are checked and recorded together and their outbox
// rows written together (store.BatchWriter), and the source acknowledges
// them only after the commit. The results are those of Handle, event by
// event: duplicates inside a batch or across batches change nothing, each
// event's outbox rows carry its own trace context, and when the batch
// transaction fails every event is handled again on its own, so one bad
// event is dead-lettered (or redelivered) without holding back the rest.
// A store without store.BatchWriter gets per-event transactions.
//
// Batching saves the per-transaction costs (begin, commit, the dedup read)
// and the statements of the marks and outbox rows. The badge rules read
// awards, progress and fulfilments through a store/txcache cache of the
// batch's transaction, so what an earlier event of the batch read or
// created is not read again; their writes still go to the store statement
// by statement for each event. With sqlitestore, whose commits do not wait for a disk
// flush (synchronous=NORMAL), a power loss may lose the last commits after
// the bus acknowledged their events: those events are then neither applied
// nor delivered again. A process crash loses nothing.
//
// The achievement metadata Verifiable Credentials for awards are composed
// with comes from vc/wallet.StoreAchievements.
//
// This package's tests run it on every store and on Kafka, so they live in
// the internal/integration module (internal/integration/pipeline), which may
// require the drivers the core module does not; the examples here run on
// memstore.
package pipeline
