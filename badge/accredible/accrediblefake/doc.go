// Package accrediblefake is an in-process fake of the Accredible API v1 for
// tests, examples and benchmarks. Each API key is its own account with its
// own groups, designs and credentials. It answers like the real API where
// credshare depends on it: Bearer (or "Token token=") auth with 401 "HTTP
// Token: Access denied." otherwise; issuer/all_groups paged with page and
// page_size and a meta object; designs/{id}; POST credentials (200 with an
// integer id, 422 for an unknown group or a missing recipient, no
// duplicate check — like the real API); credentials/search by group and
// recipient e-mail, paged; GET, PUT (and PATCH) and DELETE credentials/{id}
// (404 {"errors":"Doesn't exist"}). Faults come from a badgetest.Faults in
// front of it.
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
package accrediblefake
