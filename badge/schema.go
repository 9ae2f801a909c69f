package badge

import (
	"strings"
)

// FieldKind is the type of a field in an Open edX event payload.
type FieldKind int

// Field kinds of the known payloads.
const (
	// FieldRecord is a nested record (a map in the data tree).
	FieldRecord FieldKind = iota + 1
	// FieldString is a string.
	FieldString
	// FieldBool is a boolean.
	FieldBool
	// FieldLong is an integer.
	FieldLong
	// FieldDateTime is an ISO 8601 / RFC 3339 date-time string.
	FieldDateTime
)

// String names the kind.
func (k FieldKind) String() string {
	switch k {
	case FieldRecord:
		return "record"
	case FieldString:
		return "string"
	case FieldBool:
		return "boolean"
	case FieldLong:
		return "long"
	case FieldDateTime:
		return "datetime"
	}
	return "unknown"
}

// Standard Open edX event types whose payload shapes the validator knows.
const (
	EventCoursePassingStatusUpdated    = "org.openedx.learning.course.passing.status.updated.v1"
	EventCcxCoursePassingStatusUpdated = "org.openedx.learning.ccx.course.passing.status.updated.v1"
	EventCertificateCreated            = "org.openedx.learning.certificate.created.v1"
	EventCertificateChanged            = "org.openedx.learning.certificate.changed.v1"
	EventCertificateRevoked            = "org.openedx.learning.certificate.revoked.v1"
	EventBadgeAwarded                  = "org.openedx.learning.badge.awarded.v1"
	EventBadgeRevoked                  = "org.openedx.learning.badge.revoked.v1"
	EventProgramCertificateAwarded     = "org.openedx.learning.program.certificate.awarded.v1"
	EventProgramCertificateRevoked     = "org.openedx.learning.program.certificate.revoked.v1"
)

// shape is a payload record: field name to its kind and, for records, its
// fields.
type shape map[string]field

type field struct {
	kind FieldKind
	sub  shape
}

func rec(s shape) field { return field{kind: FieldRecord, sub: s} }

var (
	fString   = field{kind: FieldString}
	fBool     = field{kind: FieldBool}
	fLong     = field{kind: FieldLong}
	fDateTime = field{kind: FieldDateTime}
)

// Shapes of the openedx-events attrs classes (openedx_events/learning/data.py),
// as attrs.asdict renders them.
func userShape() shape {
	return shape{"id": fLong, "is_active": fBool,
		"pii": rec(shape{"username": fString, "email": fString, "name": fString})}
}

func courseShape() shape {
	return shape{"course_key": fString, "display_name": fString, "start": fDateTime, "end": fDateTime}
}

// payloadShape returns the shape of a known event type's payload tree.
func payloadShape(eventType string) (shape, bool) {
	switch eventType {
	case EventCoursePassingStatusUpdated:
		return shape{"is_passing": fBool, "course": rec(courseShape()), "user": rec(userShape())}, true
	case EventCcxCoursePassingStatusUpdated:
		return shape{"is_passing": fBool, "user": rec(userShape()), "course": rec(shape{
			"ccx_course_key": fString, "master_course_key": fString, "display_name": fString,
			"coach_email": fString, "start": fDateTime, "end": fDateTime, "max_students_allowed": fLong})}, true
	case EventCertificateCreated, EventCertificateChanged, EventCertificateRevoked:
		return shape{"user": rec(userShape()), "course": rec(courseShape()), "mode": fString, "grade": fString,
			"download_url": fString, "name": fString, "current_status": fString, "previous_status": fString}, true
	case EventBadgeAwarded, EventBadgeRevoked:
		return shape{"uuid": fString, "user": rec(userShape()), "template": rec(shape{
			"uuid": fString, "origin": fString, "name": fString, "description": fString, "image_url": fString})}, true
	case EventProgramCertificateAwarded, EventProgramCertificateRevoked:
		return shape{"user": rec(userShape()), "uuid": fString, "status": fString, "url": fString,
			"certificate_available_date": fDateTime,
			"program":                    rec(shape{"uuid": fString, "title": fString, "program_type": fString})}, true
	}
	return nil, false
}

// KnownEventType reports whether the validator knows the payload shape of
// eventType (and so checks paths against it).
func KnownEventType(eventType string) bool {
	_, ok := payloadShape(eventType)
	return ok
}

// PathKind returns the kind of the field a dotted path names in a known
// event type's payload. known is false for an event type whose shape is
// not known; ok is false when the type is known and has no such field.
func PathKind(eventType, path string) (kind FieldKind, known, ok bool) {
	s, known := payloadShape(eventType)
	if !known {
		return 0, false, false
	}
	parts := strings.Split(path, ".")
	for i, p := range parts {
		f, has := s[p]
		if !has {
			return 0, true, false
		}
		if i == len(parts)-1 {
			return f.kind, true, true
		}
		if f.kind != FieldRecord {
			return 0, true, false
		}
		s = f.sub
	}
	return 0, true, false
}

// dataKeys maps the known event types to their data key, used to explain a
// path that wrongly starts with it.
func dataKey(eventType string) string {
	switch eventType {
	case EventCoursePassingStatusUpdated, EventCcxCoursePassingStatusUpdated:
		return "course_passing_status"
	case EventCertificateCreated, EventCertificateChanged, EventCertificateRevoked:
		return "certificate"
	case EventBadgeAwarded, EventBadgeRevoked:
		return "badge"
	case EventProgramCertificateAwarded, EventProgramCertificateRevoked:
		return "program_certificate"
	}
	return ""
}

// Lookup resolves a dotted path ("user.pii.email") in a data tree the way
// Open edX's keypath does: each segment must be a key of a map. It reports
// whether the path exists; a present null value gives (nil, true).
func Lookup(tree map[string]any, path string) (any, bool) {
	if tree == nil || path == "" {
		return nil, false
	}
	var cur any = tree
	for {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		seg, rest, more := strings.Cut(path, ".")
		v, ok := m[seg]
		if !ok {
			return nil, false
		}
		if !more {
			return v, true
		}
		cur, path = v, rest
	}
}

// lookupSegs is Lookup with a pre-split path (no allocation).
func lookupSegs(tree map[string]any, segs []string) (any, bool) {
	if tree == nil || len(segs) == 0 {
		return nil, false
	}
	m := tree
	for i, s := range segs {
		v, ok := m[s]
		if !ok {
			return nil, false
		}
		if i == len(segs)-1 {
			return v, true
		}
		if m, ok = v.(map[string]any); !ok {
			return nil, false
		}
	}
	return nil, false
}
