package backoffretry

import (
	"context"
	"errors"

	"github.com/cenkalti/backoff/v4"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
)

// Config configures Retry.
type Config struct {
	// NewBackOff returns a fresh policy for each event (policies are
	// stateful). Required; e.g. func() backoff.BackOff {
	// return backoff.WithMaxRetries(backoff.NewExponentialBackOff(), 5) }.
	NewBackOff func() backoff.BackOff
	// GiveUp marks the final error Permanent (the event is dead-lettered).
	GiveUp bool
}

// Retry returns the middleware. It panics when cfg.NewBackOff is nil, a
// programming error caught at start-up.
func Retry(cfg Config) eventbus.Middleware {
	if cfg.NewBackOff == nil {
		panic("backoffretry: Config.NewBackOff is required")
	}
	return func(next eventbus.Handler) eventbus.Handler {
		return func(ctx context.Context, e eventbus.Event) error {
			var last error
			err := backoff.Retry(func() error {
				last = next(ctx, e)
				if last != nil && retry.IsPermanent(last) {
					return backoff.Permanent(last)
				}
				return last
			}, backoff.WithContext(cfg.NewBackOff(), ctx))
			if err == nil {
				return nil
			}
			if last == nil {
				last = err // the context ended before the first call
			}
			var perm *backoff.PermanentError
			if errors.As(err, &perm) || retry.IsPermanent(last) {
				return last
			}
			if cfg.GiveUp {
				return retry.Permanent(last)
			}
			return last
		}
	}
}
