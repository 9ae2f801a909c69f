package vc

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package and its
// sub-packages matches one of them with errors.Is, except vc/bake's, which
// stays standard-library only and has its own sentinels (bake.ErrNotBaked,
// bake.ErrMalformed, …).
var (
	// ErrMalformed reports a document that is not a well-formed credential,
	// presentation, JWT or DID: bad JSON, a missing required member, a
	// member of the wrong JSON type.
	ErrMalformed = errors.New("vc: malformed document")
	// ErrTooLarge reports a document over the size limit.
	ErrTooLarge = errors.New("vc: document too large")
	// ErrTooDeep reports a document nested deeper than the depth limit.
	ErrTooDeep = errors.New("vc: document nested too deeply")
	// ErrUnsupported reports a proof type, cryptosuite, key type, DID method
	// or data model this library does not handle.
	ErrUnsupported = errors.New("vc: unsupported")
	// ErrProof reports a proof that does not verify (bad signature, wrong
	// key, wrong purpose, challenge or domain).
	ErrProof = errors.New("vc: invalid proof")
	// ErrResolve reports a DID or verification method that could not be
	// resolved.
	ErrResolve = errors.New("vc: cannot resolve")
	// ErrContext reports a JSON-LD context that could not be loaded (not
	// bundled and not allowed, too large, timed out) or a JSON-LD error
	// (an undefined term in safe mode).
	ErrContext = errors.New("vc: JSON-LD error")
	// ErrInvalid reports an invalid argument (a missing signer, an empty
	// issuer id) given by the caller.
	ErrInvalid = errors.New("vc: invalid argument")
)

// Error is an error with a sentinel kind and a message that says what is
// wrong. It matches its Kind with errors.Is and unwraps to Err when set.
type Error struct {
	// Kind is one of the sentinel errors of this package.
	Kind error
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind with a formatted message. A %w verb
// in format is not special; pass the cause with Wrap instead.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of kind with message msg around err.
func Wrap(kind error, err error, msg string) error {
	return &Error{Kind: kind, Msg: msg, Err: err}
}
