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
// The achievement metadata Verifiable Credentials for awards are composed
// with comes from vc/wallet.StoreAchievements.
//
// This package's tests run it on every store and on Kafka, so they live in
// the internal/integration module (internal/integration/pipeline), which may
// require the drivers the core module does not; the examples here run on
// memstore.
package pipeline
