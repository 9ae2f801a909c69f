package rules

import (
	"strings"

	"github.com/credshare/credshare/eventbus"
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
	case eventbus.TypeCoursePassingStatusUpdated:
		return shape{"is_passing": fBool, "course": rec(courseShape()), "user": rec(userShape())}, true
	case eventbus.TypeCcxCoursePassingStatusUpdated:
		return shape{"is_passing": fBool, "user": rec(userShape()), "course": rec(shape{
			"ccx_course_key": fString, "master_course_key": fString, "display_name": fString,
			"coach_email": fString, "start": fDateTime, "end": fDateTime, "max_students_allowed": fLong})}, true
	case eventbus.TypeCertificateCreated, eventbus.TypeCertificateChanged, eventbus.TypeCertificateRevoked:
		return shape{"user": rec(userShape()), "course": rec(courseShape()), "mode": fString, "grade": fString,
			"download_url": fString, "name": fString, "current_status": fString, "previous_status": fString}, true
	case eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked:
		return shape{"uuid": fString, "user": rec(userShape()), "template": rec(shape{
			"uuid": fString, "origin": fString, "name": fString, "description": fString, "image_url": fString})}, true
	case eventbus.TypeProgramCertificateAwarded, eventbus.TypeProgramCertificateRevoked:
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

// dataKey returns a known event type's data key (used to explain a path
// that wrongly starts with it), or "".
func dataKey(eventType string) string {
	info, _ := eventbus.LookupType(eventType)
	return info.DataKey
}

// lookupSegs is eventbus.LookupPath with the path split once when the rules
// are compiled: the engine resolves every rule of every event through it.
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
