package status

import (
	"errors"
	"fmt"

	"github.com/credshare/credshare/vc"
)

// Sentinel errors. Every error this package returns matches one of them
// (or a store or vc sentinel it passes on) with errors.Is.
var (
	// ErrInvalid reports an invalid argument or configuration: a list size
	// under the minimum, an index out of range, a value that does not fit
	// the status size, an unknown purpose.
	ErrInvalid = errors.New("status: invalid argument")
	// ErrMalformed reports outside input that cannot be read: an encoded
	// list that is not base64url or gzip, a list credential missing a
	// member, a status entry with a bad index, a malformed list URL.
	ErrMalformed = errors.New("status: malformed")
	// ErrTooLarge reports a fetched document or decompressed list over the
	// configured limit.
	ErrTooLarge = errors.New("status: too large")
	// ErrFetch reports a status list credential that could not be fetched
	// (network error, timeout, non-200 answer, refused redirect).
	ErrFetch = errors.New("status: cannot fetch the status list credential")
	// ErrMismatch reports a status list credential that does not fit the
	// entry that points at it: another issuer, another purpose, another
	// type, another id, an index beyond its end.
	ErrMismatch = errors.New("status: the status list does not match the entry")
	// ErrExpired reports a status list credential outside its validity
	// period (validUntil passed, or validFrom not reached).
	ErrExpired = errors.New("status: the status list credential is not valid now")
	// ErrUnsigned reports a status list credential whose proof is missing
	// or does not verify.
	ErrUnsigned = errors.New("status: the status list credential's proof does not verify")
)

// Error is an error of a sentinel kind with a message: the vc package's
// Error, so one type serves both packages. It matches its Kind (one of the
// sentinels above, or a vc or store sentinel) with errors.Is and unwraps to
// its cause.
type Error = vc.Error

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: "status: " + fmt.Sprintf(format, args...)}
}

func wrap(kind, err error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: "status: " + fmt.Sprintf(format, args...), Err: err}
}

// FetchError reports a status list credential that could not be fetched:
// the network policy refused the destination, the connection or the
// request failed, the host answered other than 200 OK, or the document is
// over the size limit. Its Error text is generic, fit for a remote caller
// (and Result.Reason); Detail names the URL and the cause, for logs. It
// matches ErrFetch (and Kind, ErrTooLarge for a document over the limit)
// and unwraps to the cause: a *netguard.DeniedError when the policy
// refused.
type FetchError struct {
	// URL is the status list credential's URL.
	URL string
	// Kind is ErrFetch or ErrTooLarge.
	Kind error
	// Err is the cause.
	Err error
}

// Error implements error with a text that names no address or cause.
func (e *FetchError) Error() string { return "status: the status list credential could not be fetched" }

// Detail says what failed, for logs (not for remote callers: it can name
// internal addresses and network errors).
func (e *FetchError) Detail() string {
	s := "status: fetching " + clip(e.URL)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrFetch or e's Kind.
func (e *FetchError) Is(target error) bool { return target == ErrFetch || target == e.Kind }

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }
