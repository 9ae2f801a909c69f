// Package mysqlstore implements [store.Store] on MySQL 8 or MariaDB 10.11
// with github.com/go-sql-driver/mysql, for deployments that run several
// credshare processes against one database.
//
//	s, err := mysqlstore.Open(ctx, "credshare:secret@tcp(db:3306)/credshare")
//	if err != nil { … } // errors.Is(err, store.ErrUnavailable): bad DSN, down, refused
//	defer s.Close()
//
// [Store] embeds the shared SQL implementation; its methods (InTx, Migrate,
// Close, Learners, Awards, Progress, Events, Outbox, Issuance, StatusLists,
// Exchanges, Config) follow the contracts written on the store interfaces.
//
// # Configuration
//
// [Open] takes a go-sql-driver DSN and creates its own pool (closed by
// Close), with client-side parameter interpolation unless the DSN sets
// interpolateParams, so that each statement is one round trip. [New] takes
// the caller's *sql.DB as it is and leaves it open on Close. The
// options are [WithIsolation] (default READ COMMITTED), [WithMaxRetries]
// (default 5), [WithMigrationLockTimeout] (default 60 s),
// [WithMaxOpenConns] (Open only, default 20), [WithConnectTimeout] (default
// 5 s), [WithClock] and [WithoutMigrate].
//
// The DSN needs no particular parameters: parseTime and loc may be set
// either way, since the store writes times as UTC text and reads them back
// as UTC whatever the driver does. It must not set clientFoundRows (the
// store relies on affected-row counts; New detects it and refuses). The SQL
// is written for both servers: upserts use ON DUPLICATE KEY UPDATE
// c = VALUES(c) (MariaDB rejects MySQL's "AS new" alias) and the isolation
// level is set per transaction through sql.TxOptions (MariaDB has no
// transaction_isolation variable for a DSN to set).
//
// Tables are prefixed "cs_", use InnoDB and the utf8mb4_bin collation (keys
// such as event ids and idempotency keys compare byte for byte), and store
// times as DATETIME(6) in UTC.
//
// # Migrations
//
// The schema is embedded (migrations/*.sql) and versioned in the table
// credshare_schema_migrations. Migrate holds a named lock (GET_LOCK of
// "credshare.migrate." followed by the MD5 of the database name, which
// stays within MySQL's 64-character limit) while it applies missing
// versions, so processes starting at once migrate once; the others wait up
// to the migration lock timeout and find nothing left to do. MySQL commits
// DDL implicitly, so every statement is re-runnable (CREATE TABLE IF NOT
// EXISTS with its indexes inline) and a version interrupted half-way is
// applied again on the next start. A database migrated by a newer
// credshare is refused.
//
// # Concurrency and locking
//
// Write transactions run at READ COMMITTED, which takes no gap locks; the
// paths that need mutual exclusion use locking reads: SELECT … FOR UPDATE
// for the award upsert, awards read inside InTx (so a read-modify-Put never
// overwrites a change committed in between), challenge consumption, exchange transitions,
// outbox settlement and status-list allocation (serialised per issuer and
// purpose by a head row, so two processes never create two lists at once),
// and SELECT … FOR UPDATE SKIP LOCKED for the outbox claim, so concurrent
// dispatchers take disjoint items without waiting for each other.
// A read outside InTx is one statement on the pool, in one round trip; the
// reads that take more than one statement (StatusLists.Entries) share a
// REPEATABLE READ read-only transaction, one consistent snapshot.
//
// When the server reports a deadlock (error 1213) or a lock wait timeout
// (1205), InTx, and each call made outside InTx, rolls back and runs the
// whole function again, up to the configured retries; an InTx function must
// therefore have no effects outside the transaction. The server has already
// rolled the transaction back at that point, so if the function ignores the
// error, every later call in it fails with the same error and InTx runs the
// function again rather than committing what little would remain.
//
// # Errors
//
// Errors match the store sentinels with errors.Is and name the operation
// and key: store.ErrNotFound; store.ErrConflict (a lost race, or duplicate
// key 1062); store.ErrInvalid (invalid values, with the field named, and
// values a server in strict SQL mode, the default, refuses: too long 1406,
// out of range 1264, bad string 1366); store.ErrUnavailable (a malformed DSN, an unreachable server,
// refused credentials 1045/1044, a missing database 1049, too many
// connections, a broken connection); store.ErrClosed after Close. Errors
// from Open and New say what is wrong and where (user, address, database)
// but never contain the password: if the driver's message would contain it,
// it is masked.
//
// # Tests
//
// Package [github.com/credshare/credshare/store/mysqlstore/mysqltest] opens
// a store in a fresh database credshare_<random> on the server named by
// CREDSHARE_MYSQL_DSN, and drops it when the test ends.
package mysqlstore
