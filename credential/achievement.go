package credential

import (
	"fmt"
	"strings"
)

// Kind says what sort of achievement an award is for.
type Kind string

// The achievement kinds credshare knows.
const (
	// KindCourseCertificate is a course certificate; the achievement id is the
	// course key (e.g. "course-v1:edX+DemoX+Demo_Course").
	KindCourseCertificate Kind = "course_certificate"
	// KindProgramCertificate is a program certificate; the id is the program UUID.
	KindProgramCertificate Kind = "program_certificate"
	// KindBadge is a badge; the id is the badge template UUID.
	KindBadge Kind = "badge"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindCourseCertificate, KindProgramCertificate, KindBadge:
		return true
	}
	return false
}

// AchievementRef identifies an achievement: its kind and its id within that
// kind. Together with the learner it is the key of an award.
type AchievementRef struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// String returns "kind:id", the form used in idempotency keys and logs.
func (r AchievementRef) String() string { return string(r.Kind) + ":" + r.ID }

// ParseAchievementRef parses the "kind:id" form returned by String.
func ParseAchievementRef(s string) (AchievementRef, error) {
	k, id, ok := strings.Cut(s, ":")
	r := AchievementRef{Kind: Kind(k), ID: id}
	if !ok {
		return r, Invalid("achievement", fmt.Sprintf("%q is not kind:id", s))
	}
	return r, r.Validate()
}

// Validate reports whether r is well formed.
func (r AchievementRef) Validate() error {
	if !r.Kind.Valid() {
		return Invalid("achievement.kind", fmt.Sprintf("unknown kind %q", r.Kind))
	}
	if strings.TrimSpace(r.ID) == "" {
		return Invalid("achievement.id", "must not be empty")
	}
	if len(r.ID) > 255 {
		return Invalid("achievement.id", "longer than 255 bytes")
	}
	return nil
}

// CourseCertificate returns the reference of the certificate for courseKey.
func CourseCertificate(courseKey string) AchievementRef {
	return AchievementRef{Kind: KindCourseCertificate, ID: courseKey}
}

// ProgramCertificate returns the reference of the certificate for a program.
func ProgramCertificate(programUUID string) AchievementRef {
	return AchievementRef{Kind: KindProgramCertificate, ID: programUUID}
}

// Badge returns the reference of the badge template with the given UUID.
func Badge(templateUUID string) AchievementRef {
	return AchievementRef{Kind: KindBadge, ID: templateUUID}
}

// Achievement describes what was achieved, for display and for composing
// credentials. It is metadata: awards refer to it by its AchievementRef.
type Achievement struct {
	Ref AchievementRef `json:"ref"`
	// Name is the display name (course title, program title, template name).
	Name string `json:"name,omitempty"`
	// Description is a longer text, e.g. a badge template's description.
	Description string `json:"description,omitempty"`
	// Mode is the course certificate mode (verified, professional, honor, …).
	Mode string `json:"mode,omitempty"`
	// ProgramType is the program's type (MicroMasters, XSeries, …).
	ProgramType string `json:"program_type,omitempty"`
	// ImageURL is an image for the achievement, e.g. a badge icon.
	ImageURL string `json:"image_url,omitempty"`
	// Criteria is a narrative of what earning it required.
	Criteria string `json:"criteria,omitempty"`
	// Organization is the issuing organisation's display name.
	Organization string `json:"organization,omitempty"`
}
