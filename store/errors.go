package store

import (
	"errors"
	"fmt"

	"github.com/credshare/credshare/credential"
)

// Sentinel errors. Adapters wrap them so callers can test with errors.Is.
var (
	// ErrNotFound reports that the requested record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports a lost race: a lease no longer held, a one-time
	// value already used, a uniqueness violation, an optimistic version
	// mismatch.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid reports a value that cannot be stored. Errors matching it
	// also match credential.ErrInvalid.
	ErrInvalid = credential.ErrInvalid
	// ErrUnavailable reports that the database cannot be reached or
	// refused the connection (bad credentials, down, wrong DSN).
	ErrUnavailable = errors.New("store: unavailable")
	// ErrClosed reports use of a closed store.
	ErrClosed = errors.New("store: closed")
)

// NotFound returns an error matching ErrNotFound that names what was missing.
func NotFound(what string, key any) error {
	return fmt.Errorf("%w: %s %v", ErrNotFound, what, key)
}

// Conflict returns an error matching ErrConflict with a reason.
func Conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}
