package storetest_test

import (
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/storetest"
)

// An adapter's conformance test: open returns a fresh, empty, migrated store
// per call and registers its cleanup. A slow adapter may scale the award race.
func ExampleRun() {
	var t *testing.T // the adapter's TestConformance(t *testing.T)
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.WithAwardRace(8, 500))
}
