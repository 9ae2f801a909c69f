package eventbus_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
)

func userTree(id int64, name string) map[string]any {
	return eventbus.UserData{ID: id, IsActive: true, PII: eventbus.UserPersonalData{Username: name}}.Tree()
}

// The learner is found the way Open edX's get_user_data walks an attrs
// payload: members in name order, depth first. Here a breadth-first search
// would stop at "reviewer" (one level down) and a search that prefers a
// "user" member would take the top-level one; get_user_data takes the user
// nested in "enrollment", the first member by name that leads to one.
func TestLearnerSearchOrderIsOpenEdxs(t *testing.T) {
	e := eventbus.NewEvent("org.openedx.learning.course.enrollment.created.v1", map[string]any{
		"enrollment": map[string]any{
			"course":   map[string]any{"course_key": "course-v1:X+Y+Z"},
			"enrolled": map[string]any{"mode": "audit", "user": userTree(42, "ada")},
			"reviewer": userTree(7, "grace"),
			"user":     userTree(9, "alan"),
		},
	})
	l, ok := e.Learner()
	if !ok || l.UserID != 42 || l.Username != "ada" {
		t.Fatalf("Learner() = %+v, %v; want learner 42 (enrolled.user)", l, ok)
	}
	u, err := e.User()
	if err != nil || u.ID != 42 {
		t.Fatalf("User() = %+v, %v; want the same learner as Learner()", u, err)
	}
}

// Learner reads the record leniently where User is strict.
func TestLearnerIsLenient(t *testing.T) {
	e := eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{"certificate": map[string]any{
		"user": map[string]any{"id": "42", "pii": map[string]any{"username": "ada", "email": nil}},
	}})
	if _, err := e.User(); err == nil {
		t.Fatal("User() accepted a string id")
	}
	l, ok := e.Learner()
	want := credential.Learner{UserID: 42, Username: "ada", IsActive: true}
	if !ok || l != want {
		t.Fatalf("Learner() = %+v, %v; want %+v", l, ok, want)
	}
	if _, ok := eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{"certificate": map[string]any{
		"user": map[string]any{"id": "x", "pii": map[string]any{}}}}).Learner(); ok {
		t.Error("Learner() accepted a non-numeric id")
	}
	if _, ok := eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{"certificate": map[string]any{"mode": "audit"}}).Learner(); ok {
		t.Error("Learner() found a learner in a payload without one")
	}
}

// FuzzLearner: any JSON payload; Learner never panics and agrees with User
// whenever User reads the record.
func FuzzLearner(f *testing.F) {
	f.Add([]byte(`{"user":{"id":42,"is_active":true,"pii":{"username":"ada","email":"a@x","name":"Ada"}},"course":{"course_key":"c"}}`))
	f.Add([]byte(`{"a":{"user":{"id":"7","pii":{}}},"b":{"id":1,"pii":{"username":3}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var tree map[string]any
		if dec.Decode(&tree) != nil {
			return
		}
		tree, _ = eventbus.NormalizeJSON(tree).(map[string]any)
		e := eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{"certificate": tree})
		l, ok := e.Learner()
		u, err := e.User()
		if err == nil && (!ok || l.UserID != u.ID || l.IsActive != u.IsActive || l.Username != u.PII.Username ||
			l.Email != u.PII.Email || l.FullName != u.PII.Name) {
			t.Fatalf("User() = %+v but Learner() = %+v, %v", u, l, ok)
		}
	})
}
