package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// Opener returns a fresh, empty, migrated store for one test. It registers
// its own cleanup (t.Cleanup) that closes the store and drops whatever it
// created; the suite may close the store itself before that.
type Opener func(t *testing.T) store.Store

// Option adjusts the suite for an adapter.
type Option func(*options)

type options struct {
	awardWorkers, awardPuts int
	outboxItems             int
}

// WithAwardRace sets the award upsert race: workers goroutines each doing
// puts Awards.Put calls over a shared set of keys. The default is 8 × 2,000
// (8 × 250 with -short). Values below 1 keep the default.
func WithAwardRace(workers, puts int) Option {
	return func(o *options) {
		if workers > 0 {
			o.awardWorkers = workers
		}
		if puts > 0 {
			o.awardPuts = puts
		}
	}
}

// WithOutboxRace sets how many items the 8 outbox claimers race for. The
// default is 200 (64 with -short).
func WithOutboxRace(items int) Option {
	return func(o *options) {
		if items > 0 {
			o.outboxItems = items
		}
	}
}

// Run runs the conformance suite against the stores open returns: one
// subtest per record store, plus transactions and lifecycle. Every call of
// open must return a fresh, empty, migrated store.
func Run(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	o := options{awardWorkers: 8, awardPuts: 2000, outboxItems: 200}
	if testing.Short() {
		o.awardPuts, o.outboxItems = 250, 64
	}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	s := suite{open: open, o: o}
	t.Run("Lifecycle", s.lifecycle)
	t.Run("Learners", s.learners)
	t.Run("Awards", s.awards)
	t.Run("Progress", s.progress)
	t.Run("Events", s.events)
	t.Run("Outbox", s.outbox)
	t.Run("Issuance", s.issuance)
	t.Run("StatusLists", s.statusLists)
	t.Run("Exchanges", s.exchanges)
	t.Run("Config", s.config)
	t.Run("Transactions", s.transactions)
	t.Run("Batch", s.batch)
	t.Run("ProgressBatch", s.progressBatch)
}

type suite struct {
	open Opener
	o    options
}

// Helpers shared by the subtests.

// base returns a whole-second UTC time near now, the origin of test times.
func base() time.Time { return time.Now().UTC().Truncate(time.Second) }

// sameTime reports whether two times are the same instant within the
// microsecond an adapter may round away.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d <= time.Microsecond && d >= -time.Microsecond
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// recent checks that a store-set time is set, in UTC terms close to now.
func recent(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.IsZero() {
		t.Errorf("%s is zero, want it set by the store", what)
		return
	}
	if d := time.Since(got); d > time.Minute || d < -time.Minute {
		t.Errorf("%s = %v, not within a minute of now (time zone?)", what, got)
	}
}

// jsonEqual compares two JSON documents by meaning (adapters with JSON
// columns may reformat them). Two empty documents are equal.
func jsonEqual(a, b []byte) bool {
	if len(bytes.TrimSpace(a)) == 0 || len(bytes.TrimSpace(b)) == 0 {
		return len(bytes.TrimSpace(a)) == len(bytes.TrimSpace(b))
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func checkJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !jsonEqual(got, want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// wantErr fails unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// wantInvalid fails unless err matches store.ErrInvalid and
// credential.ErrInvalid and names field (case-insensitive substring).
func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	if !errors.Is(err, store.ErrInvalid) || !errors.Is(err, credential.ErrInvalid) {
		t.Errorf("%s: err = %v, want ErrInvalid", what, err)
		return
	}
	if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(field)) {
		t.Errorf("%s: error %q does not name the field %q", what, err, field)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
