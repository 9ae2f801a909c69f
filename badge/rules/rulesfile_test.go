package rules_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store/memstore"
)

const sampleRulesJSON = `{"templates": [
 {"name": "Python fundamentals", "provider": "credly", "account_id": "org-1", "external_id": "tpl-9",
  "description": "Pass both Python courses",
  "requirements": [
   {"id": "py1", "group": "A", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
    "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
              {"path": "is_passing", "operator": "eq", "value": "true"}]},
   {"id": "py2", "group": "B", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
    "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY2+2026"},
              {"path": "is_passing", "operator": "eq", "value": "true"}]}],
  "penalties": [
   {"id": "py1-failed", "resets": ["py1"], "event_type": "org.openedx.learning.course.passing.status.updated.v1",
    "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
              {"path": "is_passing", "operator": "eq", "value": "false"}]}]},
 {"uuid": "5f0c8f3e-4b53-4c1e-9d43-0a6c2c9d7a11", "name": "Five verified certificates", "provider": "obv3",
  "state": "draft", "repeatable": true,
  "requirements": [{"id": "five", "event_type": "org.openedx.learning.certificate.created.v1",
    "rules": [{"path": "mode", "operator": "in", "value": ["verified", "professional"]},
              {"path": "grade", "operator": "gte", "value": 0.7}],
    "count": {"path": "course.course_key", "distinct": 5}, "window": "365d"}]}
]}`

func TestParseFile(t *testing.T) {
	ts, err := rules.ParseFile([]byte(sampleRulesJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 {
		t.Fatalf("%d templates", len(ts))
	}
	if ts[0].UUID != badge.TemplateUUID("credly", "org-1", "tpl-9") || ts[0].State != rules.StateActive {
		t.Fatalf("defaults: %+v", ts[0])
	}
	if ts[1].State != rules.StateDraft || !ts[1].Repeatable || ts[1].Requirements[0].Count.Distinct != 5 ||
		ts[1].Requirements[0].Window.String() != "365d" {
		t.Fatalf("second: %+v", ts[1])
	}
	// The file goes into a store and an engine evaluates it.
	st := memstore.New()
	defer st.Close()
	ctx := context.Background()
	stored, err := rules.PutTemplates(ctx, st.Config(), ts)
	if err != nil || stored[0].RulesVersion != 1 {
		t.Fatalf("PutTemplates: %+v, %v", stored, err)
	}
	// Storing the same file again keeps the versions.
	if again, _ := rules.PutTemplates(ctx, st.Config(), ts); again[1].RulesVersion != 1 {
		t.Fatalf("version after an identical put: %d", again[1].RulesVersion)
	}
	eng, err := rules.LoadEngine(ctx, st.Config())
	if err != nil {
		t.Fatal(err)
	}
	if got := eng.EventTypes(); len(got) != 1 {
		t.Fatalf("a draft template was indexed: %v", got)
	}
}

func TestParseFileErrors(t *testing.T) {
	cases := []struct {
		name, file string
		kind       error
		msg        string
	}{
		{"not JSON", `{"templates": [`, rules.ErrBadValue, "file"},
		{"unknown field", `{"templates": [{"name": "x", "provider": "p", "external_id": "1", "requirments": []}]}`, rules.ErrBadValue, `unknown field "requirments"`},
		{"trailing data", `{"templates": []} {}`, rules.ErrBadValue, "after the JSON value"},
		{"no uuid", `{"templates": [{"name": "x", "provider": "p", "requirements": [{"id": "r", "event_type": "t"}]}]}`, rules.ErrBadTemplate, "external_id"},
		{"bad operator", `{"templates": [{"name": "x", "provider": "p", "external_id": "1", "requirements": [{"id": "r", "event_type": "org.openedx.learning.certificate.created.v1", "rules": [{"path": "mode", "operator": "like", "value": "v"}]}]}]}`,
			rules.ErrUnknownOperator, `template "x": requirements[r].rules[0].operator: unknown operator "like"`},
		{"bad duration", `{"templates": [{"name": "x", "provider": "p", "external_id": "1", "window": "1 week", "requirements": [{"id": "r", "event_type": "t"}]}]}`, rules.ErrBadValue, "duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rules.ParseFile([]byte(c.file))
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, c.kind, c.msg)
			}
		})
	}
}

// FuzzParseFile: any input gives templates that validate, or an
// error of the rules kind; never a panic.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(sampleRulesJSON))
	f.Add([]byte(`{"templates": []}`))
	f.Add([]byte(`{"templates": [{"name": "x", "provider": "p", "external_id": "1", "requires": ["00000000-0000-0000-0000-000000000001"]}]}`))
	f.Add([]byte(`{"templates": [{"name": "x", "provider": "p", "external_id": "1", "requirements": [{"id": "r", "event_type": "t", "rules": [{"path": "a.b", "operator": "matches", "value": "(?i)x+"}, {"path": "n", "operator": "gt", "value": "2026-01-01T00:00:00Z"}]}]}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"templates": [{"window": 12}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := rules.ParseFile(b)
		if err != nil {
			if !errors.Is(err, rules.ErrInvalid) {
				t.Fatalf("error outside the rules kind: %v", err)
			}
			return
		}
		if err := rules.ValidateTemplates(ts); err != nil {
			t.Fatalf("parsed templates do not validate: %v", err)
		}
		if _, err := rules.NewEngine(ts); err != nil {
			t.Fatalf("NewEngine on parsed templates: %v", err)
		}
		// The stored form parses back to the same rule set.
		for _, tp := range ts {
			st, err := tp.ToStore()
			if err != nil {
				t.Fatal(err)
			}
			back, err := rules.FromStore(st)
			if err != nil {
				t.Fatalf("stored rules do not parse: %v\n%s", err, st.Rules)
			}
			if err := back.Validate(); err != nil {
				t.Fatalf("stored rules do not validate: %v\n%s", err, st.Rules)
			}
		}
	})
}

// FuzzLookup: Lookup on a tree built from the path finds the leaf, and on
// arbitrary paths never panics; rules on arbitrary paths never panic.
func FuzzLookup(f *testing.F) {
	f.Add("user.pii.email", "x")
	f.Add("a..b", "")
	f.Add(".", "None")
	f.Add("is_passing", "True")
	f.Fuzz(func(t *testing.T, path, value string) {
		tree := passData(1, "c", true)
		eventbus.LookupPath(tree, path)
		for _, op := range rules.Operators() {
			var v any = value
			if op == rules.OpIn || op == rules.OpNotIn {
				v = []any{value}
			}
			if op == rules.OpExists {
				v = nil
			}
			_, _ = rules.DataRule{Path: path, Operator: op, Value: v}.Matches(tree)
		}
		segs := strings.Split(path, ".")
		if slicesContainEmpty(segs) || strings.TrimSpace(path) == "" {
			return
		}
		built := map[string]any{}
		cur := built
		for i, s := range segs {
			if i == len(segs)-1 {
				cur[s] = value
				break
			}
			next := map[string]any{}
			cur[s] = next
			cur = next
		}
		got, ok := eventbus.LookupPath(built, path)
		if !ok || got != value {
			t.Fatalf("Lookup(%q) = %v, %v; want %q", path, got, ok, value)
		}
		m, err := rules.DataRule{Path: path, Operator: rules.OpEq, Value: value}.Matches(built)
		if err != nil {
			t.Fatal(err)
		}
		if want := rules.NormalizeValue(value) == value; m != want {
			t.Fatalf("eq %q on its own path = %v, want %v", value, m, want)
		}
	})
}

func slicesContainEmpty(s []string) bool {
	for _, x := range s {
		if x == "" {
			return true
		}
	}
	return false
}
