package httpapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/store"
)

// accountMap is a badge.AccountSource whose accounts the test changes.
type accountMap map[string]store.ProviderAccount

func (m accountMap) GetAccount(_ context.Context, provider, id string) (store.ProviderAccount, error) {
	if acc, ok := m[id]; ok {
		return acc, nil
	}
	return store.ProviderAccount{}, store.NotFound("provider account", provider+"/"+id)
}

type failingSource struct{}

func (failingSource) GetAccount(context.Context, string, string) (store.ProviderAccount, error) {
	return store.ProviderAccount{}, errors.New("database is down")
}

type client struct{ id, secret string }

func newCache(t *testing.T, src badge.AccountSource, max int, made *int) *httpapi.Accounts[*client] {
	t.Helper()
	a, err := httpapi.NewAccounts(httpapi.AccountsConfig[*client]{
		Provider: "acme", Source: src, Noun: "Acme account", SecretNoun: "token", Max: max,
		New: func(acc store.ProviderAccount) (*client, error) {
			*made++
			if acc.ID == "bad/id" {
				return nil, &badge.Error{Provider: "acme", Message: "bad id", Kind: badge.ErrInvalid}
			}
			return &client{id: acc.ID, secret: acc.Secret}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccountsReuseAndRotation(t *testing.T) {
	src := accountMap{"a": {ID: "a", Secret: "s1", Active: true}}
	made := 0
	a := newCache(t, src, 0, &made)
	ctx := context.Background()
	c1, err := a.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := a.Get(ctx, "a")
	if c1 != c2 || made != 1 {
		t.Fatalf("the client was not reused: %p %p, made %d", c1, c2, made)
	}
	src["a"] = store.ProviderAccount{ID: "a", Secret: "s2", Active: true}
	c3, _ := a.Get(ctx, "a")
	if c3 == c1 || c3.secret != "s2" || made != 2 || a.Len() != 1 {
		t.Fatalf("a rotated secret: got %+v, made %d, len %d", c3, made, a.Len())
	}
}

func TestAccountsErrors(t *testing.T) {
	src := accountMap{
		"off":    {ID: "off", Secret: "s", Active: false},
		"nokey":  {ID: "nokey", Active: true},
		"bad/id": {ID: "bad/id", Secret: "s", Active: true},
	}
	made := 0
	a := newCache(t, src, 0, &made)
	ctx := context.Background()
	for id, want := range map[string]error{"": badge.ErrInvalid, "missing": badge.ErrInvalid, "off": badge.ErrInvalid, "nokey": badge.ErrUnauthorized, "bad/id": badge.ErrInvalid} {
		_, err := a.Get(ctx, id)
		var e *badge.Error
		if !errors.As(err, &e) || !errors.Is(err, want) || e.Provider != "acme" || e.Temporary {
			t.Errorf("%q: want a permanent *badge.Error matching %v, got %v", id, want, err)
		}
	}
	if _, err := a.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown account's error does not wrap store.ErrNotFound: %v", err)
	}
	if a.Len() != 0 {
		t.Errorf("refused accounts were cached: %d", a.Len())
	}
	b := newCache(t, failingSource{}, 0, &made)
	_, err := b.Get(ctx, "a")
	var e *badge.Error
	if !errors.As(err, &e) || !e.Temporary || !errors.Is(err, badge.ErrUnavailable) {
		t.Errorf("a failing source: want a retryable error, got %v", err)
	}
}

// The cache holds at most Max clients, dropping the least recently used.
func TestAccountsBounded(t *testing.T) {
	src := accountMap{}
	for _, id := range []string{"a", "b", "c"} {
		src[id] = store.ProviderAccount{ID: id, Secret: "s", Active: true}
	}
	made := 0
	a := newCache(t, src, 2, &made)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "a", "c"} { // c evicts b, the least recently used
		if _, err := a.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if a.Len() != 2 || made != 3 {
		t.Fatalf("len %d, made %d; want 2, 3", a.Len(), made)
	}
	_, _ = a.Get(ctx, "a") // still cached
	if made != 3 {
		t.Errorf("a was evicted instead of b (made %d)", made)
	}
	_, _ = a.Get(ctx, "b") // made again
	if made != 4 || a.Len() != 2 {
		t.Errorf("b: made %d, len %d", made, a.Len())
	}
}

func TestNewAccountsValidates(t *testing.T) {
	mk := func(store.ProviderAccount) (*client, error) { return &client{}, nil }
	for name, cfg := range map[string]httpapi.AccountsConfig[*client]{
		"no provider": {Source: accountMap{}, New: mk},
		"no source":   {Provider: "acme", New: mk},
		"no New":      {Provider: "acme", Source: accountMap{}},
		"negative":    {Provider: "acme", Source: accountMap{}, New: mk, Max: -1},
	} {
		if _, err := httpapi.NewAccounts(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
