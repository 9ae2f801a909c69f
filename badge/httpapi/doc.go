// Package httpapi is the HTTP plumbing shared by the Credly and Accredible
// adapters: one resty client per provider client, a retry loop with capped
// exponential backoff and jitter (cenkalti/backoff) that honours
// Retry-After, per-attempt timeouts, error classification into
// *badge.Error, bounded bodies and redaction of API tokens.
//
// # Retries
//
// Do retries 5xx, 408, 429, timeouts, connection errors and unreadable 2xx
// answers up to Config.MaxAttempts, waiting with capped exponential
// backoff and jitter, or a Retry-After up to Config.MaxRetryAfter. Calls
// marked Unsafe are repeated only after a 429 or when never sent.
//
// # Pacing
//
// With Config.Rate set, every attempt takes a slot from a shared GCRA
// bucket; a 429 pushes the schedule back one interval.
//
// # Destinations
//
// Without Config.HTTPClient, calls go through a vc/netguard client whose
// policy allows exactly the base URL's host (plain http only for a
// loopback base URL, as ValidateBaseURL admits), and redirects are followed
// only to the base URL's scheme and host; a refused destination is not
// retried. A client given in Config.HTTPClient is used as given.
//
// # Secrets
//
// Call.Secret is removed from every error; resty never logs.
package httpapi
