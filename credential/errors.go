package credential

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with errors.Is) by every error that reports an
// invalid value. The concrete error is a *ValidationError naming the field.
var ErrInvalid = errors.New("invalid value")

// ErrTransition is matched by errors that report a state transition the
// current state does not allow, such as re-awarding a revoked, non-repeatable
// badge.
var ErrTransition = errors.New("transition not allowed")

// ValidationError reports an invalid field. It matches ErrInvalid.
type ValidationError struct {
	// Field is the dotted name of the offending field, e.g. "learner.user_id".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error implements error.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a *ValidationError for field with the given reason.
func Invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// TransitionError reports a refused state transition. It matches ErrTransition.
type TransitionError struct {
	From   Status
	To     Status
	Reason string
}

// Error implements error.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("award transition %s -> %s not allowed: %s", e.From, e.To, e.Reason)
}

// Is reports whether target is ErrTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }
