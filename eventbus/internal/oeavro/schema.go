package oeavro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/credshare/credshare/eventbus"
)

// field describes one attrs attribute.
type field struct {
	name     string
	typ      any // "string", "long", "boolean", or *record
	nullable bool
}

type record struct {
	name   string
	fields []field
}

var (
	userPersonal = &record{"UserPersonalData", []field{{"username", "string", false}, {"email", "string", false}, {"name", "string", false}}}
	user         = &record{"UserData", []field{{"id", "long", false}, {"is_active", "boolean", false}, {"pii", userPersonal, false}}}
	course       = &record{"CourseData", []field{{"course_key", "string", false}, {"display_name", "string", false}, {"start", "string", true}, {"end", "string", true}}}
	ccxCourse    = &record{"CcxCourseData", []field{
		{"ccx_course_key", "string", false}, {"master_course_key", "string", false}, {"display_name", "string", false},
		{"coach_email", "string", false}, {"start", "string", true}, {"end", "string", true}, {"max_students_allowed", "long", true}}}
	passing    = &record{"CoursePassingStatusData", []field{{"is_passing", "boolean", false}, {"course", course, false}, {"user", user, false}}}
	ccxPassing = &record{"CcxCoursePassingStatusData", []field{{"is_passing", "boolean", false}, {"user", user, false}, {"course", ccxCourse, false}}}
	cert       = &record{"CertificateData", []field{
		{"user", user, false}, {"course", course, false}, {"mode", "string", false}, {"grade", "string", false},
		{"download_url", "string", false}, {"name", "string", false}, {"current_status", "string", false}, {"previous_status", "string", false}}}
	badgeTemplate = &record{"BadgeTemplateData", []field{
		{"uuid", "string", false}, {"origin", "string", false}, {"name", "string", true}, {"description", "string", true}, {"image_url", "string", true}}}
	badge       = &record{"BadgeData", []field{{"uuid", "string", false}, {"user", user, false}, {"template", badgeTemplate, false}}}
	program     = &record{"ProgramData", []field{{"uuid", "string", false}, {"title", "string", false}, {"program_type", "string", false}}}
	programCert = &record{"ProgramCertificateData", []field{
		{"user", user, false}, {"program", program, false}, {"uuid", "string", false}, {"status", "string", false},
		{"url", "string", false}, {"certificate_available_date", "string", true}}}
)

var payloadRecords = map[string]*record{
	eventbus.TypeCoursePassingStatusUpdated:    passing,
	eventbus.TypeCcxCoursePassingStatusUpdated: ccxPassing,
	eventbus.TypeCertificateCreated:            cert,
	eventbus.TypeCertificateChanged:            cert,
	eventbus.TypeCertificateRevoked:            cert,
	eventbus.TypeBadgeAwarded:                  badge,
	eventbus.TypeBadgeRevoked:                  badge,
	eventbus.TypeProgramCertificateAwarded:     programCert,
	eventbus.TypeProgramCertificateRevoked:     programCert,
}

// cloudEventDoc is the doc string openedx-events puts on every schema.
const cloudEventDoc = "Avro Event Format for CloudEvents created with openedx_events/schema"

// schemaTree returns the schema of a known event type as a JSON-like tree.
func schemaTree(eventType string) (map[string]any, bool) {
	rec, ok := payloadRecords[eventType]
	if !ok {
		return nil, false
	}
	info, _ := eventbus.LookupType(eventType)
	seen := map[string]bool{}
	return map[string]any{
		"name":      "CloudEvent",
		"type":      "record",
		"doc":       cloudEventDoc,
		"fields":    []any{fieldTree(field{info.DataKey, rec, false}, seen)},
		"namespace": eventType,
	}, true
}

func fieldTree(f field, seen map[string]bool) map[string]any {
	out := map[string]any{"name": f.name}
	var t any
	switch x := f.typ.(type) {
	case string:
		t = x
	case *record:
		if seen[x.name] {
			t = x.name
		} else {
			seen[x.name] = true
			fs := make([]any, len(x.fields))
			for i, sub := range x.fields {
				fs[i] = fieldTree(sub, seen)
			}
			t = map[string]any{"name": x.name, "type": "record", "fields": fs}
		}
	}
	if f.nullable {
		out["type"] = []any{"null", t}
		out["default"] = nil
	} else {
		out["type"] = t
	}
	return out
}

// SchemaJSON returns the Avro schema of a known event type rendered as
// openedx-events' AvroSignalSerializer.schema_string() does (Python
// json.dumps with sort_keys=True). ok is false for other types.
func SchemaJSON(eventType string) (string, bool) {
	t, ok := schemaTree(eventType)
	if !ok {
		return "", false
	}
	return pyJSON(t), true
}

// KeySchemaJSON returns the sub-schema of the type's key field (e.g. the
// "uuid" field of BadgeData for badge events) rendered as event-bus-kafka's
// extract_key_schema does; the Kafka key is Avro of this schema.
func KeySchemaJSON(eventType string) (string, bool) {
	info, ok := eventbus.LookupType(eventType)
	if !ok {
		return "", false
	}
	rec := payloadRecords[eventType]
	parts := strings.Split(info.KeyField, ".")[1:] // the first part is the data key
	var f field
	for _, p := range parts {
		found := false
		for _, sub := range rec.fields {
			if sub.name == p {
				f, found = sub, true
				break
			}
		}
		if !found {
			return "", false
		}
		if r, ok := f.typ.(*record); ok {
			rec = r
		}
	}
	if _, ok := f.typ.(string); !ok {
		return "", false
	}
	return pyJSON(fieldTree(f, map[string]bool{})), true
}

// pyJSON renders v as Python's json.dumps(v, sort_keys=True): keys sorted,
// ", " and ": " separators.
func pyJSON(v any) string {
	var b bytes.Buffer
	writePy(&b, v)
	return b.String()
}

func writePy(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		enc, _ := json.Marshal(x)
		b.Write(enc)
	case bool:
		fmt.Fprint(b, x)
	case []any:
		b.WriteByte('[')
		for i, sub := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, sub)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, k)
			b.WriteString(": ")
			writePy(b, x[k])
		}
		b.WriteByte('}')
	default:
		enc, _ := json.Marshal(x)
		b.Write(enc)
	}
}
