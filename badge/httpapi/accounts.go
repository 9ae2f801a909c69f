package httpapi

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/store"
)

// DefaultMaxAccounts is how many clients an Accounts cache keeps when
// AccountsConfig.Max is zero.
const DefaultMaxAccounts = 1024

// AccountsConfig configures an Accounts cache. Zero fields take the
// defaults given.
type AccountsConfig[C any] struct {
	// Provider is the provider id accounts are looked up under (the
	// provider argument of badge.AccountSource.GetAccount) and errors
	// carry. Required.
	Provider string
	// Source finds the accounts. Required.
	Source badge.AccountSource
	// New makes the client of an active account that has a secret. It is
	// called on the first use of an account and again whenever the
	// account's secret has changed; an error it returns is returned by Get
	// and For as it is. Required.
	New func(acc store.ProviderAccount) (C, error)
	// Noun names an account in errors ("Credly organisation"); default
	// "account".
	Noun string
	// SecretNoun names an account's secret in errors ("token", "API key");
	// default "secret".
	SecretNoun string
	// Max bounds how many clients are kept; when it is reached the least
	// recently used one is dropped (and made again if needed). Default
	// DefaultMaxAccounts.
	Max int
}

// Accounts keeps one client per provider account: a provider serving
// several accounts (Credly organisations, Accredible API keys) asks it for
// the client of a request's Template.AccountID. Every Get looks the
// account up in the Source, so a rotated secret or a deactivated account
// takes effect at once; a client is reused while its account's secret is
// unchanged. It is safe for concurrent use.
type Accounts[C any] struct {
	cfg AccountsConfig[C]

	mu    sync.Mutex
	byID  map[string]*list.Element // of *entry[C]
	order *list.List               // most recently used first
}

type entry[C any] struct {
	id, secret string
	client     C
}

// NewAccounts validates cfg, applies its defaults and returns an empty
// cache.
func NewAccounts[C any](cfg AccountsConfig[C]) (*Accounts[C], error) {
	switch {
	case cfg.Provider == "":
		return nil, errors.New("httpapi: AccountsConfig.Provider is required")
	case cfg.Source == nil:
		return nil, fmt.Errorf("%s: an AccountSource is required", cfg.Provider)
	case cfg.New == nil:
		return nil, fmt.Errorf("%s: AccountsConfig.New is required", cfg.Provider)
	case cfg.Max < 0:
		return nil, fmt.Errorf("%s: AccountsConfig.Max must not be negative", cfg.Provider)
	}
	cfg.Noun = cmp.Or(cfg.Noun, "account")
	cfg.SecretNoun = cmp.Or(cfg.SecretNoun, "secret")
	cfg.Max = cmp.Or(cfg.Max, DefaultMaxAccounts)
	return &Accounts[C]{cfg: cfg, byID: map[string]*list.Element{}, order: list.New()}, nil
}

// Get returns the client of account id, looked up in the Source. The
// error is a *badge.Error: matching badge.ErrInvalid for an empty id, an
// unknown or an inactive account, badge.ErrUnauthorized for an account
// without a secret, and retryable (badge.ErrUnavailable) when the Source
// fails.
func (a *Accounts[C]) Get(ctx context.Context, id string) (C, error) {
	var zero C
	if id == "" {
		return zero, a.fail("template.account_id (the "+a.cfg.Noun+") is required", badge.ErrInvalid, nil)
	}
	acc, err := a.cfg.Source.GetAccount(ctx, a.cfg.Provider, id)
	if errors.Is(err, store.ErrNotFound) {
		return zero, a.fail("unknown "+a.cfg.Noun+" "+id, badge.ErrInvalid, err)
	}
	if err != nil {
		e := a.fail("look up "+a.cfg.Noun+": "+err.Error(), badge.ErrUnavailable, err)
		e.Temporary = true
		return zero, e
	}
	if acc.ID == "" {
		acc.ID = id
	}
	return a.For(acc)
}

// For returns the client of an account the caller has already looked up
// (a webhook handler reading it in a transaction, say), with Get's checks
// and errors.
func (a *Accounts[C]) For(acc store.ProviderAccount) (C, error) {
	var zero C
	if !acc.Active {
		return zero, a.fail(a.cfg.Noun+" "+acc.ID+" is inactive", badge.ErrInvalid, nil)
	}
	if acc.Secret == "" {
		return zero, a.fail(a.cfg.Noun+" "+acc.ID+" has no "+a.cfg.SecretNoun, badge.ErrUnauthorized, nil)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if el, ok := a.byID[acc.ID]; ok {
		if e := el.Value.(*entry[C]); e.secret == acc.Secret {
			a.order.MoveToFront(el)
			return e.client, nil
		}
		a.order.Remove(el)
		delete(a.byID, acc.ID)
	}
	c, err := a.cfg.New(acc)
	if err != nil {
		return zero, err
	}
	a.byID[acc.ID] = a.order.PushFront(&entry[C]{id: acc.ID, secret: acc.Secret, client: c})
	for a.order.Len() > a.cfg.Max {
		last := a.order.Back()
		a.order.Remove(last)
		delete(a.byID, last.Value.(*entry[C]).id)
	}
	return c, nil
}

// Len returns how many clients the cache holds.
func (a *Accounts[C]) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.order.Len()
}

func (a *Accounts[C]) fail(msg string, kind error, err error) *badge.Error {
	return &badge.Error{Provider: a.cfg.Provider, Message: msg, Kind: kind, Err: err}
}
