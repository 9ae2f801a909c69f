// Package credshare turns learning events into credentials learners can
// share: digital badges (Credly, Accredible, or native Open Badges 3.0) and
// W3C Verifiable Credentials delivered to learner wallets and revocable
// through status lists that any verifier can check.
//
// It is the Go counterpart of the credential-sharing part of the Open edX
// Credentials service: it consumes the events the Open edX LMS publishes
// (Kafka with Avro and a schema registry, or Redis Streams), keeps its state
// in MySQL/MariaDB or an embedded SQLite file, talks to the Credly and
// Accredible APIs, serves the Learner Credential Wallet, and issues
// credentials that independent verifiers accept.
//
// # The flow
//
//	LMS ── event bus ──▶ eventbus.Source ──▶ pipeline.Pipeline
//	                                           │ one store transaction per event:
//	                                           │ dedup mark + awards/progress + outbox rows
//	                                           ▼
//	                                    store.Store ──▶ outbox.Dispatcher ──▶ badge.Provider
//	                                                                └──────▶ eventbus.Publisher
//
// A pipeline.Pipeline (package credential/pipeline) handles each event in
// one store transaction: it records the event id as processed for its
// consumer group, refreshes the learner's personal data, applies certificate
// events and the badge rules, and writes outbox rows for every call to the
// outside world. An outbox.Dispatcher (package store/outbox) runs those rows
// with idempotency keys, backoff, per-target limits and a dead state; the
// pipeline registers the handlers for its rows with the dispatcher
// (Pipeline.RegisterHandlers), and the dispatcher knows nothing of the
// pipeline. Effects are therefore exactly-once as seen from outside, on top
// of an at-least-once bus.
//
// # Packages
//
// This package holds documentation only; the code is in:
//
//   - credential: learners, achievements, awards and their transitions.
//   - credential/pipeline: the credential-sharing pipeline (events to awards
//     and outbox rows) and its outbox handlers.
//   - store (+ sqlitestore, mysqlstore, memstore, storetest): persistence.
//   - store/outbox: the dispatcher that runs outbox items.
//   - eventbus (+ kafkabus, redisbus, membus, eventbustest): events in and
//     out, typed Open edX payloads and the learner they are about.
//   - badge (+ credly, accredible, obv3, badgetest): the provider API that
//     plugin authors implement, its adapters and their conformance kit.
//   - badge/rules (+ rulesyaml): the rules engine: templates and their rule
//     sets, rules files, the Engine that turns events into awards.
//   - vc (+ sub-packages): Verifiable Credentials, DIDs, proofs, wallets.
//   - status: Bitstring Status List and StatusList2021.
//
// # Modules
//
// The packages above are the core module, github.com/credshare/credshare,
// except the adapters with heavy dependencies, which are modules of their
// own: eventbus/kafkabus, eventbus/redisbus, store/mysqlstore,
// store/sqlitestore, cmd/credshare and examples (go get each by its path).
// A service importing only the core inherits none of their dependencies.
//
// # Settings
//
// Every package takes its settings in one of two shapes. A value with
// required parts or many settings is built from a struct named Config (or
// SourceConfig, WebhookConfig, …) whose zero fields mean documented
// defaults: pipeline.New(pipeline.Config{…}). A value whose every setting
// has a default takes functional options named With…, after at most the
// one or two values it cannot do without: did.NewResolver(did.WithNetPolicy(…)),
// credly.New(org, token, httpapi.WithTimeout(…)). internal/archtest holds
// the exported API to this.
//
// # Getting started
//
// Run the quickstart (go run ./examples/quickstart) and read docs/ in the
// repository.
package credshare
