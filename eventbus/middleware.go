package eventbus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/credshare/credshare/credential/retry"
)

// RetryPolicy configures Retry: capped exponential backoff with jitter.
type RetryPolicy struct {
	// MaxAttempts is the number of calls to the handler, the first included;
	// 0 means 5.
	MaxAttempts int
	// Initial is the delay before the second attempt; 0 means 100ms.
	Initial time.Duration
	// Max caps the delay; 0 means 10s.
	Max time.Duration
	// Multiplier grows the delay after each attempt; 0 means 2.
	Multiplier float64
	// Jitter is the random fraction of each delay, in [0, 1]: a delay d
	// becomes a random value in [d·(1−Jitter), d]. 0 means 0.5; use a
	// negative value for none.
	Jitter float64
	// GiveUp marks the error of the last attempt Permanent, so the event
	// goes to the dead-letter queue. Without it the error is returned as it
	// is and, when retryable, the source redelivers the message later (the
	// right choice when the failure is an outage of something the handler
	// needs, such as the database).
	GiveUp bool
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = 0.5
	case p.Jitter < 0:
		p.Jitter = 0
	case p.Jitter > 1:
		p.Jitter = 1
	}
	return p
}

// Backoff returns the delay before attempt n+1 after n failed attempts
// (n ≥ 1), with jitter applied.
func (p RetryPolicy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := float64(p.Initial)
	for i := 1; i < n && d < float64(p.Max); i++ {
		d *= p.Multiplier
	}
	if d > float64(p.Max) {
		d = float64(p.Max)
	}
	if p.Jitter > 0 {
		d -= d * p.Jitter * rand.Float64()
	}
	return time.Duration(d)
}

// Retry calls the handler again after a retryable error, waiting
// p.Backoff between attempts, up to p.MaxAttempts calls. Permanent errors
// are returned at once. It stops waiting when ctx is done.
func Retry(p RetryPolicy) Middleware {
	p = p.withDefaults()
	return func(next Handler) Handler {
		return func(ctx context.Context, e Event) error {
			var err error
			for attempt := 1; ; attempt++ {
				err = next(ctx, e)
				if err == nil || retry.IsPermanent(err) {
					return err
				}
				if attempt >= p.MaxAttempts {
					break
				}
				t := time.NewTimer(p.Backoff(attempt))
				select {
				case <-ctx.Done():
					t.Stop()
					return err
				case <-t.C:
				}
			}
			err = fmt.Errorf("eventbus: %d attempts failed: %w", p.MaxAttempts, err)
			if p.GiveUp {
				return retry.Permanent(err)
			}
			return err
		}
	}
}

// ProcessedChecker tells whether a consumer group has already applied an
// event. store.Events satisfies it.
type ProcessedChecker interface {
	// IsProcessed reports whether group has applied eventID.
	IsProcessed(ctx context.Context, group, eventID string) (bool, error)
}

// Dedup skips events that group has already applied (returning nil, so the
// message is acknowledged). It is a fast pre-check: the handler must still
// record the event as processed in the same transaction as its effects,
// which is what makes redelivery harmless. When the check itself fails the
// handler runs anyway.
func Dedup(group string, c ProcessedChecker) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e Event) error {
			if e.ID != "" {
				if done, err := c.IsProcessed(ctx, group, e.ID); err == nil && done {
					return nil
				}
			}
			return next(ctx, e)
		}
	}
}

// DeadLetter sends events whose handler returned a permanent error to dl
// with the error as the reason, and then returns nil so the message is
// acknowledged. When dl fails, the error is returned (retryable) and the
// message stays unacknowledged.
func DeadLetter(dl DeadLetterer) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e Event) error {
			err := next(ctx, e)
			if err == nil || !retry.IsPermanent(err) {
				return err
			}
			if dlErr := dl.DeadLetter(ctx, e, err); dlErr != nil {
				return fmt.Errorf("eventbus: dead-lettering event %s failed: %w (handler error: %v)", e.ID, dlErr, err)
			}
			return nil
		}
	}
}

// ErrTimeout is wrapped by the error Timeout returns for an attempt that ran
// out of time; it is retryable.
var ErrTimeout = errors.New("eventbus: handler timed out")

// Timeout gives each call of the handler at most d: the handler's context
// is cancelled after d. Handlers must honour ctx; Timeout waits for the
// handler to return so that no work outlives the acknowledgement decision.
func Timeout(d time.Duration) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e Event) error {
			parent := ctx
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			err := next(ctx, e)
			if err != nil && ctx.Err() == context.DeadlineExceeded && parent.Err() == nil {
				return fmt.Errorf("%w after %s: %w", ErrTimeout, d, err)
			}
			return err
		}
	}
}

// Recover turns a panic in the handler into a *PanicError, which is
// permanent, so the event goes to the dead-letter queue instead of crashing
// the consumer.
func Recover() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e Event) (err error) {
			defer func() {
				if v := recover(); v != nil {
					err = &PanicError{Value: v, Stack: debug.Stack()}
				}
			}()
			return next(ctx, e)
		}
	}
}
