//go:build race

package status_test

// allocationsPerWorker is smaller under the race detector, which slows
// every database round trip several times over; `go test` without -race runs
// the full 8 × 5,000.
const allocationsPerWorker = 500
