// Package credly is the Credly (formerly Acclaim) badge provider: a client
// for the Credly Web Service API, a badge.Provider that serves every
// organisation configured in the store, template sync, and a webhook
// handler.
//
// A Provider implements badge.Provider (Issue, Revoke), badge.TemplateLister
// (active badge templates, every page), badge.StateGetter (a badge's
// state), badge.WebhookProvider and badge.RateLimited. A Client is the
// lower-level API for one organisation: Organization, BadgeTemplates,
// IssueBadge, RevokeBadge, Badge, Badges and Event.
//
// # Configuration
//
// Organisations are store.ProviderAccount records with Provider "credly",
// ID = the organisation id and Secret = its authorization token (Credly
// tokens expire, 180 days by default). NewProvider takes any AccountSource:
// store.Config, or StaticAccounts in tests and small programs. Options:
// WithBaseURL (ProductionURL by default; WithSandbox for SandboxURL; any
// https URL, or http to a loopback test server), WithHTTPClient,
// WithTimeout (per attempt), WithRetry, WithMaxRetryAfter, WithLimits and
// WithLogger. Options are checked when the client is built.
//
// Requests use HTTP Basic auth with the token as user name and an empty
// password, JSON in and out. The token never appears in URLs, logs or
// errors, and next-page links pointing to another host are refused.
//
// # Issuing
//
// Issue sends recipient_email, first and last name (falling back to the
// username), badge_template_id, issued_at = the award's time in Credly's
// "2006-01-02 15:04:05 -0700" format (Open edX sends the template's
// creation date instead), expires_at when set, evidence (URL values as
// UrlEvidence, others as TextEvidence) and issuer_earner_id = the learner
// id. Credly refuses a duplicate badge (same template and recipient) with
// 422; Issue then looks the badge up and returns it, so a retry after a
// lost response, or a second call with the same idempotency key, never
// issues twice. Revoke sends the reason; revoking a revoked badge succeeds.
//
// # Errors
//
// Every error is a *badge.Error: it matches badge.ErrUnauthorized (401/403,
// "token invalid or expired"), badge.ErrNotFound (404), badge.ErrInvalid
// (400/422), badge.ErrConflict, badge.ErrRateLimited (429) or
// badge.ErrUnavailable (5xx, timeouts, connection errors, unreadable
// answers), carries the HTTP status, Credly's message and at most
// badge.MaxErrorBody bytes of the body, and says through
// retry.IsPermanent (credential/retry) whether a retry can help.
//
// # Rate limits
//
// 5xx, 408, 429, timeouts and unreadable answers are retried inside the
// call with capped exponential backoff and jitter (cenkalti/backoff);
// a 429's Retry-After is honoured up to WithMaxRetryAfter and otherwise
// handed back in the error (badge.RetryAfter) for the outbox to wait out.
// Other 4xx are never retried. Credly publishes no rate limit; WithLimits
// declares one, which Limits reports to the outbox dispatcher and which the
// client also uses to pace its own attempts. See docs/perf/providers.md.
//
// # Webhooks
//
// WebhookHandler (or Provider.WebhookHandler) receives Credly's POSTs. It
// trusts nothing in the body: the event and organisation ids must be
// Credly ids (ValidID: lowercase canonical UUIDs), the call must pass the
// shared secret when one is configured, and the event is then fetched back
// from the API with the organisation's own token, from a URL built of the
// validated ids only; the answer must be that very event (same id,
// organisation and event type). An unknown or inactive organisation gets
// the same 401 as a bad secret; a malformed body, a wrong answer or an
// event Credly does not know gets 400, with no effect; 503 when Credly or
// the store cannot be reached; never 500. Answers are generic, the reason
// goes to the log with the X-Request-Id. Events are applied once: the
// event id is marked processed (group WebhookGroup) in the same store
// transaction as the change. Template events create, update or archive
// templates (rules are kept; nothing is deleted); badge events update the
// award's Credly state.
//
// Client methods taking an event or badge id (Event, Badge, RevokeBadge)
// refuse an id not in Credly's format before sending anything (ErrInvalidID)
// and refuse an answer about another object (ErrWrongObject).
//
// # Template sync
//
// badge.SyncTemplates(ctx, st.Config(), provider, badge.SyncOptions{
// Provider: "credly", AccountID: org}) creates, updates and archives the
// organisation's templates from the active list, with a dry-run mode.
package credly
