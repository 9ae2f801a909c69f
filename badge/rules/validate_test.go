package rules_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
)

func TestValidationNamesFieldAndKind(t *testing.T) {
	other := mkTemplate("Other", rules.Set{Requirements: []rules.Requirement{passReq("other-pass", "A", "c2")}})
	cases := []struct {
		name    string
		rs      rules.Set
		kind    error
		field   string
		problem string
	}{
		{"unknown operator",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "is_passing", Operator: "equals", Value: "true"}}}}},
			rules.ErrUnknownOperator, "requirements[r].rules[0].operator", `unknown operator "equals"`},
		{"path the event type does not have",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "course.key", Operator: "eq", Value: "x"}}}}},
			rules.ErrBadPath, "requirements[r].rules[0].path", `has no field "course.key"`},
		{"path with the data key in front",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "course_passing_status.is_passing", Operator: "eq", Value: "true"}}}}},
			rules.ErrBadPath, "requirements[r].rules[0].path", `write "is_passing"`},
		{"path naming a record",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "user.pii", Operator: "eq", Value: "x"}}}}},
			rules.ErrBadPath, "requirements[r].rules[0].path", "is a record"},
		{"comparison on a boolean field",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: eventbus.TypeCertificateCreated,
				Rules: []rules.DataRule{{Path: "user.is_active", Operator: "gt", Value: json.Number("1")}}}}},
			rules.ErrBadValue, "requirements[r].rules[0].operator", "compares numbers and times"},
		{"date-time field compared with a number",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "course.start", Operator: "gt", Value: json.Number("1")}}}}},
			rules.ErrBadValue, "requirements[r].rules[0].value", "RFC 3339"},
		{"empty declared group",
			rules.Set{Groups: []string{"A", "B"}, Requirements: []rules.Requirement{passReq("r", "A", "c1")}},
			rules.ErrEmptyGroup, "groups[1]", `group "B" has no requirement`},
		{"undeclared group",
			rules.Set{Groups: []string{"A"}, Requirements: []rules.Requirement{passReq("r", "C", "c1")}},
			rules.ErrEmptyGroup, "requirements[r].group", `"C" is not declared`},
		{"penalty resetting nothing",
			rules.Set{Requirements: []rules.Requirement{passReq("r", "A", "c1")},
				Penalties: []rules.Penalty{failPenalty("p", "c1")}},
			rules.ErrBadPenalty, "penalties[p].resets", "at least one"},
		{"bad regexp",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Rules: []rules.DataRule{{Path: "user.pii.email", Operator: "matches", Value: "[a-"}}}}},
			rules.ErrBadRegexp, "requirements[r].rules[0].value", "bad regular expression"},
		{"count below one",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Count: &rules.Count{Path: "course.course_key", Distinct: 0}}}},
			rules.ErrBadCount, "requirements[r].count.distinct", "at least 1"},
		{"count on a missing path",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
				Count: &rules.Count{Path: "course.id", Distinct: 2}}}},
			rules.ErrBadCount, "requirements[r].count.path", `has no field "course.id"`},
		{"window without count",
			rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType, Window: rules.Duration(3600e9)}}},
			rules.ErrBadCount, "requirements[r].window", "needs a count"},
		{"duplicate requirement id",
			rules.Set{Requirements: []rules.Requirement{passReq("r", "A", "c1"), passReq("r", "B", "c2")}},
			rules.ErrBadID, "requirements[r].id", "used twice"},
		{"missing event type",
			rules.Set{Requirements: []rules.Requirement{{ID: "r"}}},
			rules.ErrBadValue, "requirements[r].event_type", "must not be empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rs.Validate()
			if !errors.Is(err, c.kind) || !errors.Is(err, rules.ErrInvalid) || !errors.Is(err, credential.ErrInvalid) {
				t.Fatalf("Validate() = %v, want %v", err, c.kind)
			}
			var re *rules.Error
			if !errors.As(err, &re) {
				t.Fatalf("not a *Error: %T", err)
			}
			found := false
			for _, p := range rules.Problems(err) {
				if p.Field == c.field && strings.Contains(p.Problem, c.problem) && errors.Is(p, c.kind) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem at %s containing %q in: %v", c.field, c.problem, err)
			}
		})
	}

	t.Run("penalty pointing at another template's requirement", func(t *testing.T) {
		bad := mkTemplate("Bad", rules.Set{Requirements: []rules.Requirement{passReq("own", "A", "c1")},
			Penalties: []rules.Penalty{failPenalty("p", "c2", "other-pass")}})
		err := rules.ValidateTemplates([]rules.Template{other, bad})
		if !errors.Is(err, rules.ErrBadPenalty) {
			t.Fatalf("err = %v", err)
		}
		msg := err.Error()
		for _, want := range []string{`template "Bad"`, "penalties[p].resets[0]", `requirement "other-pass"`, `template "Other"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not mention %q", msg, want)
			}
		}
	})
	t.Run("unknown event types skip path checks", func(t *testing.T) {
		rs := rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: "com.example.custom.v1",
			Rules: []rules.DataRule{{Path: "anything.at.all", Operator: "eq", Value: "x"}}}}}
		if err := rs.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("all problems reported at once", func(t *testing.T) {
		rs := rules.Set{Requirements: []rules.Requirement{{ID: "r", EventType: passingType,
			Rules: []rules.DataRule{{Path: "x", Operator: "eq", Value: "1"}, {Path: "is_passing", Operator: "zz"}}}}}
		if n := len(rules.Problems(rs.Validate())); n != 2 {
			t.Fatalf("%d problems, want 2", n)
		}
	})
}

func TestTemplateValidation(t *testing.T) {
	a := mkTemplate("A", rules.Set{Requirements: []rules.Requirement{passReq("r", "", "c1")}})
	b := mkTemplate("B", rules.Set{Requires: []uuid.UUID{a.UUID}})
	if err := rules.ValidateTemplates([]rules.Template{a, b}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ts   []rules.Template
		kind error
		msg  string
	}{
		{"active template without requirements", []rules.Template{mkTemplate("E", rules.Set{})}, rules.ErrEmptyGroup, "at least one requirement"},
		{"unknown state", []rules.Template{func() rules.Template { x := a; x.State = "live"; return x }()}, rules.ErrBadTemplate, `unknown state "live"`},
		{"missing provider", []rules.Template{func() rules.Template { x := a; x.Provider = ""; return x }()}, rules.ErrBadTemplate, "provider"},
		{"duplicate uuid", []rules.Template{a, func() rules.Template { x := a; x.Name = "A2"; return x }()}, rules.ErrBadID, "is also template"},
		{"unknown dependency", []rules.Template{b}, rules.ErrBadDependency, "no template"},
		{"self dependency", []rules.Template{func() rules.Template { x := a; x.Requires = []uuid.UUID{a.UUID}; return x }()}, rules.ErrBadDependency, "itself"},
		{"dependency cycle", func() []rules.Template {
			x := a
			x.Requires = []uuid.UUID{b.UUID}
			return []rules.Template{x, b}
		}(), rules.ErrBadDependency, "cycle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := rules.ValidateTemplates(c.ts)
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, c.kind, c.msg)
			}
		})
	}
	if _, err := rules.NewEngine([]rules.Template{b}); !errors.Is(err, rules.ErrBadDependency) {
		t.Fatalf("NewEngine with a dangling dependency: %v", err)
	}
	draft := mkTemplate("D", rules.Set{})
	draft.State = rules.StateDraft
	if err := draft.Validate(); err != nil {
		t.Fatalf("an empty draft is fine: %v", err)
	}
}

func TestStoreConversionRoundTrip(t *testing.T) {
	tp := mkTemplate("Round", rules.Set{
		Requirements: []rules.Requirement{passReq("r1", "A", "c1"), {ID: "r2", Group: "B", EventType: passingType,
			Count: &rules.Count{Path: "course.course_key", Distinct: 3}, Window: rules.Duration(30 * 24 * 3600e9)}},
		Penalties: []rules.Penalty{failPenalty("p", "c1", "r1")},
		Window:    rules.Duration(7200e9),
	})
	tp.Repeatable = true
	st, err := tp.ToStore()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st.Rules), `"window":"30d"`) || !strings.Contains(string(st.Rules), `"window":"2h0m0s"`) {
		t.Fatalf("rules JSON: %s", st.Rules)
	}
	back, err := rules.FromStore(st)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, back) != mustJSON(t, tp) {
		t.Fatalf("round trip:\n%s\n%s", mustJSON(t, back), mustJSON(t, tp))
	}
	st.Rules = json.RawMessage(`{"requirements":[{"id":"x","event_typo":"y"}]}`)
	if _, err := rules.FromStore(st); !errors.Is(err, rules.ErrInvalid) {
		t.Fatalf("unknown field in stored rules: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"30d": "30d", "36h": "36h0m0s", "48h": "2d", "90m": "1h30m0s", "": "0s"} {
		d, err := rules.ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"1w", "-3d", "x"} {
		if _, err := rules.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
}
