// Package credlyfake is an in-process fake of the Credly Web Service API
// for tests, examples and benchmarks. It behaves like the real API where
// credshare depends on it: Basic auth with an organisation token (401 for a
// wrong or expired one), organisation lookup, badge templates over many
// pages linked by metadata.next_page_url, issuing (201, pending; 422 for a
// duplicate of template and recipient, an unknown or archived template or a
// bad issued_at), list badges with badge_template_id / recipient_email /
// issuer_earner_id / state filters, get, revoke (422 when already revoked),
// and events fetched by id. Faults (bursts of 5xx, 429 with Retry-After,
// latency, a rate limit, slow or malformed responses) come from a
// badgetest.Faults in front of it.
//
// # Faults
//
// Server.Faults (a *badgetest.Faults) injects bursts of 5xx, 429 with
// Retry-After, latency, a token-bucket rate limit, slow responses and
// malformed bodies; see badgetest.Fault.
//
// # Use outside tests
//
// New ties the server's life to a test; NewServer and Close let examples
// and benchmarks run it on their own.
package credlyfake
