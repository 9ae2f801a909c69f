// Package httpapi is the HTTP plumbing for badge providers that call a
// JSON API over HTTPS: the Credly and Accredible adapters are built on it,
// and so can a provider written outside this module (see
// docs/writing-a-provider.md and examples/custom-provider).
//
// An API is made once per provider from a Config and is safe for
// concurrent use. Each call is a Call: an operation name, a method, a path
// relative to the base URL, an optional JSON body, a function that adds
// the credentials and the secret to keep out of errors. Do runs it and
// returns either the status or a *badge.Error that says whether trying
// again can help, which the outbox acts on (credential/retry.IsPermanent,
// retry.Delay):
//
//	api, err := httpapi.New(httpapi.Config{Provider: "acme", BaseURL: "https://api.acme.example/v1/"})
//	…
//	var out struct{ ID string }
//	_, err = api.Do(ctx, httpapi.Call{
//		Op: "issue", Method: http.MethodPost, Path: "badges", Body: in, Out: &out,
//		Auth:   func(r *resty.Request) { r.SetAuthToken(token) },
//		Secret: token,
//	})
//
// A provider serving several accounts (organisations, API keys) keeps one
// client per account in an Accounts cache, which looks the account up in a
// badge.AccountSource on every call (a rotated secret is used at once) and
// holds a bounded number of clients.
//
// # Options
//
// Settings are structs whose zero fields mean the documented defaults
// (Config for New, Call for Do, AccountsConfig for NewAccounts). The
// functional options a provider offers its users are this package's
// Option values, which set Config's fields (WithBaseURL, WithTimeout,
// WithRetry, WithLimits, …): credly.Option and accredible.Option are
// Option, so every provider built here takes the same options, and a
// plugin's constructor gets them by calling Build with its defaults.
//
// # Retries
//
// Do retries 5xx, 408, 429, timeouts, connection errors and unreadable 2xx
// answers up to Config.MaxAttempts, waiting with capped exponential
// backoff and jitter, or a Retry-After up to Config.MaxRetryAfter; a
// longer Retry-After ends the call with an error carrying it, for the
// outbox to reschedule. Calls marked Unsafe (a create the server does not
// deduplicate) are repeated only after a 429 or when never sent.
//
// # Pacing
//
// With Config.Limits.Rate set, every attempt takes a slot from a GCRA
// bucket shared by all goroutines using the API; a 429 pushes the schedule
// back one interval.
//
// # Errors
//
// A refused answer becomes badge.HTTPError (status, Retry-After, the API's
// error code and message as ErrorMessage or Call.Errors reads them, a body
// capped at badge.MaxErrorBody); a network failure becomes
// badge.TransportError. Responses are read up to 8 MiB.
//
// # Destinations
//
// Without Config.HTTPClient, calls go through a vc/netguard client whose
// policy allows exactly the base URL's host (plain http only for a
// loopback base URL, as ValidateBaseURL admits), and redirects are followed
// only to the base URL's scheme and host; a refused destination is not
// retried. A Call's absolute Path (a next-page link) must have the base
// URL's scheme and host. A client given in Config.HTTPClient is used as
// given.
//
// # Secrets
//
// Call.Secret is removed from every error and span; nothing is logged but
// one debug line per retry, without bodies or headers.
//
// # Tracing
//
// With Config.TracerProvider set, each HTTP request (each attempt) is
// recorded as a client span named SpanRequest. No trace header is sent to
// the API.
package httpapi
