// Package verifypage serves the public verification page of issued
// credentials: one URL per credential, an HTML page for people and a JSON
// document for machines, showing what the credential attests and whether it
// verifies now.
//
// # Sections
//
// Routes. Handler serves GET (and HEAD) /{id} and /{id}.json, where id is
// the issuance record's UUID in its canonical lowercase form — the
// credential id is "urn:uuid:{id}" for every credential vc/wallet and
// badge/obv3 issue. /{id} answers JSON when the Accept header prefers
// application/json (or carries ?format=json), HTML otherwise, with Vary:
// Accept; /{id}.json is always JSON. Mount it under a prefix with
// http.StripPrefix and set Config.BaseURL to the public URL of that prefix.
// Unknown, pending or malformed ids are 404 with a generic body; store
// failures are 503 with a generic body, the detail going to the log.
//
// Result. Every request reads the stored credential and verifies it with
// Config.Verifier (a vc/verify Verifier whose status checker reads the
// issuer's lists), so the page says what is true now: Valid, Revoked,
// Suspended, Expired, Invalid (a proof, issuer or structure failure) or
// Unknown (a status entry could not be read; never shown as valid). The
// outcome is kept for CacheTTL (default DefaultCacheTTL) per credential,
// at most DefaultCacheEntries of them (least recently used dropped first),
// so a burst of visits costs one verification. When Config.Status is set,
// each credentialStatus entry is also read on its own and listed with its
// purpose. Reason codes (vc.Reason.Code) are shown; reason messages, which
// can carry addresses and internal errors, go to the log only.
//
// Disclosure. The page shows only what the credential itself discloses:
// the achievement (name, description, image, criteria), the issuer (id,
// name, web site, image), the validity dates, the recipient's DID and the
// recipient's name when the credential carries one. It never shows an
// e-mail address, nor the hashed identifier of one. Images are shown only
// from https URLs or raster data: URIs (PNG, JPEG, GIF, WebP); links only
// to https URLs; anything else is dropped.
//
// Rate limit. Each client may make Config.RateLimit.Rate requests per
// second (default DefaultRate) with bursts of Burst (default DefaultBurst),
// whatever the request answers; over that it gets 429 Too Many Requests
// with Retry-After and a generic body. A client is its peer address (an
// IPv6 address by its /64); budgets are kept for at most Clients
// (default DefaultClients) clients, the least recently seen dropped first.
// Behind a reverse proxy, list it in RateLimit.TrustedProxies: then, and
// only for requests from it, the client is read from X-Forwarded-For.
//
// Security. Pages are rendered with html/template (contextual escaping),
// carry no script, and are served with Content-Security-Policy
// default-src 'none', a per-response style nonce, img-src https: data:,
// frame-ancestors 'none', base-uri 'none' and form-action 'none', along
// with X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
// Cache-Control: no-store. Config.Template replaces the page template; it
// gets a *Page and must put the nonce on its style element.
package verifypage
