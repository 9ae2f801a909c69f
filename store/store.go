package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/google/uuid"
)

// Store is a credshare database. Adapters implement it.
type Store interface {
	// Repos gives access outside an explicit transaction: each call runs in
	// its own transaction.
	Repos
	// InTx runs fn in one transaction and commits when fn returns nil; when
	// fn returns an error (or panics) everything it did is rolled back and
	// the error is returned unchanged. The Repos given to fn are valid only
	// until fn returns. The adapter may run fn more than once when the
	// database reports a serialization failure or deadlock. Nested InTx
	// calls on the Repos are not supported.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Repos) error) error
	// Migrate brings the schema to the version this code expects. Running
	// it again is harmless. Adapters' constructors run it by default.
	Migrate(ctx context.Context) error
	// Close releases the store's resources. Using the store after Close
	// returns ErrClosed.
	Close() error
}

// Repos groups the record stores. Each accessor is cheap and never fails.
type Repos interface {
	Learners() Learners
	Awards() Awards
	Progress() Progress
	Events() Events
	Outbox() Outbox
	Issuance() Issuance
	StatusLists() StatusLists
	Exchanges() Exchanges
	Config() Config
}

// Learners stores learners keyed by LMS user id.
type Learners interface {
	// Upsert inserts l, or refreshes the stored learner's personal data with
	// l's non-empty fields (credential.Learner.Merge). It returns the stored
	// learner and whether anything changed. Invalid learners give ErrInvalid.
	Upsert(ctx context.Context, l credential.Learner) (credential.Learner, bool, error)
	// Get returns the learner with the given user id, or ErrNotFound.
	Get(ctx context.Context, userID int64) (credential.Learner, error)
}

// AwardFilter selects awards in Awards.List. Zero fields do not filter.
type AwardFilter struct {
	LearnerID int64
	Kind      credential.Kind
	// AchievementID filters on the achievement id (needs Kind).
	AchievementID string
	Status        credential.Status
	// After is the UUID of the last award of the previous page (ordering is
	// by an adapter-stable key); the zero UUID starts at the beginning.
	After uuid.UUID
	// Limit caps the result; 0 means 100. Adapters cap it at 1000.
	Limit int
}

// Awards stores awards, unique per (learner, achievement).
type Awards interface {
	// Put inserts a, or — when an award for the same (learner, achievement)
	// exists — overwrites its mutable fields (status, times, causes,
	// evidence, providers) while keeping the stored UUID. It is atomic under
	// concurrency: many concurrent Puts for one key leave exactly one row.
	// It returns the stored award (with the UUID that is actually stored)
	// and whether a row was created. Invalid awards give ErrInvalid.
	Put(ctx context.Context, a credential.Award) (stored credential.Award, created bool, err error)
	// Get returns the award for (learner, achievement), or ErrNotFound.
	// Inside InTx the award stays locked against other transactions until
	// commit (SELECT … FOR UPDATE where the database needs it), so a
	// transaction that reads an award and Puts it back never overwrites a
	// change committed in between.
	Get(ctx context.Context, learnerID int64, a credential.AchievementRef) (credential.Award, error)
	// GetByUUID returns the award with that UUID, or ErrNotFound. It locks
	// like Get inside InTx.
	GetByUUID(ctx context.Context, id uuid.UUID) (credential.Award, error)
	// FindByProviderRef returns the award a provider knows by externalID,
	// or ErrNotFound.
	FindByProviderRef(ctx context.Context, provider, externalID string) (credential.Award, error)
	// List returns awards matching f, ordered by UUID.
	List(ctx context.Context, f AwardFilter) ([]credential.Award, error)
}

// Fulfillment records that a requirement of a badge template is met for a
// learner, and why: the event and the rules that matched.
type Fulfillment struct {
	// RequirementID is the requirement's id within the template's rule set.
	RequirementID string `json:"requirement_id"`
	// Group is the requirement's group (requirements in a group are OR'ed).
	Group string `json:"group"`
	// EventID and EventTime identify the triggering event.
	EventID   string    `json:"event_id"`
	EventTime time.Time `json:"event_time"`
	// Matched describes the rules that matched (free-form JSON written by
	// the rules engine).
	Matched json.RawMessage `json:"matched,omitempty"`
	// CreatedAt is set by the store.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Observation is one distinct value seen for a counting requirement (e.g. a
// course key for "pass 5 different courses").
type Observation struct {
	RequirementID string    `json:"requirement_id"`
	Value         string    `json:"value"`
	EventID       string    `json:"event_id"`
	EventTime     time.Time `json:"event_time"`
}

// BadgeProgress is a learner's progress towards one badge template.
type BadgeProgress struct {
	// ID is assigned by the store.
	ID int64 `json:"id"`
	// LearnerID and TemplateUUID are the key; unique together.
	LearnerID    int64     `json:"learner_id"`
	TemplateUUID uuid.UUID `json:"template_uuid"`
	// RulesVersion is the version of the template's rule set the progress
	// was made under; editing the rules creates a new version and does not
	// rewrite existing progress.
	RulesVersion int `json:"rules_version"`
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Progress stores badge progress, fulfilments and observations.
type Progress interface {
	// GetOrCreate returns the progress for (learner, template), creating it
	// with rulesVersion when absent. created says which happened. Atomic:
	// concurrent calls for one key leave one row.
	GetOrCreate(ctx context.Context, learnerID int64, template uuid.UUID, rulesVersion int) (p BadgeProgress, created bool, err error)
	// Get returns the progress for (learner, template), or ErrNotFound.
	Get(ctx context.Context, learnerID int64, template uuid.UUID) (BadgeProgress, error)
	// SetRulesVersion moves a progress to another rule-set version (used
	// only when the host asks to migrate progress). ErrNotFound if absent.
	SetRulesVersion(ctx context.Context, progressID int64, version int) error
	// Fulfill records f for the progress, unique per (progress, requirement).
	// added is false (and nothing changes) when the requirement was already
	// fulfilled. ErrNotFound if the progress does not exist.
	Fulfill(ctx context.Context, progressID int64, f Fulfillment) (added bool, err error)
	// Unfulfill removes the fulfilments of the given requirements (and their
	// observations) and returns how many fulfilments were removed.
	Unfulfill(ctx context.Context, progressID int64, requirementIDs []string) (removed int, err error)
	// Fulfillments returns the progress's fulfilments ordered by requirement id.
	Fulfillments(ctx context.Context, progressID int64) ([]Fulfillment, error)
	// Observe records a distinct value for a counting requirement, unique per
	// (progress, requirement, value); added is false for a value already seen.
	Observe(ctx context.Context, progressID int64, o Observation) (added bool, err error)
	// Observations returns the values recorded for one requirement, oldest
	// event time first.
	Observations(ctx context.Context, progressID int64, requirementID string) ([]Observation, error)
}

// Events records which events a consumer group has already applied.
type Events interface {
	// MarkProcessed records that group applied eventID. It returns
	// first=false, and changes nothing, when the mark already exists. Used
	// inside the transaction that applies the event's effects, it is what
	// makes redelivery harmless. Empty group or id gives ErrInvalid.
	MarkProcessed(ctx context.Context, group, eventID string, at time.Time) (first bool, err error)
	// IsProcessed reports whether group has applied eventID.
	IsProcessed(ctx context.Context, group, eventID string) (bool, error)
	// Prune deletes marks recorded before cutoff and returns how many.
	Prune(ctx context.Context, cutoff time.Time) (int, error)
}

// OutboxStatus is the state of an outbox item.
type OutboxStatus string

// Outbox states.
const (
	OutboxPending OutboxStatus = "pending" // waiting to be claimed (possibly not before NotBefore)
	OutboxLeased  OutboxStatus = "leased"  // claimed by a worker until LeaseUntil
	OutboxDone    OutboxStatus = "done"    // completed
	OutboxDead    OutboxStatus = "dead"    // given up; LastError says why
)

// OutboxItem is a call to the outside world waiting to be made: a provider
// call or an event to publish.
type OutboxItem struct {
	// ID is assigned by the store.
	ID int64 `json:"id"`
	// Kind says what to do, e.g. "badge.issue", "badge.revoke", "event.publish".
	Kind string `json:"kind"`
	// Target names who is called: a provider id, a topic. Dispatchers use
	// it for per-target concurrency and rate limits.
	Target string `json:"target"`
	// IdempotencyKey is unique across the outbox and is passed to the
	// outside world so a repeated call has no extra effect.
	IdempotencyKey string `json:"idempotency_key"`
	// Payload is the call's arguments (JSON).
	Payload json.RawMessage `json:"payload"`
	Status  OutboxStatus    `json:"status"`
	// Attempts counts claims so far.
	Attempts int `json:"attempts"`
	// NotBefore is the earliest time the item may be claimed.
	NotBefore time.Time `json:"not_before"`
	// LeaseOwner and LeaseUntil describe the current lease, if any.
	LeaseOwner string    `json:"lease_owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// LastError is the last failure, or the reason the item is dead.
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// TraceParent is the W3C trace context (a traceparent header value,
	// "00-<trace id>-<span id>-<flags>") of the work that enqueued the
	// item, so the call made later joins the same trace; empty when there
	// was none. Stores keep it as given (at most MaxTraceParent bytes).
	TraceParent string `json:"trace_parent,omitempty"`
}

// MaxTraceParent is the longest OutboxItem.TraceParent a store accepts (a
// version-00 traceparent is 55 bytes; later versions may append fields).
const MaxTraceParent = 256

// OutboxStats summarises the outbox for metrics.
type OutboxStats struct {
	// Pending counts pending and leased items.
	Pending int `json:"pending"`
	// Dead counts dead items.
	Dead int `json:"dead"`
	// OldestPending is the creation time of the oldest pending or leased
	// item; zero when there is none.
	OldestPending time.Time `json:"oldest_pending,omitzero"`
}

// Outbox is the transactional outbox.
type Outbox interface {
	// Enqueue adds item (Kind, Target, IdempotencyKey, Payload and an
	// optional NotBefore are read; the rest is set by the store). It is
	// idempotent on IdempotencyKey: enqueuing a key that exists returns
	// enqueued=false and the existing item's id, changing nothing.
	Enqueue(ctx context.Context, item OutboxItem) (id int64, enqueued bool, err error)
	// Claim leases up to limit items that are pending with NotBefore <= now,
	// or leased with LeaseUntil <= now (an expired lease), oldest NotBefore
	// first, to owner until now+lease, and increments their Attempts.
	// Atomic: concurrent claimers never receive the same item while its
	// lease holds. targets, when non-empty, restricts the claim to those
	// targets.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, targets ...string) ([]OutboxItem, error)
	// Complete marks a leased item done. ErrConflict when owner no longer
	// holds the lease (it expired and someone else claimed it); ErrNotFound
	// for an unknown id.
	Complete(ctx context.Context, id int64, owner string) error
	// Reschedule returns a leased item to pending with NotBefore = at and
	// LastError = lastErr. Same errors as Complete.
	Reschedule(ctx context.Context, id int64, owner string, at time.Time, lastErr string) error
	// Kill marks a leased item dead with reason. Same errors as Complete.
	Kill(ctx context.Context, id int64, owner string, reason string) error
	// Get returns the item, or ErrNotFound.
	Get(ctx context.Context, id int64) (OutboxItem, error)
	// ListDead returns dead items with id > afterID, oldest first, at most
	// limit (0 means 100).
	ListDead(ctx context.Context, afterID int64, limit int) ([]OutboxItem, error)
	// Requeue returns a dead item to pending, due now, with Attempts reset
	// to 0. ErrNotFound for an unknown id, ErrConflict if it is not dead.
	Requeue(ctx context.Context, id int64, now time.Time) error
	// Stats returns counts for metrics.
	Stats(ctx context.Context) (OutboxStats, error)
}

// BatchWriter is an optional capability of the Repos a Store's InTx gives
// its function: the writes of a batch of events in a few multi-row
// statements instead of one statement per row. A caller checks for it
// with a type assertion (tx.(store.BatchWriter)) and falls back to
// Events.MarkProcessed and Outbox.Enqueue without it; the results are the
// same either way. memstore, sqlitestore and mysqlstore implement it, and
// storetest checks every adapter that does.
type BatchWriter interface {
	// MarkProcessedBatch is Events.MarkProcessed for every id of ids, in
	// order: first[i] reports whether ids[i] was marked by this call. An id
	// already marked, or repeated earlier in ids, gives false and changes
	// nothing. Empty group or id gives ErrInvalid and marks nothing. Where
	// a concurrent transaction marks one of the ids at the same time, it
	// returns an error (ErrConflict, or a retryable one the adapter's InTx
	// retries) rather than two transactions both seeing first=true.
	MarkProcessedBatch(ctx context.Context, group string, ids []string, at time.Time) (first []bool, err error)
	// EnqueueBatch is Outbox.Enqueue for every item, in order (their ids
	// ascend in that order): items whose IdempotencyKey exists, or repeats
	// an earlier item's, change nothing. It returns how many were enqueued.
	// An invalid item gives ErrInvalid and enqueues nothing.
	EnqueueBatch(ctx context.Context, items []OutboxItem) (enqueued int, err error)
	// FulfillBatch is Progress.Fulfill for fulfilments the caller knows
	// are new (store/txcache's write-behind cache, which holds the
	// progress rows' locks and knows their fulfilments), with the fields
	// the store would set given by the caller: each row is stored with
	// its Fulfillment.CreatedAt, and each progress row's UpdatedAt becomes
	// the latest CreatedAt of its fulfilments in fs. A (progress,
	// requirement) that is already fulfilled, or repeated in fs, gives
	// ErrConflict; a progress that does not exist gives ErrNotFound; an
	// empty requirement id, invalid Matched JSON or a zero CreatedAt gives
	// ErrInvalid. On error nothing of fs may be kept: the caller rolls the
	// transaction back.
	FulfillBatch(ctx context.Context, fs []ProgressFulfillment) error
	// CreateAwardsBatch is Awards.Put for awards that do not exist yet, with
	// the fields the store would set given: each award is stored with its
	// UUID, UpdatedAt (which must not be zero) and Generation (a.Gen()),
	// times in stored form (UTC, microseconds). An award whose (learner,
	// achievement, generation) or UUID is taken, or repeated in as, gives
	// ErrConflict; an invalid award gives ErrInvalid. On error nothing of
	// as may be kept: the caller rolls the transaction back.
	CreateAwardsBatch(ctx context.Context, as []credential.Award) error
	// CurrentAwardsBatch returns the current award (the highest generation)
	// of every achievement any of the learners has one of — what
	// Awards.Get returns for each — in no particular order. Inside InTx
	// they stay locked until commit, as Get's do. A learner without awards
	// (or unknown) adds nothing.
	CurrentAwardsBatch(ctx context.Context, learnerIDs []int64) ([]credential.Award, error)
	// UpsertLearnersBatch is Learners.Upsert for every learner of ls, in
	// order: out[i] is what Upsert(ls[i]) would return after the earlier
	// ones (a user id may repeat). An invalid learner gives ErrInvalid and
	// stores nothing. Where a concurrent transaction inserts one of the
	// learners at the same time, it returns an error (ErrConflict, or a
	// retryable one) rather than losing either's data.
	UpsertLearnersBatch(ctx context.Context, ls []credential.Learner) (out []credential.Learner, err error)
}

// ProgressBatcher is an optional capability of the Repos a Store's InTx
// gives its function, beside BatchWriter: the progress rows of a batch's
// learners read, and the new ones created, in a few statements instead of
// one Progress.GetOrCreate per row. store/txcache's write-behind cache
// uses it (WriteBehind.PreloadProgress); memstore, sqlitestore and
// mysqlstore implement it, and storetest checks every adapter that does.
type ProgressBatcher interface {
	// ProgressBatch returns every progress row of the learners, in no
	// particular order. Inside InTx the rows stay locked until commit, and
	// so does the absence of the others: no concurrent transaction creates
	// a progress row for one of the learners before the commit (it waits,
	// or fails with a retryable error). A learner without progress (or
	// unknown) adds nothing.
	ProgressBatch(ctx context.Context, learnerIDs []int64) ([]BadgeProgress, error)
	// CreateProgressBatch is Progress.GetOrCreate for rows the caller
	// knows are absent, with the time the store would set given: each row
	// is stored with its LearnerID, TemplateUUID, RulesVersion and
	// CreatedAt (which must not be zero; UpdatedAt is stored as CreatedAt,
	// both in stored form). ps's IDs are ignored; it returns the ids the
	// store assigned, in the order of ps. A (learner, template) that
	// exists, or repeats in ps, gives ErrConflict; a row GetOrCreate would
	// refuse gives ErrInvalid. On error nothing of ps may be kept: the
	// caller rolls the transaction back.
	CreateProgressBatch(ctx context.Context, ps []BadgeProgress) (ids []int64, err error)
}

// ProgressFulfillment is one row of BatchWriter.FulfillBatch: a fulfilment
// of the progress row ProgressID.
type ProgressFulfillment struct {
	ProgressID  int64
	Fulfillment Fulfillment
}

// CheckProgressKey reports the ErrInvalid Progress.GetOrCreate gives for
// its arguments; adapters' GetOrCreate and CreateProgressBatch call it.
func CheckProgressKey(learnerID int64, template uuid.UUID, rulesVersion int) error {
	switch {
	case learnerID <= 0:
		return credential.Invalid("progress.learner_id", "must be a positive LMS user id")
	case template == uuid.Nil:
		return credential.Invalid("progress.template_uuid", "must be set")
	case rulesVersion < 0:
		return credential.Invalid("progress.rules_version", "must not be negative")
	}
	return nil
}

// CheckBatchProgress reports the ErrInvalid CreateProgressBatch gives for
// p: GetOrCreate's, or a missing CreatedAt.
func CheckBatchProgress(p BadgeProgress) error {
	if err := CheckProgressKey(p.LearnerID, p.TemplateUUID, p.RulesVersion); err != nil {
		return err
	}
	if p.CreatedAt.IsZero() {
		return credential.Invalid("progress.created_at", "must be set in a batch")
	}
	return nil
}

// CheckBatchFulfillment reports the ErrInvalid Progress.Fulfill would give
// for f, or that its CreatedAt is missing; adapters' FulfillBatch call it.
func CheckBatchFulfillment(f Fulfillment) error {
	if err := CheckBatchFulfillmentFields(f); err != nil {
		return err
	}
	return ValidJSON("fulfillment.matched", f.Matched)
}

// CheckBatchFulfillmentFields is CheckBatchFulfillment without the JSON
// check of Matched: for a caller that hands f to FulfillBatch (which
// checks it) later in the same transaction and wants the error now,
// without parsing Matched twice.
func CheckBatchFulfillmentFields(f Fulfillment) error {
	if strings.TrimSpace(f.RequirementID) == "" {
		return credential.Invalid("fulfillment.requirement_id", "must not be empty")
	}
	if f.CreatedAt.IsZero() {
		return credential.Invalid("fulfillment.created_at", "must be set in a batch")
	}
	return nil
}
