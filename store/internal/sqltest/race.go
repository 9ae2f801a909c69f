//go:build race

package sqltest

// RaceEnabled reports whether the race detector is on. Under it, SQL
// drivers run 10–20 times slower (modernc's SQLite is Go translated from
// C, and every memory access is checked), so the adapters' conformance runs
// shrink the award race to keep the package under a minute.
const RaceEnabled = true
