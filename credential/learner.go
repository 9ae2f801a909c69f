package credential

import (
	"strconv"
	"strings"
)

// Learner is a person who earns credentials. It is keyed by the LMS's stable
// numeric user id; everything else is personal data that may change and is
// refreshed from every event that carries it.
type Learner struct {
	// UserID is the LMS user id (Open edX's user.id / lms_user_id). Required, > 0.
	UserID int64 `json:"user_id"`
	// Username is the LMS username. It can change; never use it as a key.
	Username string `json:"username,omitempty"`
	// Email is the learner's e-mail address, used as the badge recipient.
	Email string `json:"email,omitempty"`
	// FullName is the learner's display name.
	FullName string `json:"full_name,omitempty"`
	// IsActive mirrors the LMS account's active flag.
	IsActive bool `json:"is_active"`
}

// Key returns the learner's stable key as a string ("42").
func (l Learner) Key() string { return strconv.FormatInt(l.UserID, 10) }

// Validate reports whether l can be stored.
func (l Learner) Validate() error {
	if l.UserID <= 0 {
		return Invalid("learner.user_id", "must be a positive LMS user id")
	}
	if l.Email != "" && !strings.Contains(l.Email, "@") {
		return Invalid("learner.email", "not an e-mail address")
	}
	return nil
}

// Merge returns l refreshed with the personal data in newer: every non-empty
// field of newer replaces the stored one, and IsActive is always taken from
// newer. It reports whether anything changed. The user id is never changed.
func (l Learner) Merge(newer Learner) (Learner, bool) {
	out := l
	if newer.Username != "" {
		out.Username = newer.Username
	}
	if newer.Email != "" {
		out.Email = newer.Email
	}
	if newer.FullName != "" {
		out.FullName = newer.FullName
	}
	out.IsActive = newer.IsActive
	return out, out != l
}

// FirstLastName splits FullName into a first and a last name the way badge
// providers expect: the last space-separated word is the last name. A
// single-word name is returned as the first name with an empty last name;
// an empty full name falls back to the username.
func (l Learner) FirstLastName() (first, last string) {
	name := strings.TrimSpace(l.FullName)
	if name == "" {
		return l.Username, ""
	}
	i := strings.LastIndexByte(name, ' ')
	if i < 0 {
		return name, ""
	}
	return strings.TrimSpace(name[:i]), name[i+1:]
}
