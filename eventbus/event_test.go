package eventbus_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
)

func sampleUser() eventbus.UserData {
	return eventbus.UserData{ID: 42, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org", Name: "Ada Lovelace"}}
}

func sampleCert() eventbus.CertificateData {
	return eventbus.CertificateData{
		User:   sampleUser(),
		Course: eventbus.CourseData{CourseKey: "course-v1:edX+DemoX+Demo_Course", DisplayName: "Demo", Start: "2024-01-01T00:00:00+00:00"},
		Mode:   "verified", Grade: "0.9", DownloadURL: "https://lms/cert", Name: "Ada Lovelace",
		CurrentStatus: "downloadable", PreviousStatus: "notpassing",
	}
}

func TestTreeAndLookupLikeOpenEdX(t *testing.T) {
	e := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, sampleCert())
	if e.ID == "" || e.SpecVersion != "1.0" || e.Time.IsZero() {
		t.Fatalf("NewEvent did not fill attributes: %+v", e)
	}
	if e.Key != "course-v1:edX+DemoX+Demo_Course" {
		t.Fatalf("key = %q", e.Key)
	}
	for path, want := range map[string]any{
		"user.pii.email":    "ada@example.org",
		"course.course_key": "course-v1:edX+DemoX+Demo_Course",
		"mode":              "verified",
		"certificate.mode":  "verified",
		"user.id":           int64(42),
		"course.end":        nil,
	} {
		got, ok := e.Lookup(path)
		if !ok || got != want {
			t.Errorf("Lookup(%q) = %v, %v; want %v", path, got, ok, want)
		}
	}
	if _, ok := e.Lookup("user.pii.phone"); ok {
		t.Error("Lookup found a missing path")
	}
	if s, _ := e.LookupString("user.is_active"); s != "True" {
		t.Errorf("LookupString(bool) = %q, want True (Python str)", s)
	}
	if s, _ := e.LookupString("course.end"); s != "None" {
		t.Errorf("LookupString(nil) = %q, want None", s)
	}
	if _, ok := e.Tree()["mode"]; !ok {
		t.Error("Tree is not the payload record")
	}

	p := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: true, Course: sampleCert().Course, User: sampleUser()})
	if v, ok := p.Lookup("is_passing"); !ok || v != true {
		t.Errorf("is_passing = %v, %v", v, ok)
	}
}

func TestTypedRoundTrip(t *testing.T) {
	c := sampleCert()
	got, err := eventbus.CertificateEvent(eventbus.TypeCertificateRevoked, c).Certificate()
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("Certificate() = %+v, %v; want %+v", got, err, c)
	}
	n := int64(30)
	ccx := eventbus.CcxCoursePassingStatusData{IsPassing: false, User: sampleUser(), Course: eventbus.CcxCourseData{
		CcxCourseKey: "ccx-v1:edX+DemoX+Demo_Course+ccx@1", MasterCourseKey: "course-v1:edX+DemoX+Demo_Course",
		DisplayName: "CCX", CoachEmail: "coach@example.org", MaxStudentsAllowed: &n}}
	gotCcx, err := eventbus.CcxCoursePassingStatusEvent(ccx).CcxCoursePassingStatus()
	if err != nil || !reflect.DeepEqual(gotCcx, ccx) {
		t.Fatalf("CcxCoursePassingStatus() = %+v, %v", gotCcx, err)
	}
	b := eventbus.BadgeData{UUID: "8f3c0f4e-1111-4c1e-9f00-000000000001", User: sampleUser(), Template: eventbus.BadgeTemplateData{UUID: "t-1", Origin: "openedx", Name: "Star"}}
	be := eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, b)
	if be.Key != b.UUID {
		t.Errorf("badge key = %q, want badge.uuid", be.Key)
	}
	gotB, err := be.Badge()
	if err != nil || !reflect.DeepEqual(gotB, b) {
		t.Fatalf("Badge() = %+v, %v", gotB, err)
	}
	pc := eventbus.ProgramCertificateData{User: sampleUser(), Program: eventbus.ProgramData{UUID: "p-1", Title: "P", ProgramType: "MicroMasters"}, UUID: "c-1", Status: "awarded", URL: "https://x"}
	pe := eventbus.ProgramCertificateEvent(eventbus.TypeProgramCertificateAwarded, pc)
	if pe.Key != "p-1" {
		t.Errorf("program key = %q", pe.Key)
	}
	gotP, err := pe.ProgramCertificate()
	if err != nil || !reflect.DeepEqual(gotP, pc) {
		t.Fatalf("ProgramCertificate() = %+v, %v", gotP, err)
	}
	u, err := pe.User()
	if err != nil || u != sampleUser() {
		t.Fatalf("User() = %+v, %v", u, err)
	}
	if _, err := pe.Certificate(); !errors.Is(err, eventbus.ErrInvalidEvent) {
		t.Fatalf("Certificate() on a program event: %v", err)
	}
}

func TestTypedAccessorRejectsWrongShape(t *testing.T) {
	e := eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{"certificate": map[string]any{"user": "nope"}})
	if _, err := e.Certificate(); !errors.Is(err, eventbus.ErrInvalidEvent) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownEventTree(t *testing.T) {
	e := eventbus.NewEvent("org.openedx.learning.course.enrollment.created.v1", map[string]any{
		"enrollment": map[string]any{"mode": "audit", "user": sampleUser().Tree()},
	})
	if e.Key != "" {
		t.Errorf("unknown type got a key %q", e.Key)
	}
	if v, ok := e.Lookup("user.pii.username"); !ok || v != "ada" {
		t.Errorf("Lookup = %v, %v", v, ok)
	}
	if u, err := e.User(); err != nil || u.ID != 42 {
		t.Errorf("User() = %v, %v", u, err)
	}
}

func TestTimeFormat(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 120000000, time.UTC)
	if s := eventbus.FormatTime(ts); s != "2024-05-01T10:00:00.120000+00:00" {
		t.Errorf("FormatTime = %q", s)
	}
	if s := eventbus.FormatTime(ts.Truncate(time.Second)); s != "2024-05-01T10:00:00+00:00" {
		t.Errorf("FormatTime = %q", s)
	}
	for _, s := range []string{"2024-05-01T10:00:00.120000+00:00", "2024-05-01T10:00:00.12Z", "2024-05-01T10:00:00.120000", "2024-05-01 10:00:00.12+00:00"} {
		got, err := eventbus.ParseTime(s)
		if err != nil || !got.Equal(ts) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := eventbus.ParseTime("yesterday"); err == nil {
		t.Error("ParseTime accepted junk")
	}
}

func TestKnownTypesAndTopics(t *testing.T) {
	if len(eventbus.KnownTypes()) != 9 {
		t.Fatalf("KnownTypes = %d", len(eventbus.KnownTypes()))
	}
	info, ok := eventbus.LookupType(eventbus.TypeBadgeRevoked)
	if !ok || info.KeyField != "badge.uuid" || info.Topic != eventbus.TopicBadgesLifecycle {
		t.Fatalf("LookupType = %+v", info)
	}
	if got := eventbus.FullTopic("dev", eventbus.TopicBadgesLifecycle); got != "dev-learning-badges-lifecycle" {
		t.Errorf("FullTopic = %q", got)
	}
	if got := eventbus.FullTopic("", "t"); got != "t" {
		t.Errorf("FullTopic = %q", got)
	}
}

func TestNormalizeJSON(t *testing.T) {
	got := eventbus.NormalizeJSON(map[string]any{"a": float64(3), "b": []any{1.5, float64(2)}})
	want := map[string]any{"a": int64(3), "b": []any{1.5, int64(2)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NormalizeJSON = %#v", got)
	}
}

func TestPyStr(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, "None"}, {true, "True"}, {false, "False"}, {"x", "x"},
		{int64(-3), "-3"}, {42, "42"}, {1.5, "1.5"}, {2.0, "2.0"}, {0.0001, "0.0001"},
		{0.00001, "1e-05"}, {1e16, "1e+16"}, {123456789012345.0, "123456789012345.0"},
		{math.Inf(1), "inf"}, {math.NaN(), "nan"}, {json.Number("7"), "7"},
		{time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), "2026-05-01 10:00:00+00:00"},
		{time.Date(2026, 5, 1, 10, 0, 0, 1500, time.UTC), "2026-05-01 10:00:00.000001+00:00"},
	}
	for _, c := range cases {
		if got := eventbus.PyStr(c.v); got != c.want {
			t.Errorf("PyStr(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestLookupPath(t *testing.T) {
	tree := map[string]any{
		"user":       map[string]any{"pii": map[string]any{"email": "learner@example.org"}},
		"course":     map[string]any{"course_key": "course-v1:X+Y+Z", "end": nil},
		"is_passing": true,
	}
	if v, ok := eventbus.LookupPath(tree, "user.pii.email"); !ok || v != "learner@example.org" {
		t.Fatalf("user.pii.email = %v, %v", v, ok)
	}
	if v, ok := eventbus.LookupPath(tree, "course.end"); !ok || v != nil {
		t.Fatalf("course.end = %v, %v; want a present null", v, ok)
	}
	for _, p := range []string{"", "user.nope", "course_passing_status.is_passing", "is_passing.x", "user."} {
		if _, ok := eventbus.LookupPath(tree, p); ok {
			t.Errorf("LookupPath(%q) found something", p)
		}
	}
}
