package store

import (
	"errors"
	"fmt"

	"github.com/credshare/credshare/credential"
	"github.com/google/uuid"
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

// RulesVersionConflict is the error of Config.PutTemplateIf when the
// stored template is not the version the write was based on: another
// writer stored the template (or other rules for it) since it was read.
// Nothing was written; read the template again and retry. It matches
// ErrConflict.
type RulesVersionConflict struct {
	// Template is the template's UUID.
	Template uuid.UUID
	// Want is the rules version the write expected (0: no template).
	Want int
	// Have is the stored rules version (0: no template stored).
	Have int
}

// Error implements error.
func (e *RulesVersionConflict) Error() string {
	return fmt.Sprintf("%s: template %s: rules version %d stored, the write expected %d", ErrConflict, e.Template, e.Have, e.Want)
}

// Is reports whether target is ErrConflict.
func (e *RulesVersionConflict) Is(target error) bool { return target == ErrConflict }
