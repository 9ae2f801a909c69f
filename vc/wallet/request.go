package wallet

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// RequestIDHeader is the header that carries a request's id, in both
// directions: an id the caller sends is kept when it is valid (at most 64
// characters of A-Z a-z 0-9 . _ -), otherwise one is generated; either way
// the response echoes it and every log line of the request carries it.
const RequestIDHeader = "X-Request-ID"

// maxRequestID bounds an accepted X-Request-ID.
const maxRequestID = 64

type requestIDKey struct{}

// RequestID returns the id Middleware (or the Registry's handler) gave the
// request whose context is ctx, or "" outside such a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID reports whether a caller's X-Request-ID may be used as is.
func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRequestID returns a fresh id: 12 random bytes, base64url (16 characters).
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// withRequestID gives r a request id (the one already in its context, the
// caller's valid X-Request-ID, or a fresh one) and echoes it in w's header.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := RequestID(r.Context())
	if id == "" {
		id = r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	}
	w.Header().Set(RequestIDHeader, id)
	return r
}

// deadlineError is the context cause of a request whose RequestTimeout
// passed.
type deadlineError struct{ d time.Duration }

func (e deadlineError) Error() string {
	return fmt.Sprintf("wallet: the request deadline of %s passed", e.d)
}

// Unwrap makes the cause match context.DeadlineExceeded too.
func (e deadlineError) Unwrap() error { return context.DeadlineExceeded }

// withDeadline serves h with a deadline of d on the request's context.
func withDeadline(h http.Handler, w http.ResponseWriter, r *http.Request, d time.Duration) {
	ctx, cancel := context.WithTimeoutCause(r.Context(), d, deadlineError{d})
	defer cancel()
	h.ServeHTTP(w, r.WithContext(ctx))
}

// Middleware wraps a protocol's handler (lcw, vcapi and oid4vci wrap their
// own): each request gets a request id (RequestIDHeader) and a context
// with the deadline Config.RequestTimeout, which also ends when the client
// goes away. Work that honours the context (DID resolution, proof
// verification, canonicalisation, the store) stops with it, and the
// request is answered 503 (ErrTimeout) through WriteError.
func (s *Service) Middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		withDeadline(h, w, withRequestID(w, r), s.cfg.RequestTimeout)
	})
}

// WriteError answers a wallet request that failed, and logs why with the
// request id: a refusal (*Error) at Warn with its code, reason and Cause
// (the detail the response leaves out); anything else at Error, answered
// with a generic 500. A request whose context is done (RequestTimeout
// passed, the client went away, the server is shutting down) is answered
// 503 with a generic body.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeLogged(s.log, w, r, err)
}

// timeoutError is the refusal of a request whose context is done.
func timeoutError(ctx context.Context, err error) *Error {
	return Fail(ErrTimeout, "the issuer could not answer in time; try again").WithCause(errors.Join(context.Cause(ctx), err))
}

// ctxDone returns the ErrTimeout refusal when ctx is done (err is what the
// work failed with), nil otherwise.
func ctxDone(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return nil
	}
	return timeoutError(ctx, err)
}

// writeLogged is WriteError with the logger given.
func writeLogged(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	attrs := []any{"request_id", RequestID(ctx), "method", r.Method, "path", r.URL.Path}
	var we *Error
	if ctx.Err() != nil && !(errors.As(err, &we) && we.Kind == ErrTimeout) {
		err = timeoutError(ctx, err)
	}
	if !errors.As(err, &we) {
		log.ErrorContext(ctx, "wallet request failed", append(attrs, "err", err)...)
		WriteError(w, err)
		return
	}
	attrs = append(attrs, "status", we.Status, "code", we.Code, "reason", we.Reason)
	if we.Cause != nil {
		attrs = append(attrs, "cause", logDetail(we.Cause))
	}
	switch {
	case we.Kind == ErrTimeout && errors.As(context.Cause(ctx), new(deadlineError)):
		log.WarnContext(ctx, "wallet request timed out", attrs...)
	case we.Kind == ErrTimeout && ctx.Err() != nil:
		log.InfoContext(ctx, "wallet request cancelled (the client went away or the server is stopping)", attrs...)
	default:
		log.WarnContext(ctx, "wallet request refused", attrs...)
	}
	WriteError(w, we)
}

// logDetail is the text of err for the log: its message and, when err or an
// error it wraps keeps a detail out of its message (the generic fetch errors
// of vc/did and status have a Detail method naming the URL and the dial
// error), that detail too. It never reaches the remote client.
func logDetail(err error) string {
	msg := err.Error()
	var d interface{ Detail() string }
	if errors.As(err, &d) {
		if detail := d.Detail(); detail != "" && detail != msg {
			return msg + ": " + detail
		}
	}
	return msg
}
