// Package rules decides when learners earn badges: the rules engine.
//
// A Template carries a rule Set; an Engine built from the templates turns
// Open edX learning events into progress and award transitions inside the
// caller's store transaction, with the semantics of Open edX Credentials'
// badges app, its defects fixed. The platforms that issue the badges are
// the other side: package badge holds the provider API (Provider, the
// requests, the optional capabilities, *badge.Error) that plugin authors
// implement, and this package builds on it, never the other way round.
//
// # Sections
//
// Rules. A Template has a rule Set: Requirements, Penalties, Requires (badges
// the learner must already hold) and an optional Window. A Requirement
// names an event type, a group and DataRules; it is satisfied by an event
// of that type whose payload tree satisfies every data rule. A requirement
// without data rules matches any event of its type (Open edX never matches
// one). A Count makes a requirement count distinct values of a path ("5
// different courses passed"), optionally within its own Window. Paths are
// dotted and relative to the payload record, exactly as Open edX's
// data_path: "is_passing", "course.course_key", "user.pii.email" for a
// passing-status event; "mode", "grade", "course.course_key" for a
// certificate event.
//
// Rule sets come from the store (store.Template.Rules holds the Set as
// JSON; FromStore and Template.ToStore convert) or from a declarative rules
// file a host keeps in version control: ParseFile reads the JSON form
// (File) and package badge/rules/rulesyaml the YAML form. PutTemplates stores
// a parsed file. LoadEngine builds an Engine from the store.
//
// Operators. eq and ne compare Python's str() of the event value ("True",
// "None", "42", "1.0") with the rule value after Open edX's normalisation:
// "True", "true", "Yes", "yes" and "+" mean "True"; "False", "false", "No",
// "no" and "-" mean "False"; a missing path is "None". in and not_in test
// membership the same way. gt, gte, lt and lte compare numbers (numeric
// strings, such as a certificate's grade "0.85", count) or RFC 3339 times.
// exists tests presence (value false: absence). matches applies an RE2
// regular expression, compiled once. See the Op constants.
//
// Groups. Requirements with the same Group are alternatives (OR); every
// group must be fulfilled (AND); progress is fulfilled groups / groups
// (ProgressReport.Ratio). The badge is awarded only when every group is
// fulfilled — Open edX awards on the first fulfilled requirement — and,
// when the rule set has a Window, every group's fulfilment lies within it
// ("all within D"), and every badge in Requires is held. Awarding a badge
// cascades to templates that require it. A repeatable badge starts over
// after each award and is granted again (credential.Award.Times counts).
//
// Penalties. A Penalty whose data rules an event satisfies unfulfils the
// requirements in Resets. It revokes the badge only when the badge is
// awarded and the progress no longer fulfils every group; a learner who
// never earned the badge gets no revocation and no badge.revoked event
// (Open edX emits both). In one event, requirements are applied before
// penalties, as in Open edX.
//
// Re-award. A badge revoked by the rules (a penalty; the award's RevokedBy
// is credential.RevokedByRules) is awarded again when its requirements are
// fulfilled again, as Open edX Credentials does on pass → fail → pass. It
// is a new credential (credential.Award.Reissue): a new award UUID and the
// next Generation, so a new provider badge (Credly does not un-revoke one;
// Open edX leaves its Credly badge revoked, which is not copied), new
// status-list entries when it is issued as a VC, and a new badge.awarded
// event; the old credential stays revoked, and the store keeps both
// (store.Awards.Get returns the current one). A badge revoked by a person
// (credential.RevokedByPerson) stays revoked until a person reverses it;
// the rules never override it, whether the badge is repeatable or not. A
// person revokes with `credshare revoke AWARD --reason TEXT` (or
// credential/pipeline's Pipeline.Revoke) and reverses it with `credshare
// reinstate AWARD --reason TEXT` (Pipeline.Reinstate: a new credential,
// the next generation); the CLI calls no provider itself but queues the
// provider calls and badge events for the deployment's outbox dispatcher.
// A badge revoked at Credly (its webhook reports the badge revoked while
// the award is awarded) is recorded as a person's revocation too
// (credly.WebhookConfig.Revocations, Pipeline.RevokedAtProvider), with
// badge.revoked but no call back to Credly; a revocation credshare itself
// sent there stays the rules'. A repeatable badge that is
// awarded keeps its semantics: it is granted again on the same award
// record (Times counts). All of this is replay-safe: applying the same
// events again changes nothing (see Example_reawardAfterPenalty).
//
// Engine and outcomes. Engine.Apply applies one Event (id, type, time,
// learner, payload tree) inside the caller's store transaction and returns
// an Outcome: the award transitions (AwardChange, with the stored award and
// its cause), the fulfilments added and removed, and the progress reached.
// Every fulfilment records the event id, its time and the matched rules
// (store.Fulfillment.Matched); every award records its cause event (its
// id and time) and, as AwardedAt / RevokedAt, the time the transition was
// made (Event.At, the pipeline's clock). Applying
// an event again changes nothing and returns an empty Outcome, as does an
// event older than the badge's last transition, so each transition is
// reported once and the pipeline can enqueue its provider call and
// badge.awarded / badge.revoked event exactly once. Engine.Match evaluates
// the rules alone, without a store; the engine indexes requirements by
// event type and by their most selective equality rule.
//
// Versions. The store numbers a template's rule sets: storing different
// rules creates a new version and keeps the old one (store.Config.RulesAt).
// Progress remembers the version it was made under and keeps being
// evaluated with that rule set, so editing an active template does not
// silently rewrite progress already made; new learners start on the
// current version, and a repeatable badge's progress moves to the current
// version when it starts over. LoadEngine also indexes the event types of
// older versions. Build a new Engine after changing templates.
//
// Errors. Validation (Set.Validate, Template.Validate, ValidateTemplates,
// ParseFile) reports every problem at once as joined *Error values naming
// the template and the field, e.g.
// `template "Python": requirements[py1].rules[0].path: event type
// org.openedx.learning.certificate.created.v1 has no field
// "certificate.mode" (paths are relative to the "certificate" record:
// write "mode")`. Each matches one kind — ErrUnknownOperator, ErrBadPath,
// ErrBadValue, ErrBadRegexp, ErrBadCount, ErrEmptyGroup, ErrBadPenalty,
// ErrBadID, ErrBadDependency, ErrBadTemplate — and ErrInvalid, which
// matches badge.ErrInvalid and credential.ErrInvalid. Problems lists them.
// Apply returns ErrInvalidEvent for an event without id, type, time or
// learner, and store errors unchanged.
package rules
