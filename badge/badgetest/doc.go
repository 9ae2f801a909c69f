// Package badgetest is the conformance kit for badge providers: a plugin
// author runs Run against their provider and gets the same checks the
// Credly and Accredible adapters pass.
//
// # Running the suite
//
// Write a Harness whose New returns an Env: the provider, a template it can
// issue, and optionally the Faults wrapper in front of its backend and a
// Count function that says how many badges the backend holds for a
// template and recipient. Then:
//
//	func TestConformance(t *testing.T) {
//		badgetest.Run(t, badgetest.Harness{New: newEnv, SlowDelay: time.Second})
//	}
//
// Run checks: a non-empty ID; Issue returns an id and a state; the same
// idempotency key twice gives one badge; concurrent issues to different
// learners; a lost (malformed) response and a response slower than the
// provider's timeout end in retryable errors after which a retry still
// yields one badge; Revoke, twice; revoking unknown badges gives
// badge.ErrNotFound; bad input gives badge.ErrInvalid, never retryable;
// cancelled and expired contexts end the call with the context's error;
// 5xx bursts give retryable badge.ErrUnavailable; 429 gives
// badge.ErrRateLimited with RetryAfter; 401 gives badge.ErrUnauthorized
// mentioning the token; tokens never appear in errors; and
// badge.StateGetter when implemented.
//
// # Faults
//
// Faults is an http.Handler wrapper for fake provider servers: queued
// one-shot faults (status bursts, Retry-After, delays, malformed bodies),
// a fixed latency and a token-bucket rate limit answering 429. The fakes in
// badge/credly/credlyfake and badge/accredible/accrediblefake use it, and
// so can a plugin's own fake (see examples/custom-provider).
package badgetest
