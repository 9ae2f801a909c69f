package rulesyaml_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/badge/rules/rulesyaml"
	"github.com/credshare/credshare/eventbus"
)

const sampleYAML = `
templates:
  - name: Python fundamentals
    provider: credly
    account_id: org-1
    external_id: tpl-9
    requirements:
      - id: py1
        group: A
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules:
          - {path: course.course_key, operator: eq, value: "course-v1:X+PY1+2026"}
          - {path: is_passing, operator: eq, value: yes}
      - id: py2
        group: B
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules:
          - {path: course.course_key, operator: eq, value: "course-v1:X+PY2+2026"}
          - {path: is_passing, operator: eq, value: true}
    penalties:
      - id: py1-failed
        resets: [py1]
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules:
          - {path: course.course_key, operator: eq, value: "course-v1:X+PY1+2026"}
          - {path: is_passing, operator: eq, value: no}
  - uuid: 5f0c8f3e-4b53-4c1e-9d43-0a6c2c9d7a11
    name: Five verified certificates
    provider: obv3
    repeatable: true
    window: 365d
    requirements:
      - id: five
        event_type: org.openedx.learning.certificate.created.v1
        rules:
          - {path: mode, operator: in, value: [verified, professional]}
          - {path: grade, operator: gte, value: 0.7}
          - {path: course.start, operator: gte, value: 2026-01-01T00:00:00Z}
        count: {path: course.course_key, distinct: 5}
`

func TestParseMatchesJSONForm(t *testing.T) {
	ts, err := rulesyaml.Parse([]byte(sampleYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].UUID != badge.TemplateUUID("credly", "org-1", "tpl-9") || ts[1].Window.String() != "365d" {
		t.Fatalf("templates: %+v", ts)
	}
	// yes / no stay strings, which eq normalises as Open edX does.
	if v := ts[0].Requirements[0].Rules[1].Value; v != "yes" {
		t.Fatalf("yes became %#v", v)
	}
	if v := ts[0].Requirements[1].Rules[1].Value; v != true {
		t.Fatalf("true became %#v", v)
	}
	// The timestamp stays an RFC 3339 string.
	if v := ts[1].Requirements[0].Rules[2].Value; v != "2026-01-01T00:00:00Z" {
		t.Fatalf("timestamp became %#v", v)
	}
	b, _ := json.Marshal(rules.File{Templates: ts})
	back, err := rules.ParseFile(b)
	if err != nil {
		t.Fatalf("JSON form of the YAML: %v", err)
	}
	x, _ := json.Marshal(back)
	y, _ := json.Marshal(ts)
	if string(x) != string(y) {
		t.Fatalf("JSON and YAML forms differ:\n%s\n%s", x, y)
	}
	eng, err := rules.NewEngine(ts)
	if err != nil {
		t.Fatal(err)
	}
	ev := rules.Event{ID: "e", Type: eventbus.TypeCoursePassingStatusUpdated, LearnerID: 1, Data: map[string]any{
		"is_passing": true, "course": map[string]any{"course_key": "course-v1:X+PY1+2026"}}}
	if m := eng.Match(ev, nil); len(m) != 1 || m[0].RequirementID != "py1" {
		t.Fatalf("Match = %+v", m)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, doc, msg string }{
		{"syntax", "templates: [\n  - name: x\n bad", "YAML"},
		{"unknown key", "templates:\n  - name: x\n    provider: p\n    external_id: e\n    requirement: []\n", `unknown field "requirement"`},
		{"unknown path", "templates:\n  - name: x\n    provider: p\n    external_id: e\n    requirements:\n      - id: r\n        event_type: org.openedx.learning.certificate.created.v1\n        rules: [{path: certificate.mode, operator: eq, value: verified}]\n",
			`has no field "certificate.mode" (paths are relative to the "certificate" record: write "mode")`},
		{"infinity", "templates:\n  - name: x\n    provider: p\n    external_id: e\n    requirements:\n      - id: r\n        event_type: t\n        rules: [{path: a, operator: gt, value: .inf}]\n", "not a usable number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rulesyaml.Parse([]byte(c.doc))
			if !errors.Is(err, rules.ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want one containing %q", err, c.msg)
			}
		})
	}
	if ts, err := rulesyaml.Parse(nil); err != nil || len(ts) != 0 {
		t.Fatalf("empty document: %v, %v", ts, err)
	}
}

// FuzzParse: any YAML gives valid templates or a rules error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleYAML))
	f.Add([]byte("templates: []"))
	f.Add([]byte("templates:\n  - {name: a, provider: p, external_id: 1, requires: [1]}"))
	f.Add([]byte("? [a]\n: b"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := rulesyaml.Parse(b)
		if err != nil {
			if !errors.Is(err, rules.ErrInvalid) {
				t.Fatalf("error outside the rules kind: %v", err)
			}
			return
		}
		if err := rules.ValidateTemplates(ts); err != nil {
			t.Fatalf("parsed templates do not validate: %v", err)
		}
	})
}

func ExampleParse() {
	ts, err := rulesyaml.Parse([]byte(`
templates:
  - name: Data literacy
    provider: obv3
    external_id: data-literacy
    requirements:
      - id: stats
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules:
          - {path: course.course_key, operator: eq, value: "course-v1:X+STAT+2026"}
          - {path: is_passing, operator: eq, value: "true"}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ts[0].Name, ts[0].State, len(ts[0].Requirements))
	_, err = rulesyaml.Parse([]byte(`
templates:
  - name: Broken
    provider: obv3
    external_id: broken
    requirements:
      - id: r
        event_type: org.openedx.learning.course.passing.status.updated.v1
        rules: [{path: is_passing, operator: equals, value: "true"}]
`))
	fmt.Println(err)
	// Output:
	// Data literacy active 1
	// badge rules: template "Broken": requirements[r].rules[0].operator: unknown operator "equals" (want one of eq, ne, in, not_in, gt, gte, lt, lte, exists, matches)
}
