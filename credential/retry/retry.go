// Package retry is the one verdict on whether a failed call is worth
// repeating, shared by every part of credshare that retries: the event bus
// sources (redeliver or dead-letter an event), the outbox dispatcher (retry
// or kill an item) and the badge providers (whose errors say which they
// are).
//
// An error is permanent when it, or an error it wraps, was marked with
// [Permanent] or has a method Retryable() bool that returns false. Every
// other error — context errors and network errors included — is worth
// retrying, because the callers bound their attempts and a lost award is
// worse than a wasted call. Temporary() is deliberately not consulted:
// net/url errors report false for a cancelled request, which a later attempt
// may well complete.
//
// A package declares a sentinel error permanent by marking it when it is
// declared,
//
//	var ErrInvalid = retry.Permanent(errors.New("provider: invalid request"))
//
// and every error wrapping it with fmt.Errorf("%w") is permanent too, since
// errors.As walks the whole chain; errors.Is still matches the sentinel. A server's hint of
// when to try again travels as a method RetryAfter() time.Duration, which
// [Delay] reads and [After] attaches.
package retry

import (
	"errors"
	"time"
)

// permanentError marks an error that repeating the call cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Retryable() bool { return false }

// Permanent marks err as permanent: repeating the call cannot succeed, so
// the caller gives up at once (dead-letters the event, kills the outbox
// item). Permanent(nil) is nil, and an error already permanent is returned
// as it is.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return permanentError{err}
}

// IsPermanent reports whether err is permanent: err or an error it wraps was
// marked with Permanent or has a Retryable() bool method returning false.
// nil is not permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && !r.Retryable()
}

type afterError struct {
	err   error
	after time.Duration
}

func (e afterError) Error() string             { return e.err.Error() }
func (e afterError) Unwrap() error             { return e.err }
func (e afterError) RetryAfter() time.Duration { return e.after }

// After attaches a server's hint (an HTTP 429's Retry-After) that the call
// should not be repeated for at least d. After(nil, d) is nil; d <= 0
// returns err unchanged.
func After(err error, d time.Duration) error {
	if err == nil || d <= 0 {
		return err
	}
	return afterError{err: err, after: d}
}

// Delay returns the wait that err, or an error it wraps, asks for through a
// RetryAfter() time.Duration method, or 0.
func Delay(err error) time.Duration {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return max(r.RetryAfter(), 0)
	}
	return 0
}
