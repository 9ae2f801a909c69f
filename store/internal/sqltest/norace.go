//go:build !race

package sqltest

// RaceEnabled reports whether the race detector is on.
const RaceEnabled = false
