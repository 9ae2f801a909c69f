// Package sqlitestore is credshare's embedded default store: a single SQLite
// file, driven by the pure-Go modernc.org/sqlite (no cgo), implementing
// [store.Store].
//
//	s, err := sqlitestore.Open(ctx, "/var/lib/credshare/credshare.db")
//	if err != nil { … }
//	defer s.Close()
//	err = s.InTx(ctx, func(ctx context.Context, tx store.Repos) error { … })
//
// [Store] embeds the shared SQL implementation; its methods (InTx, Migrate,
// Close, Learners, Awards, Progress, Events, Outbox, Issuance, StatusLists,
// Exchanges, Config) follow the contracts written on the store interfaces.
//
// # Configuration
//
// [Open] takes the file's path (created when missing) and options:
// [WithBusyTimeout] (default 5 s), [WithReadConns] (default 4),
// [WithMaxRetries] (default 3), [WithClock] and [WithoutMigrate]. The
// database runs in WAL mode with synchronous=NORMAL: commits do not wait
// for a disk flush, a process crash loses nothing committed, and a power
// loss may lose the last few commits but never corrupts the file. Next to
// the file SQLite keeps "-wal" and "-shm" files; back up all three, or use
// SQLite's backup API.
//
// In-memory databases (":memory:") are refused because the read pool and the
// writer could not share one; tests open a file in t.TempDir().
//
// # Migrations
//
// The schema is embedded in the binary (migrations/*.sql) and versioned in
// the table credshare_schema_migrations. Open applies missing versions, each
// in its own BEGIN IMMEDIATE transaction that first re-checks the version,
// so running Migrate again, or several processes opening a new file at once,
// is harmless. A file migrated by a newer credshare is refused rather than
// used with an older schema.
//
// # Concurrency and locking
//
// Write transactions run one at a time (a semaphore in front of the writer
// pool), and each starts with BEGIN IMMEDIATE, which takes SQLite's write
// lock up front. That lock is what makes the atomic operations atomic
// (award upsert, outbox claim, challenge consumption, exchange transitions,
// status-list allocation): SQLite has no SELECT … FOR UPDATE and needs none,
// since one writer runs at a time. Reads made outside InTx use a separate
// pool of read-only connections and see the last committed state (WAL
// snapshots), so they never wait for the writer. Inside InTx, reads go
// through the transaction and see its own writes. Statements are prepared
// once per connection and cached.
//
// Several processes may share one file on a local disk (not a network
// file system): they queue on SQLite's lock for up to the busy timeout, and
// a transaction that still finds the database busy is run again (up to the
// configured retries), which is why an InTx function must not have effects
// outside the transaction. Calling the Store itself (instead of the Repos
// given to the function) inside InTx would wait forever for the writer; it
// returns an error matching store.ErrConflict instead.
//
// # Errors
//
// Errors match the store sentinels with errors.Is and name the operation
// and key: store.ErrNotFound, store.ErrConflict (including a uniqueness
// violation), store.ErrInvalid (invalid values, also credential.ErrInvalid,
// with the field named), store.ErrUnavailable (the file cannot be opened,
// is locked past every retry, read-only, full or not a database) and
// store.ErrClosed after Close.
//
// Times are stored as UTC microseconds since the epoch, so they come back
// in UTC with microsecond precision.
package sqlitestore
