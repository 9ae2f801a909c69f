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
	// AwardedAt is when the award (last) became awarded: the causing event's
	// time, not the processing time.
	AwardedAt time.Time `json:"awarded_at"`
	// Awarded is the event that caused the last award transition.
	Awarded Cause `json:"awarded"`
	// RevokedAt is when the award was revoked; zero while awarded.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Revoked is the event that caused the revocation.
	Revoked Cause `json:"revoked,omitzero"`
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
func NewAward(learnerID int64, a AchievementRef, c Cause) (Award, error) {
	aw := Award{
		UUID:        uuid.New(),
		LearnerID:   learnerID,
		Achievement: a,
		Status:      StatusAwarded,
		AwardedAt:   c.EventTime.UTC(),
		Awarded:     c,
		Times:       1,
	}
	return aw, aw.Validate()
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
	}
	a.Status = StatusAwarded
	a.AwardedAt = c.EventTime.UTC()
	a.Awarded = c
	a.Times++
	return true, nil
}

// Revoke revokes a. It is a no-op (changed=false) when a is already revoked.
func (a *Award) Revoke(c Cause) (changed bool) {
	if a.Status == StatusRevoked {
		return false
	}
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
