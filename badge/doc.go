// Package badge is the provider API: what a badge platform adapter (Credly,
// Accredible, native Open Badges 3.0, or a plugin's) implements, and the
// helpers that work on any provider.
//
// The rules that decide when a learner earns a badge are in package
// badge/rules (Template, Set, Engine); it builds on this package, which
// does not import it, so a plugin author needs only what is here.
//
// # Sections
//
// Providers. Provider issues and revokes (IssueRequest, RevokeRequest,
// Result; TemplateRef names the template at the provider);
// TemplateLister, StateGetter, WebhookProvider and RateLimited are optional
// capabilities found by type assertion (a RateLimited provider's Limits
// pace the outbox's calls to it). Adapters find their accounts' API tokens
// through an AccountSource (store.Config, or StaticAccounts). Adapters: badge/credly,
// badge/accredible, badge/obv3; conformance kit: badge/badgetest.
//
// Templates and states. SyncTemplates mirrors a provider account's
// templates into the store (TemplateUUID names each; a synchronised
// template has no rules until a host writes them, and such a template
// awards nothing); PutProviderFields writes what a provider says of one
// template (name, description, image, state) onto the stored one, keeping
// its rules, as SyncTemplates and the adapters' webhooks do;
// RefreshStates polls providers' badge states into the store for
// providers without webhooks.
//
// Errors. Provider calls fail with *Error, classified by the sentinels
// ErrNotFound, ErrUnauthorized, ErrInvalid, ErrConflict, ErrRateLimited and
// ErrUnavailable; retry.IsPermanent and retry.Delay (package
// credential/retry, the one verdict the outbox and the event bus share) say
// whether and when to try again. HTTPError and TransportError build an
// *Error from an HTTP answer or a failed round trip, keeping at most
// MaxErrorBody bytes of the body (Truncate) with secrets removed (Redact);
// ParseRetryAfter reads a Retry-After header.
package badge
