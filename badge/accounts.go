package badge

import (
	"context"

	"github.com/credshare/credshare/store"
)

// AccountSource finds provider accounts (their API tokens) for the provider
// adapters, which look them up on every call so a rotated token is used at
// once. store.Config satisfies it, and so does StaticAccounts.
type AccountSource interface {
	GetAccount(ctx context.Context, provider, id string) (store.ProviderAccount, error)
}

// StaticAccounts is an AccountSource from a map of account id (a Credly
// organisation id, an Accredible key name) to API token, for tests and
// small programs.
type StaticAccounts map[string]string

// GetAccount implements AccountSource: an active account of any provider
// for a known id, store.ErrNotFound otherwise.
func (s StaticAccounts) GetAccount(_ context.Context, provider, id string) (store.ProviderAccount, error) {
	secret, ok := s[id]
	if !ok {
		return store.ProviderAccount{}, store.NotFound("provider account", provider+"/"+id)
	}
	return store.ProviderAccount{ID: id, Provider: provider, Secret: secret, Active: true}, nil
}
