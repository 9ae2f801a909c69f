package status_test

import (
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store/memstore"
)

// base is the status lists' base URL in these tests, as in status's own.
const base = "https://creds.example.edu/status"

func newService(t testing.TB, base string, cfg status.Config) *status.Service {
	t.Helper()
	cfg.BaseURL = base
	s, err := status.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newMem(t testing.TB) *memstore.Store {
	t.Helper()
	s := memstore.New()
	t.Cleanup(func() { _ = s.Close() })
	return s
}
