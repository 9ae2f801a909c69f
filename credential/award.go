package credential

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Status is the state of an award.
type Status string

// Award states.
const (
	StatusAwarded Status = "awarded"
	StatusRevoked Status = "revoked"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusAwarded || s == StatusRevoked }

// RevokedBy says who revoked an award, which decides whether the badge
// rules may award the achievement again.
type RevokedBy string

// Revocation kinds.
const (
	// RevokedByRules: the pipeline revoked the award following events — a
	// badge penalty whose requirements are no longer met, or the LMS
	// revoking a certificate. The rules award the achievement again (as a
	// new credential, see Reissue) when its requirements are met again.
	RevokedByRules RevokedBy = "rules"
	// RevokedByPerson: a person revoked the award (the CLI, an API call, a
	// provider's webhook). It stays revoked until a person reverses it; the
	// rules never override it.
	RevokedByPerson RevokedBy = "person"
)

// Valid reports whether r is a known revocation kind.
func (r RevokedBy) Valid() bool { return r == RevokedByRules || r == RevokedByPerson }

// Cause is the event that caused a transition: its id (CloudEvents ce_id) and
// its time. Recording both makes every award traceable to its origin.
type Cause struct {
	EventID   string    `json:"event_id,omitempty"`
	EventTime time.Time `json:"event_time,omitzero"`
	// Reason is a short human-readable explanation ("certificate revoked",
	// "penalty: course failed").
	Reason string `json:"reason,omitempty"`
}

// ProviderRef is what a badge provider told us about an award it issued.
type ProviderRef struct {
	// Provider is the provider's id ("credly", "accredible", "obv3", a plugin's).
	Provider string `json:"provider"`
	// ExternalID is the provider's id for the issued badge or credential.
	ExternalID string `json:"external_id,omitempty"`
	// State is the provider's state for it (pending, accepted, revoked, …).
	State string `json:"state,omitempty"`
	// UpdatedAt is when the state was last learned.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Award records that a learner holds (or held) an achievement. It is unique
// per (LearnerID, Achievement).
type Award struct {
	// UUID is the award's public identifier; it never changes once stored.
	UUID uuid.UUID `json:"uuid"`
	// LearnerID is the LMS user id of the learner.
	LearnerID int64 `json:"learner_id"`
	// Achievement is what was awarded.
	Achievement AchievementRef `json:"achievement"`
	// Status is awarded or revoked.
	Status Status `json:"status"`
	// AwardedAt is when the award (last) became awarded. The pipeline sets
	// it to the time it made the award (its clock), which is the time of the
	// badge.awarded event it publishes; Awarded.EventTime keeps the causing
	// event's time. NewAward and Grant set it to the cause's EventTime.
	AwardedAt time.Time `json:"awarded_at"`
	// Awarded is the event that caused the last award transition.
	Awarded Cause `json:"awarded"`
	// RevokedAt is when the award was revoked; zero while awarded.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Revoked is the event that caused the revocation.
	Revoked Cause `json:"revoked,omitzero"`
	// RevokedBy says who revoked the award: RevokedByRules or
	// RevokedByPerson; empty while awarded. A revoked award read from a
	// store written before this field existed counts as RevokedByRules.
	RevokedBy RevokedBy `json:"revoked_by,omitempty"`
	// Generation numbers the credentials issued to the learner for the
	// achievement: 1 for the first; Reissue makes the next one. A store
	// keeps every generation and returns the highest as the current award
	// (store.Awards.Get). Zero is read as 1.
	Generation int `json:"generation,omitempty"`
	// Evidence holds supporting facts, e.g. "grade" or "mode".
	Evidence map[string]string `json:"evidence,omitempty"`
	// Providers holds what badge providers reported, one entry per provider.
	Providers []ProviderRef `json:"providers,omitempty"`
	// Times is how many times the award was granted (repeatable badges).
	Times int `json:"times"`
	// UpdatedAt is when the record last changed (set by the store).
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// NewAward returns a new awarded Award for learner and achievement, caused by c.
//
// Its UUID is a version 7 UUID: time-ordered (by the millisecond, then by
// a counter within this process) with 74 random bits. Stores index awards
// by UUID, and outbox keys contain it: time-ordered keys land at the end of
// those indexes instead of on a random page each, which cut the pages a
// SQLite batch writes by 61% and its CPU time per event by about a fifth
// (docs/performance.md). It shows when the award was made, to the
// millisecond: nothing its credential's issuance date does not say.
func NewAward(learnerID int64, a AchievementRef, c Cause) (Award, error) {
	aw := Award{
		UUID:        uuid.Must(uuid.NewV7()),
		LearnerID:   learnerID,
		Achievement: a,
		Status:      StatusAwarded,
		AwardedAt:   c.EventTime.UTC(),
		Awarded:     c,
		Times:       1,
		Generation:  1,
	}
	return aw, aw.Validate()
}

// Gen returns a's generation, 1 when unset.
func (a Award) Gen() int { return max(a.Generation, 1) }

// Reissue returns the credential that replaces a revoked award when the
// achievement is earned again: a new Award (new UUID, Generation+1, Times
// 1) awarded by c, with a's evidence. a itself is left as it is: the old
// credential stays revoked, and its provider badge and status entries are
// not reused (Credly does not un-revoke a badge). It refuses, with a
// *TransitionError, an award that is not revoked; and one revoked by a
// person unless byPerson is true (a person reversing a person's
// revocation) — the rules never override a person.
func (a Award) Reissue(c Cause, byPerson bool) (Award, error) {
	if a.Status != StatusRevoked {
		return Award{}, &TransitionError{From: a.Status, To: StatusAwarded, Reason: "only a revoked award is reissued"}
	}
	if a.RevokedBy == RevokedByPerson && !byPerson {
		return Award{}, &TransitionError{From: a.Status, To: StatusAwarded, Reason: "revoked by a person; only a person reverses it"}
	}
	n, err := NewAward(a.LearnerID, a.Achievement, c)
	if err != nil {
		return Award{}, err
	}
	n.Generation = a.Gen() + 1
	if len(a.Evidence) > 0 {
		n.Evidence = make(map[string]string, len(a.Evidence))
		for k, v := range a.Evidence {
			n.Evidence[k] = v
		}
	}
	return n, nil
}

// Validate reports whether a is consistent.
func (a Award) Validate() error {
	if a.UUID == uuid.Nil {
		return Invalid("award.uuid", "must be set")
	}
	if a.LearnerID <= 0 {
		return Invalid("award.learner_id", "must be a positive LMS user id")
	}
	if err := a.Achievement.Validate(); err != nil {
		return err
	}
	if !a.Status.Valid() {
		return Invalid("award.status", fmt.Sprintf("unknown status %q", a.Status))
	}
	if a.AwardedAt.IsZero() {
		return Invalid("award.awarded_at", "must be set")
	}
	if a.Status == StatusRevoked && a.RevokedAt.IsZero() {
		return Invalid("award.revoked_at", "must be set on a revoked award")
	}
	if a.RevokedBy != "" && !a.RevokedBy.Valid() {
		return Invalid("award.revoked_by", fmt.Sprintf("unknown revocation kind %q", a.RevokedBy))
	}
	if a.Generation < 0 {
		return Invalid("award.generation", "must not be negative")
	}
	for k, v := range a.Evidence {
		if len(k) > 64 || len(v) > 1024 {
			return Invalid("award.evidence", "key over 64 or value over 1024 bytes")
		}
	}
	return nil
}

// Grant re-awards a. It is a no-op (changed=false) when a is already awarded;
// for a repeatable achievement an awarded badge is granted again (Times is
// incremented, changed=true). A revoked award becomes awarded only when
// reawardable is true; otherwise Grant returns a *TransitionError.
func (a *Award) Grant(c Cause, repeatable, reawardable bool) (changed bool, err error) {
	switch a.Status {
	case StatusAwarded:
		if !repeatable {
			return false, nil
		}
	case StatusRevoked:
		if !reawardable && !repeatable {
			return false, &TransitionError{From: a.Status, To: StatusAwarded, Reason: "revoked award is not re-awardable"}
		}
		a.RevokedAt = time.Time{}
		a.Revoked = Cause{}
		a.RevokedBy = ""
	}
	a.Status = StatusAwarded
	a.AwardedAt = c.EventTime.UTC()
	a.Awarded = c
	a.Times++
	return true, nil
}

// Revoke revokes a as the rules do (RevokedByRules). It is a no-op
// (changed=false) when a is already revoked.
func (a *Award) Revoke(c Cause) (changed bool) { return a.RevokeBy(c, RevokedByRules) }

// RevokeBy revokes a, recording who revoked it. Revoking an award the
// rules revoked again as a person (by RevokedByPerson) changes the kind
// and reports changed, so a person's revocation always sticks; otherwise
// it is a no-op (changed=false) when a is already revoked.
func (a *Award) RevokeBy(c Cause, by RevokedBy) (changed bool) {
	if by == "" {
		by = RevokedByRules
	}
	if a.Status == StatusRevoked {
		if by == RevokedByPerson && a.RevokedBy != RevokedByPerson {
			a.RevokedBy = by
			a.Revoked = c
			return true
		}
		return false
	}
	a.RevokedBy = by
	a.Status = StatusRevoked
	t := c.EventTime.UTC()
	if t.IsZero() {
		t = time.Now().UTC()
	}
	a.RevokedAt = t
	a.Revoked = c
	return true
}

// Provider returns the reference stored for provider, if any.
func (a Award) Provider(provider string) (ProviderRef, bool) {
	for _, p := range a.Providers {
		if p.Provider == provider {
			return p, true
		}
	}
	return ProviderRef{}, false
}

// SetProvider stores ref, replacing an earlier one for the same provider.
func (a *Award) SetProvider(ref ProviderRef) {
	for i, p := range a.Providers {
		if p.Provider == ref.Provider {
			a.Providers[i] = ref
			return
		}
	}
	a.Providers = append(a.Providers, ref)
}
