package wallet

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors. Every error the package returns for a refused request is
// an *Error that matches exactly one of them with errors.Is.
var (
	// ErrUnauthenticated: the host could not say who the learner is.
	ErrUnauthenticated = errors.New("wallet: not authenticated")
	// ErrForbidden: the learner asked for an award that is not theirs.
	ErrForbidden = errors.New("wallet: forbidden")
	// ErrNotFound: unknown award, issuance record, exchange or offer.
	ErrNotFound = errors.New("wallet: not found")
	// ErrMalformed: the request body or a parameter could not be parsed.
	ErrMalformed = errors.New("wallet: malformed request")
	// ErrTooLarge: the request body exceeds the configured limit.
	ErrTooLarge = errors.New("wallet: request too large")
	// ErrChallenge: the challenge (or nonce) is not this request's.
	ErrChallenge = errors.New("wallet: wrong challenge")
	// ErrReplayed: the challenge, code or nonce was already used.
	ErrReplayed = errors.New("wallet: already used")
	// ErrExpired: the challenge, exchange, offer or token expired.
	ErrExpired = errors.New("wallet: expired")
	// ErrProof: the presentation or proof of possession does not verify,
	// has the wrong purpose, or is not made by the holder's key.
	ErrProof = errors.New("wallet: invalid proof")
	// ErrRevoked: the award was revoked; no credential is issued for it.
	ErrRevoked = errors.New("wallet: award revoked")
	// ErrUnsupported: a format, data model, grant or proof type this
	// issuer does not offer.
	ErrUnsupported = errors.New("wallet: unsupported")
	// ErrState: the exchange is not in a state that allows this step.
	ErrState = errors.New("wallet: wrong exchange state")
	// ErrTimeout: the request could not be answered within
	// Config.RequestTimeout (or the client went away); answered with 503.
	ErrTimeout = errors.New("wallet: request timed out")
)

// Error is a refused wallet request: an HTTP status, a short machine code
// and a reason a developer can act on. The reason goes to the remote
// caller, so it never holds secrets nor anything learnt from an internal
// operation (a dial error, an address, the URL of a fetch, the text of a Go
// error): that detail is the Cause, which is logged, never sent.
type Error struct {
	// Kind is the sentinel the error matches.
	Kind error
	// Status is the HTTP status to answer with (4xx).
	Status int
	// Code is a short code for the "error" member of the JSON body
	// (OAuth-style: "invalid_request", "invalid_proof", …).
	Code string
	// Reason is the human-readable explanation ("error_description").
	Reason string
	// Cause is the internal error behind the refusal (a resolver's or
	// verifier's error), for the log; nil when the request alone explains
	// it. It is never written to the response.
	Cause error
}

// Error implements error. It includes the Cause: it is for logs and
// programs, the response carries Code and Reason only.
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%v: %s: %v", e.Kind, e.Reason, e.Cause)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Reason)
}

// Is reports whether target is e's sentinel.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the Cause, so errors.Is and errors.As see through to it
// (context.DeadlineExceeded, vc.ErrResolve, …).
func (e *Error) Unwrap() error { return e.Cause }

// WithCause returns a copy of e with cause as its Cause (logged, never
// sent to the caller).
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// Fail returns an *Error of kind with the status and code that kind maps to
// and the given reason.
func Fail(kind error, format string, args ...any) *Error {
	status, code := http.StatusBadRequest, "invalid_request"
	switch kind {
	case ErrUnauthenticated:
		status, code = http.StatusUnauthorized, "unauthenticated"
	case ErrForbidden:
		status, code = http.StatusForbidden, "forbidden"
	case ErrNotFound:
		status, code = http.StatusNotFound, "not_found"
	case ErrTooLarge:
		status, code = http.StatusRequestEntityTooLarge, "request_too_large"
	case ErrChallenge:
		status, code = http.StatusBadRequest, "invalid_challenge"
	case ErrReplayed:
		status, code = http.StatusConflict, "already_used"
	case ErrExpired:
		status, code = http.StatusGone, "expired"
	case ErrProof:
		status, code = http.StatusBadRequest, "invalid_proof"
	case ErrRevoked:
		status, code = http.StatusConflict, "award_revoked"
	case ErrUnsupported:
		status, code = http.StatusBadRequest, "unsupported"
	case ErrState:
		status, code = http.StatusConflict, "invalid_state"
	case ErrTimeout:
		status, code = http.StatusServiceUnavailable, "temporarily_unavailable"
	}
	return &Error{Kind: kind, Status: status, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// WithCode returns a copy of e answering with another code (protocols such
// as OID4VCI fix their own error codes) and, when status is non-zero,
// another status.
func (e *Error) WithCode(code string, status int) *Error {
	c := *e
	c.Code = code
	if status != 0 {
		c.Status = status
	}
	return &c
}

// ErrorBody is the JSON body of an error response. The member names are
// OAuth 2.0's, which OID4VCI wallets expect; the other protocols use the
// same shape.
type ErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteError answers with err: an *Error gives its status, code and reason
// (never its Cause); anything else is a 500 whose body says only
// "server_error" (the cause is not leaked to the caller). It logs nothing:
// the protocols' handlers answer through Service.WriteError, which logs the
// detail with the request id first.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		WriteJSON(w, http.StatusInternalServerError, ErrorBody{Error: "server_error", Description: "the issuer could not complete the request"})
		return
	}
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+e.Code+`"`)
	}
	if e.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	WriteJSON(w, e.Status, ErrorBody{Error: e.Code, Description: e.Reason})
}
