// Package credential holds the domain model of credshare: learners, the
// achievements they can earn (course certificates, program certificates and
// badge templates) and awards, the record that a learner holds an
// achievement, together with the explicit, validated transitions between
// award states.
//
// The package imports only the standard library and github.com/google/uuid,
// so every adapter and plugin can depend on it cheaply.
//
// # Learners
//
// A [Learner] is keyed by the LMS's stable numeric user id, never by the
// username, which can change. Personal data (username, e-mail, full name) is
// refreshed from every event that carries it; see [Learner.Merge].
//
// # Awards and transitions
//
// An [Award] is unique per (learner, achievement). It is created awarded, may
// be revoked, and may be awarded again only when the achievement allows it
// (a repeatable badge template, or a certificate re-issued by the LMS). Every
// transition records the id and time of the event that caused it. Use
// [Award.Grant] and [Award.Revoke] rather than setting fields by hand: they
// validate the transition and report whether anything changed, which is what
// makes event processing idempotent.
//
// # Errors
//
// Invalid values are reported as [*ValidationError], which matches
// [ErrInvalid] with errors.Is and names the offending field. A transition that
// the current state does not allow matches [ErrTransition].
package credential
