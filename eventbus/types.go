package eventbus

// Open edX event types this package knows a Go payload type for.
const (
	// TypeCoursePassingStatusUpdated is sent by the LMS whenever a learner's
	// grade changes; its data key is "course_passing_status".
	TypeCoursePassingStatusUpdated = "org.openedx.learning.course.passing.status.updated.v1"
	// TypeCcxCoursePassingStatusUpdated is the CCX variant of
	// TypeCoursePassingStatusUpdated (data key "course_passing_status").
	TypeCcxCoursePassingStatusUpdated = "org.openedx.learning.ccx.course.passing.status.updated.v1"
	// TypeCertificateCreated is sent when a course certificate is created
	// (data key "certificate").
	TypeCertificateCreated = "org.openedx.learning.certificate.created.v1"
	// TypeCertificateChanged is sent when a course certificate changes
	// (data key "certificate").
	TypeCertificateChanged = "org.openedx.learning.certificate.changed.v1"
	// TypeCertificateRevoked is sent when a course certificate is revoked
	// (data key "certificate").
	TypeCertificateRevoked = "org.openedx.learning.certificate.revoked.v1"
	// TypeBadgeAwarded is sent by the Credentials service (and by credshare)
	// when a badge is awarded (data key "badge").
	TypeBadgeAwarded = "org.openedx.learning.badge.awarded.v1"
	// TypeBadgeRevoked is sent when a badge is revoked (data key "badge").
	TypeBadgeRevoked = "org.openedx.learning.badge.revoked.v1"
	// TypeProgramCertificateAwarded is sent when a program certificate is
	// awarded (data key "program_certificate").
	TypeProgramCertificateAwarded = "org.openedx.learning.program.certificate.awarded.v1"
	// TypeProgramCertificateRevoked is sent when a program certificate is
	// revoked (data key "program_certificate").
	TypeProgramCertificateRevoked = "org.openedx.learning.program.certificate.revoked.v1"
)

// Base topic names used by Open edX (before the topic prefix is applied).
const (
	// TopicBadgesLifecycle carries passing-status events and badge events.
	TopicBadgesLifecycle = "learning-badges-lifecycle"
	// TopicCertificateLifecycle carries course certificate events.
	TopicCertificateLifecycle = "learning-certificate-lifecycle"
	// TopicProgramCertificateLifecycle carries program certificate events.
	TopicProgramCertificateLifecycle = "learning-program-certificate-lifecycle"
)

// EventTypeInfo describes how Open edX sends one event type.
type EventTypeInfo struct {
	// Type is the event type, e.g. TypeBadgeAwarded.
	Type string
	// DataKey is the single key of the event data ("badge", "certificate",
	// "course_passing_status", "program_certificate").
	DataKey string
	// KeyField is the dotted path into the event data whose value is the
	// message key (Open edX's event_key_field), e.g. "badge.uuid".
	KeyField string
	// Topic is the base topic Open edX sends the type to.
	Topic string
}

var knownTypes = [...]EventTypeInfo{
	{TypeCoursePassingStatusUpdated, "course_passing_status", "course_passing_status.course.course_key", TopicBadgesLifecycle},
	{TypeCcxCoursePassingStatusUpdated, "course_passing_status", "course_passing_status.course.ccx_course_key", TopicBadgesLifecycle},
	{TypeCertificateCreated, "certificate", "certificate.course.course_key", TopicCertificateLifecycle},
	{TypeCertificateChanged, "certificate", "certificate.course.course_key", TopicCertificateLifecycle},
	{TypeCertificateRevoked, "certificate", "certificate.course.course_key", TopicCertificateLifecycle},
	{TypeBadgeAwarded, "badge", "badge.uuid", TopicBadgesLifecycle},
	{TypeBadgeRevoked, "badge", "badge.uuid", TopicBadgesLifecycle},
	{TypeProgramCertificateAwarded, "program_certificate", "program_certificate.program.uuid", TopicProgramCertificateLifecycle},
	{TypeProgramCertificateRevoked, "program_certificate", "program_certificate.program.uuid", TopicProgramCertificateLifecycle},
}

// KnownTypes returns the event types this package has Go payload types for.
func KnownTypes() []EventTypeInfo {
	out := make([]EventTypeInfo, len(knownTypes))
	copy(out[:], knownTypes[:])
	return out
}

// LookupType returns what is known about an event type; ok is false for a
// type without a Go payload type (such events are still delivered, with
// their data as a generic tree).
func LookupType(eventType string) (info EventTypeInfo, ok bool) {
	for _, k := range knownTypes {
		if k.Type == eventType {
			return k, true
		}
	}
	return EventTypeInfo{}, false
}

// FullTopic applies Open edX's EVENT_BUS_TOPIC_PREFIX convention: the topic
// becomes "<prefix>-<topic>"; an empty prefix leaves it unchanged.
func FullTopic(prefix, topic string) string {
	if prefix == "" {
		return topic
	}
	return prefix + "-" + topic
}

// DLQName returns the name of the dead-letter topic or stream used for a
// full topic name: "<topic>-dlq".
func DLQName(topic string) string { return topic + "-dlq" }
