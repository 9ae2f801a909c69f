//go:build race

package sqltest

// RaceEnabled reports whether the race detector is on. Under it the SQLite
// driver runs 10–20 times slower (modernc's SQLite is Go translated from C,
// and every memory access is checked), so the adapters' conformance runs
// shrink the award race to keep each package well under a minute when
// `make test` runs many packages at once.
const RaceEnabled = true
