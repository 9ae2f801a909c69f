//go:build !race

package status_test

// allocationsPerWorker is 5,000: 8 workers make the 40,000 allocations the
// concurrency requirement names.
const allocationsPerWorker = 5000
