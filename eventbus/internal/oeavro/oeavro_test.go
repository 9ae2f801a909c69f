package oeavro

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/credshare/credshare/eventbus"
)

// The schema openedx-events generates for CCX passing status (field order
// is_passing, user, course because the attrs subclass redefines course).
const ccxWant = `{"name": "CloudEvent", "type": "record", "doc": "Avro Event Format for CloudEvents created with openedx_events/schema",
 "fields": [{"name": "course_passing_status", "type": {"name": "CcxCoursePassingStatusData", "type": "record", "fields": [
  {"name": "is_passing", "type": "boolean"},
  {"name": "user", "type": {"name": "UserData", "type": "record", "fields": [{"name": "id", "type": "long"}, {"name": "is_active", "type": "boolean"},
    {"name": "pii", "type": {"name": "UserPersonalData", "type": "record", "fields": [{"name": "username", "type": "string"}, {"name": "email", "type": "string"}, {"name": "name", "type": "string"}]}}]}},
  {"name": "course", "type": {"name": "CcxCourseData", "type": "record", "fields": [{"name": "ccx_course_key", "type": "string"}, {"name": "master_course_key", "type": "string"},
    {"name": "display_name", "type": "string"}, {"name": "coach_email", "type": "string"}, {"name": "start", "type": ["null", "string"], "default": null},
    {"name": "end", "type": ["null", "string"], "default": null}, {"name": "max_students_allowed", "type": ["null", "long"], "default": null}]}}]}}],
 "namespace": "org.openedx.learning.ccx.course.passing.status.updated.v1"}`

const badgeWant = `{"name": "CloudEvent", "type": "record", "doc": "Avro Event Format for CloudEvents created with openedx_events/schema",
 "fields": [{"name": "badge", "type": {"name": "BadgeData", "type": "record", "fields": [{"name": "uuid", "type": "string"},
  {"name": "user", "type": {"name": "UserData", "type": "record", "fields": [{"name": "id", "type": "long"}, {"name": "is_active", "type": "boolean"},
    {"name": "pii", "type": {"name": "UserPersonalData", "type": "record", "fields": [{"name": "username", "type": "string"}, {"name": "email", "type": "string"}, {"name": "name", "type": "string"}]}}]}},
  {"name": "template", "type": {"name": "BadgeTemplateData", "type": "record", "fields": [{"name": "uuid", "type": "string"}, {"name": "origin", "type": "string"},
    {"name": "name", "type": ["null", "string"], "default": null}, {"name": "description", "type": ["null", "string"], "default": null},
    {"name": "image_url", "type": ["null", "string"], "default": null}]}}]}}],
 "namespace": "org.openedx.learning.badge.awarded.v1"}`

func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("schema differs:\n got %s\nwant %s", got, want)
	}
}

func TestSchemasMatchOpenEdX(t *testing.T) {
	got, _ := SchemaJSON(eventbus.TypeCcxCoursePassingStatusUpdated)
	jsonEqual(t, got, ccxWant)
	got, _ = SchemaJSON(eventbus.TypeBadgeAwarded)
	jsonEqual(t, got, badgeWant)
	// Python json.dumps(sort_keys=True) layout.
	if !strings.HasPrefix(got, `{"doc": "Avro Event Format for CloudEvents created with openedx_events/schema", "fields": [{"name": "badge", "type": {"fields": [{"name": "uuid", "type": "string"}`) {
		t.Fatalf("not Python-style: %.120s", got)
	}
	// Field order inside records is kept (Avro binary depends on it).
	if !strings.Contains(got, `[{"name": "id", "type": "long"}, {"name": "is_active", "type": "boolean"}, {"name": "pii"`) {
		t.Fatal("UserData field order changed")
	}
	for _, info := range eventbus.KnownTypes() {
		if _, ok := SchemaJSON(info.Type); !ok {
			t.Errorf("no schema for %s", info.Type)
		}
	}
	if k, _ := KeySchemaJSON(eventbus.TypeBadgeRevoked); k != `{"name": "uuid", "type": "string"}` {
		t.Errorf("badge key schema = %s", k)
	}
	if k, _ := KeySchemaJSON(eventbus.TypeCertificateCreated); k != `{"name": "course_key", "type": "string"}` {
		t.Errorf("certificate key schema = %s", k)
	}
}

// A user record repeated in one schema is referenced by name (the programme
// certificate has one user; a schema with two would reuse "UserData").
func TestRecordDefinedOnce(t *testing.T) {
	seen := map[string]bool{}
	r := &record{"Two", []field{{"a", user, false}, {"b", user, true}}}
	tr := fieldTree(field{"x", r, false}, seen)
	js := pyJSON(tr)
	if strings.Count(js, `"name": "UserData"`) != 1 || !strings.Contains(js, `["null", "UserData"]`) {
		t.Fatalf("record not referenced by name: %s", js)
	}
}

func sampleData() map[string]any {
	u := eventbus.UserData{ID: 3, IsActive: true, PII: eventbus.UserPersonalData{Username: "u", Email: "u@x", Name: "U"}}
	return eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
		User: u, Course: eventbus.CourseData{CourseKey: "course-v1:a+b+c", DisplayName: "C", Start: "2024-01-01T00:00:00+00:00"},
		Mode: "verified", Grade: "1.0", DownloadURL: "d", Name: "U", CurrentStatus: "downloadable",
	}).Data
}

func TestRoundTripAllTypes(t *testing.T) {
	c := NewCodec(0)
	u := eventbus.UserData{ID: 3, IsActive: true, PII: eventbus.UserPersonalData{Username: "u", Email: "u@x", Name: "U"}}
	n := int64(9)
	events := []eventbus.Event{
		eventbus.CertificateEvent(eventbus.TypeCertificateRevoked, eventbus.CertificateData{User: u, Course: eventbus.CourseData{CourseKey: "k"}}),
		eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: true, User: u, Course: eventbus.CourseData{CourseKey: "k", End: "2025-01-01T00:00:00+00:00"}}),
		eventbus.CcxCoursePassingStatusEvent(eventbus.CcxCoursePassingStatusData{User: u, Course: eventbus.CcxCourseData{CcxCourseKey: "c", MaxStudentsAllowed: &n}}),
		eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, eventbus.BadgeData{UUID: "b", User: u, Template: eventbus.BadgeTemplateData{UUID: "t", Origin: "openedx", ImageURL: "i"}}),
		eventbus.ProgramCertificateEvent(eventbus.TypeProgramCertificateRevoked, eventbus.ProgramCertificateData{User: u, Program: eventbus.ProgramData{UUID: "p"}, CertificateAvailableDate: "2024-02-02T00:00:00+00:00"}),
	}
	for _, e := range events {
		b, err := c.Encode(e.Type, e.Data)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		got, err := c.Decode(e.Type, nil, b)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if !reflect.DeepEqual(got, e.Data) {
			t.Fatalf("%s: round trip\n got %#v\nwant %#v", e.Type, got, e.Data)
		}
	}
}

func TestNewerWriterWithExtraFieldDecodes(t *testing.T) {
	c := NewCodec(0)
	js, _ := SchemaJSON(eventbus.TypeCertificateCreated)
	// A newer openedx-events adds an optional field to CertificateData.
	newer := strings.Replace(js, `{"name": "previous_status", "type": "string"}`,
		`{"name": "previous_status", "type": "string"}, {"default": null, "name": "enrollment_mode", "type": ["null", "string"]}`, 1)
	w, err := ParseSchema(newer)
	if err != nil {
		t.Fatal(err)
	}
	data := sampleData()
	data["certificate"].(map[string]any)["enrollment_mode"] = "verified"
	b, err := c.EncodeWith(w, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(eventbus.TypeCertificateCreated, w, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["certificate"].(map[string]any)["enrollment_mode"]; ok {
		t.Error("reader kept a field it does not know")
	}
	if got["certificate"].(map[string]any)["mode"] != "verified" {
		t.Errorf("decoded %#v", got)
	}
	// An incompatible writer (a field changed type) is a decode error.
	bad := strings.Replace(js, `{"name": "mode", "type": "string"}`, `{"name": "mode", "type": "long"}`, 1)
	wb, _ := ParseSchema(bad)
	if _, err := c.Decode(eventbus.TypeCertificateCreated, wb, b); !errors.Is(err, eventbus.ErrDecode) {
		t.Fatalf("incompatible writer: %v", err)
	}
}

func TestTruncatedAndFraming(t *testing.T) {
	c := NewCodec(0)
	b, _ := c.Encode(eventbus.TypeCertificateCreated, sampleData())
	for i := 0; i < len(b); i++ {
		if _, err := c.Decode(eventbus.TypeCertificateCreated, nil, b[:i]); !errors.Is(err, eventbus.ErrDecode) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	f := Frame(7, b)
	id, body, err := Unframe(f)
	if err != nil || id != 7 || string(body) != string(b) {
		t.Fatalf("Unframe = %d %v", id, err)
	}
	if _, _, err := Unframe([]byte{1, 0, 0, 0, 7}); !errors.Is(err, eventbus.ErrDecode) {
		t.Fatal("bad magic accepted")
	}
	if _, _, err := Unframe([]byte{0, 0}); !errors.Is(err, eventbus.ErrDecode) {
		t.Fatal("short frame accepted")
	}
	if _, err := c.Decode("org.example.unknown.v1", nil, b); !errors.Is(err, eventbus.ErrDecode) {
		t.Fatal("unknown type without schema decoded")
	}
}

func TestLengthCap(t *testing.T) {
	c := NewCodec(64)
	d := sampleData()
	d["certificate"].(map[string]any)["name"] = strings.Repeat("x", 1000)
	b, err := NewCodec(0).Encode(eventbus.TypeCertificateCreated, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(eventbus.TypeCertificateCreated, nil, b); !errors.Is(err, eventbus.ErrDecode) {
		t.Fatalf("oversized string decoded: %v", err)
	}
}

func TestKey(t *testing.T) {
	c := NewCodec(0)
	k, err := c.EncodeKey(eventbus.TypeBadgeAwarded, "abc")
	if err != nil || string(k) != "\x06abc" {
		t.Fatalf("EncodeKey = %q, %v", k, err)
	}
	if s, ok := c.DecodeKey(k); !ok || s != "abc" {
		t.Fatalf("DecodeKey = %q %v", s, ok)
	}
	if _, ok := c.DecodeKey([]byte{0x10}); ok {
		t.Fatal("truncated key decoded")
	}
}

func FuzzUnframeDecode(f *testing.F) {
	c := NewCodec(1 << 16)
	b, _ := c.Encode(eventbus.TypeCertificateCreated, sampleData())
	f.Add(Frame(1, b))
	f.Add(Frame(1, b[:len(b)/2]))
	f.Add([]byte{0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, body, err := Unframe(in)
		if err != nil {
			return
		}
		for _, typ := range []string{eventbus.TypeCertificateCreated, eventbus.TypeBadgeAwarded, eventbus.TypeCcxCoursePassingStatusUpdated} {
			m, err := c.Decode(typ, nil, body)
			if err == nil && m == nil {
				t.Fatal("nil tree without error")
			}
			if err != nil && !errors.Is(err, eventbus.ErrDecode) {
				t.Fatalf("error does not match ErrDecode: %v", err)
			}
		}
	})
}
