// Package storetest is the conformance suite for store.Store adapters. Every
// adapter (memstore, sqlitestore, mysqlstore, and any third-party one) runs
// it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := open(t) // fresh, empty, migrated
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// # What is checked
//
// [Run] has one subtest per record store (Learners, Awards, Progress,
// Events, Outbox, Issuance, StatusLists, Exchanges, Config) plus Lifecycle
// and Transactions. Each checks the method contracts written in package
// store: not-found errors, idempotency (award upsert keeping the first UUID,
// processed marks, outbox idempotency keys, SetStatus, template rule
// versions), validation errors that match store.ErrInvalid and
// credential.ErrInvalid and name the field, ordering and pagination, leases
// and their expiry, conflicts for non-owners and lost races, the dead list
// and re-queueing, migrations run twice, and use after Close.
//
// # Races
//
// The atomic operations are raced from several goroutines: 8 workers × 2,000
// award upserts over overlapping keys must leave exactly one award per key;
// 8 claimers must receive every outbox item exactly once; 8 concurrent
// challenge consumptions and exchange transitions must give exactly one
// success; 8 goroutines allocating status-list entries inside transactions
// must get distinct ordinals and roll over to a new list when one is full.
// Slow adapters can scale the award and outbox races with [WithAwardRace]
// and [WithOutboxRace]; with -short the defaults shrink.
//
// # Transactions
//
// A transaction that writes to every record store and then returns an error
// (or panics) must leave no trace, and one that changes existing records
// must leave them as they were; the function's error must come back
// unchanged.
//
// # Times
//
// Adapters may store times with microsecond precision; the suite compares
// instants with a one-microsecond tolerance, and times the store sets itself
// (CreatedAt, UpdatedAt) only for being set and close to now. It never
// sleeps: leases expire by passing a later "now".
package storetest
