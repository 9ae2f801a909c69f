// Package integration is the home of credshare's tests that need the heavy
// adapters: the pipeline, the rules property, status allocation and the
// wallet flows run here on memstore, SQLite (modernc), MariaDB
// (go-sql-driver) and Kafka (kfake), with the OpenTelemetry SDK where they
// check metrics and traces.
//
// They live in a module of their own (this directory's go.mod) so that the
// core module — credential, badge, vc, status, eventbus, store — requires
// none of those drivers: a service importing only the core does not inherit
// them in its module graph. The tests are the core packages' own external
// tests, moved here unchanged: internal/integration/pipeline holds
// credential/pipeline's, rules holds badge/rules' delivery property,
// status holds status's SQL allocation race and benchmarks, wallet holds
// vc/wallet/wallettest's flows. make test runs this module like every
// other one of go.work.
//
// This package has no code.
package integration
