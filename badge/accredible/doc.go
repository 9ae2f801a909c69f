// Package accredible is the Accredible badge provider: a client for the
// Accredible API v1 and a badge.Provider that serves every Accredible API
// account configured in the store.
//
// A Provider implements badge.Provider (Issue, Revoke), badge.StateGetter,
// badge.TemplateLister (groups) and badge.RateLimited, and offers Delete. A
// Client is the lower-level API for one key: Groups, Design,
// CreateCredential, UpdateCredential, ExpireCredential, DeleteCredential,
// Credential and SearchCredentials.
//
// # Configuration
//
// Accounts are store.ProviderAccount records with Provider "accredible",
// ID = a name the host chooses and Secret = the API key (sent as
// "Authorization: Bearer <key>"). A badge template's ExternalID is the
// group id. Options: WithBaseURL (ProductionURL by default; WithSandbox),
// WithHTTPClient, WithTimeout, WithRetry, WithMaxRetryAfter, WithLimits,
// WithClock and WithLogger, all checked at construction. Keys never appear
// in URLs, logs or errors.
//
// # Issuing and revoking
//
// Issue sends the recipient (name, e-mail, id = the learner id), group_id,
// issued_on = the award's date, expired_on when set, complete = true,
// evidence items and the award's id in meta_data. Accredible does not refuse
// duplicates, so Issue first searches the group for a valid credential of
// the recipient and returns it; and it never repeats a create inside the
// call after an ambiguous failure (timeout, 5xx, unreadable answer), since
// the create may have happened: the retryable error goes to the outbox,
// whose later retry searches again. Accredible has no revoke verb: Revoke
// sets expired_on to the revocation date (PUT credentials/{id}); Delete
// removes a credential.
//
// # Errors
//
// Errors are *badge.Error values classified like Credly's (see package
// badge): 401/403 → badge.ErrUnauthorized, 404 → badge.ErrNotFound, 400/422
// → badge.ErrInvalid, 429 → badge.ErrRateLimited with RetryAfter, 5xx and
// timeouts → badge.ErrUnavailable; retry.IsPermanent (credential/retry)
// gives the verdict.
//
// # Rate limits
//
// Accredible allows 2000 requests per 5 minutes per IP address;
// DefaultLimits (6.5/s) is what Limits reports and what the client paces
// its attempts to unless WithLimits says otherwise.
//
// # State and webhooks
//
// The Accredible API offers no webhooks for credential changes, so states
// are refreshed by polling BadgeState (GET credentials/{id}): a credential
// is StateExpired once its expired_on date is reached, StateAccepted
// otherwise. badge.RefreshStates(ctx, st, provider,
// badge.RefreshOptions{Provider: "accredible"}) walks the badge awards with
// an Accredible reference and stores the states that changed; run it
// periodically.
//
// # Group sync
//
// ListTemplates lists the groups of one account (every page, with the
// image of each group's primary design). badge.SyncTemplates uses it and
// touches only that account's templates: syncing one account never
// archives another's groups (Open edX deletes them).
package accredible
