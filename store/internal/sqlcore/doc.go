// Package sqlcore is the SQL implementation of the store interfaces shared
// by the sqlitestore and mysqlstore adapters: every record store, the
// transaction boundary with retries, error wrapping and the migration
// runner. The adapters supply a Dialect (lock clauses, upsert syntax, time
// encoding, error classification), their schema and their connections.
//
// # Concurrency and locking
//
// Write transactions run on Config.Write with Config.WriteTx; the atomic
// operations read the rows they change with Dialect.ForUpdate (empty for
// SQLite, whose single writer already excludes others) and the outbox
// claim with Dialect.SkipLocked. A one-statement read outside InTx runs on
// Config.Read directly; several reads that must agree share a read-only
// transaction there. A transaction failing with an error the dialect
// calls retryable is run again, at most Config.MaxRetries times.
//
// # Errors
//
// Record stores return store sentinel errors naming the key; database
// errors are prefixed with the adapter name, the operation and the key, and
// carry the sentinel Dialect.Classify gives them.
package sqlcore
