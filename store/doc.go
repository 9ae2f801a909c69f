// Package store defines how credshare persists its state: learners, awards,
// badge progress, processed events, the outbox, VC issuance records, status
// lists, wallet exchanges and configuration (provider accounts and badge
// templates with their rules).
//
// The package holds interfaces, value types and errors only. Adapters live in
// sub-packages: sqlitestore (the embedded default, pure Go), mysqlstore
// (MySQL 8 and MariaDB 10.11) and memstore (in memory). storetest is the
// conformance suite every adapter passes.
//
// # Transactions
//
// [Store.InTx] runs a function in one transaction: everything it does through
// the [Repos] it is given commits together or not at all. This is how
// credshare keeps effects exactly-once on an at-least-once bus: the
// processed-event mark, the state change and the outbox rows for the outside
// world are written in one transaction. Calls made on the Store itself (outside
// InTx) each run in their own transaction.
//
// Repos handed to an InTx function must not be used after it returns. An
// adapter may retry the whole function when the database reports a
// serialization failure or deadlock, so the function must not have effects
// outside the transaction.
//
// # Concurrency
//
// Every method may be called from many goroutines and, for the SQL adapters,
// from many processes sharing one database. Methods documented as atomic
// (award upsert, outbox claim, status allocation, challenge consumption) are
// safe under that concurrency without any caller-side locking.
//
// # Errors
//
// Adapters return errors that match, with errors.Is, [ErrNotFound] for a
// missing record, [ErrConflict] for a lost race or broken uniqueness,
// [ErrInvalid] (and credential.ErrInvalid) for a value that cannot be stored,
// and [ErrUnavailable] when the database cannot be reached. Errors never
// contain passwords or secrets.
package store
