// Package memstore is an in-memory [store.Store]: the reference adapter the
// conformance suite (storetest) runs against in the core module, a fast store
// for tests, and a store for tiny deployments that can afford to lose their
// state on restart.
//
// It implements the same contracts as the SQL adapters (sqlitestore,
// mysqlstore): the same errors, the same idempotency and the same atomic
// operations. Times are stored in UTC and truncated to microseconds, as the
// SQL adapters store them.
//
// # Transactions
//
// All state sits behind one lock. [Store.InTx] holds it from the start of
// the function to commit or rollback, so transactions are serialisable.
// Every change made inside a transaction is recorded in an undo log; when
// the function returns an error or panics, the log is replayed backwards and
// nothing remains of the transaction (a panic is re-raised after the
// rollback). Calls on the Store itself run as one-call transactions.
//
// Because a transaction holds the lock, the function given to InTx must use
// the Repos it is handed, not the Store: a call on the Store with the
// context given to the function fails with an error matching
// store.ErrConflict rather than deadlocking.
//
// Ids assigned by the store (outbox items, badge progress) are never reused,
// also after a rollback, like AUTO_INCREMENT columns.
//
// # Copies
//
// Values go in and out by copy: byte slices, maps and slices inside records
// (payloads, evidence, provider references, seeds, rules) are cloned, so a
// caller can never change stored state by mutating what it passed or got.
//
// # Lifetime
//
// [New] returns a ready, empty store; [Store.Migrate] is a no-op kept for
// the interface. After [Store.Close] every call returns an error matching
// store.ErrClosed.
package memstore
