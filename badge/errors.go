package badge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

// Sentinel errors. Provider errors wrap one of them so callers can branch
// with errors.Is without knowing the provider. ErrNotFound, ErrUnauthorized,
// ErrInvalid and ErrConflict, and errors wrapping them, are permanent
// (retry.IsPermanent from credential/retry); ErrRateLimited and
// ErrUnavailable are not.
var (
	// ErrNotFound reports that the provider does not know the badge,
	// template, account or event.
	ErrNotFound = retry.Permanent(errors.New("badge: not found"))
	// ErrUnauthorized reports a missing, invalid or expired API token, or
	// a token without the needed permission. Retrying does not help; the
	// token must be replaced.
	ErrUnauthorized = retry.Permanent(errors.New("badge: unauthorized (API token invalid, expired or lacking permission)"))
	// ErrInvalid reports a request the provider (or the adapter, before
	// sending) refused as invalid. Errors matching it also match
	// credential.ErrInvalid.
	ErrInvalid = retry.Permanent(fmt.Errorf("badge: %w", credential.ErrInvalid))
	// ErrConflict reports a request that clashes with the provider's state
	// in a way the adapter could not resolve (e.g. a duplicate badge that
	// is revoked and cannot be re-issued).
	ErrConflict = retry.Permanent(errors.New("badge: conflict"))
	// ErrRateLimited reports that the provider throttled the call (HTTP
	// 429). The error's RetryAfter says how long to wait when the provider
	// said so.
	ErrRateLimited = errors.New("badge: rate limited")
	// ErrUnavailable reports a provider that could not be reached, timed
	// out, answered 5xx, or answered something unreadable. A retry may help.
	ErrUnavailable = errors.New("badge: provider unavailable")
)

// MaxErrorBody is the most bytes of a provider's response body an Error keeps.
const MaxErrorBody = 2048

// Error is a failed provider call. It matches (errors.Is) the sentinel in
// Kind and unwraps to Err. It implements Retryable() bool and
// RetryAfter() time.Duration, which the outbox dispatcher acts on.
//
// An Error never contains the API token: adapters build it from the status,
// the API's error code and message, and a bounded, redacted body.
type Error struct {
	// Provider is the provider id ("credly", "accredible", …).
	Provider string
	// Op names the call ("issue", "revoke", "list templates", …).
	Op string
	// StatusCode is the HTTP status, 0 when no response was received.
	StatusCode int
	// Code is the API's error code, when it gave one.
	Code string
	// Message is the API's error message (or a description of the failure).
	Message string
	// Body is the start of the response body (at most MaxErrorBody bytes),
	// with secrets removed.
	Body string
	// RetryDelay is the wait the provider asked for (Retry-After), if any.
	RetryDelay time.Duration
	// Temporary says whether a retry can help.
	Temporary bool
	// Kind is the sentinel this error matches (ErrNotFound, …).
	Kind error
	// Err is the underlying cause (a network error, a context error), if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Op != "" {
		b.WriteString(" ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		b.WriteString(": ")
	}
	switch {
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.Kind != nil:
		b.WriteString(e.Kind.Error())
	default:
		b.WriteString("failed")
	}
	if e.Kind == ErrUnauthorized && !strings.Contains(strings.ToLower(b.String()), "token") {
		b.WriteString(" (API token invalid or expired)")
	}
	if e.RetryDelay > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryDelay)
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Retryable reports whether a retry can help.
func (e *Error) Retryable() bool { return e.Temporary }

// RetryAfter returns the wait the provider asked for, or 0.
func (e *Error) RetryAfter() time.Duration { return e.RetryDelay }

// HTTPError classifies a provider's HTTP error response. It is what the
// Credly and Accredible adapters use, and plugin authors may use it too:
//
//   - 400, 404 → ErrNotFound (404) or ErrInvalid (400), not retryable;
//   - 401, 403 → ErrUnauthorized, not retryable;
//   - 409 → ErrConflict, not retryable;
//   - 408, 425, 429 → ErrRateLimited (429) or ErrUnavailable, retryable,
//     with Retry-After parsed from header;
//   - 422 and other 4xx → ErrInvalid, not retryable;
//   - 5xx → ErrUnavailable, retryable (with Retry-After when given).
//
// body is cut to MaxErrorBody bytes and every secret is removed from it;
// code and message should come from the API's error JSON and are redacted too.
func HTTPError(provider, op string, status int, header http.Header, body []byte, code, message string, secrets ...string) *Error {
	e := &Error{
		Provider:   provider,
		Op:         op,
		StatusCode: status,
		Code:       Redact(code, secrets...),
		Message:    Redact(message, secrets...),
		Body:       Redact(Truncate(string(body), MaxErrorBody), secrets...),
	}
	if header != nil {
		e.RetryDelay = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	}
	switch {
	case status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = ErrUnauthorized
	case status == http.StatusConflict:
		e.Kind = ErrConflict
	case status == http.StatusTooManyRequests:
		e.Kind, e.Temporary = ErrRateLimited, true
	case status == http.StatusRequestTimeout || status == http.StatusTooEarly:
		e.Kind, e.Temporary = ErrUnavailable, true
	case status >= 400 && status < 500:
		e.Kind = ErrInvalid
	default:
		e.Kind, e.Temporary = ErrUnavailable, true
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// TransportError wraps a failure to get a response (connection refused,
// timeout, cancelled context). It is retryable: a cancelled or expired
// context means the call may not have happened, and the idempotency key
// makes a later retry safe.
func TransportError(provider, op string, err error, secrets ...string) *Error {
	e := &Error{Provider: provider, Op: op, Kind: ErrUnavailable, Temporary: true, Err: err}
	msg := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		msg = "request cancelled"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		msg = "request timed out"
	}
	e.Message = Redact(msg, secrets...)
	return e
}

// ParseRetryAfter parses a Retry-After header value: seconds or an HTTP
// date (relative to now). It returns 0 for an empty or unreadable value, and
// caps the result at 24 hours.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(n * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence,
// marking the cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// Redact replaces every occurrence of each non-empty secret in s (and of
// its base64 forms as used in Basic auth) with "[REDACTED]".
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 || s == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
		for _, form := range []string{sec + ":", sec} {
			if enc := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(form)), "="); len(enc) >= 4 {
				s = strings.ReplaceAll(s, enc, "[REDACTED]")
			}
		}
	}
	return s
}
