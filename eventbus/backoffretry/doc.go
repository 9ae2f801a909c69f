// Package backoffretry is a Retry middleware for eventbus handlers driven
// by a github.com/cenkalti/backoff/v4 policy, for hosts that already tune
// their retries with that package. (eventbus.Retry is the stdlib-only
// equivalent.)
//
// # Semantics
//
// A handler error marked eventbus.Permanent (or otherwise permanent by
// eventbus.IsPermanent) stops the retries at once and is returned as is.
// Retryable errors are retried with the delays the policy gives until the
// policy returns backoff.Stop or the context is done; the last error is
// then returned — marked Permanent when GiveUp is set, so the source
// dead-letters the event, or left retryable so the source redelivers it
// later.
package backoffretry
