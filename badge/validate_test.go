package badge_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
)

func TestValidationNamesFieldAndKind(t *testing.T) {
	other := mkTemplate("Other", badge.RuleSet{Requirements: []badge.Requirement{passReq("other-pass", "A", "c2")}})
	cases := []struct {
		name    string
		rs      badge.RuleSet
		kind    error
		field   string
		problem string
	}{
		{"unknown operator",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "is_passing", Operator: "equals", Value: "true"}}}}},
			badge.ErrUnknownOperator, "requirements[r].rules[0].operator", `unknown operator "equals"`},
		{"path the event type does not have",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "course.key", Operator: "eq", Value: "x"}}}}},
			badge.ErrBadPath, "requirements[r].rules[0].path", `has no field "course.key"`},
		{"path with the data key in front",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "course_passing_status.is_passing", Operator: "eq", Value: "true"}}}}},
			badge.ErrBadPath, "requirements[r].rules[0].path", `write "is_passing"`},
		{"path naming a record",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "user.pii", Operator: "eq", Value: "x"}}}}},
			badge.ErrBadPath, "requirements[r].rules[0].path", "is a record"},
		{"comparison on a boolean field",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: eventbus.TypeCertificateCreated,
				Rules: []badge.DataRule{{Path: "user.is_active", Operator: "gt", Value: json.Number("1")}}}}},
			badge.ErrBadValue, "requirements[r].rules[0].operator", "compares numbers and times"},
		{"date-time field compared with a number",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "course.start", Operator: "gt", Value: json.Number("1")}}}}},
			badge.ErrBadValue, "requirements[r].rules[0].value", "RFC 3339"},
		{"empty declared group",
			badge.RuleSet{Groups: []string{"A", "B"}, Requirements: []badge.Requirement{passReq("r", "A", "c1")}},
			badge.ErrEmptyGroup, "groups[1]", `group "B" has no requirement`},
		{"undeclared group",
			badge.RuleSet{Groups: []string{"A"}, Requirements: []badge.Requirement{passReq("r", "C", "c1")}},
			badge.ErrEmptyGroup, "requirements[r].group", `"C" is not declared`},
		{"penalty resetting nothing",
			badge.RuleSet{Requirements: []badge.Requirement{passReq("r", "A", "c1")},
				Penalties: []badge.Penalty{failPenalty("p", "c1")}},
			badge.ErrBadPenalty, "penalties[p].resets", "at least one"},
		{"bad regexp",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Rules: []badge.DataRule{{Path: "user.pii.email", Operator: "matches", Value: "[a-"}}}}},
			badge.ErrBadRegexp, "requirements[r].rules[0].value", "bad regular expression"},
		{"count below one",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Count: &badge.Count{Path: "course.course_key", Distinct: 0}}}},
			badge.ErrBadCount, "requirements[r].count.distinct", "at least 1"},
		{"count on a missing path",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
				Count: &badge.Count{Path: "course.id", Distinct: 2}}}},
			badge.ErrBadCount, "requirements[r].count.path", `has no field "course.id"`},
		{"window without count",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType, Window: badge.Duration(3600e9)}}},
			badge.ErrBadCount, "requirements[r].window", "needs a count"},
		{"duplicate requirement id",
			badge.RuleSet{Requirements: []badge.Requirement{passReq("r", "A", "c1"), passReq("r", "B", "c2")}},
			badge.ErrBadID, "requirements[r].id", "used twice"},
		{"missing event type",
			badge.RuleSet{Requirements: []badge.Requirement{{ID: "r"}}},
			badge.ErrBadValue, "requirements[r].event_type", "must not be empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rs.Validate()
			if !errors.Is(err, c.kind) || !errors.Is(err, badge.ErrInvalidRules) || !errors.Is(err, credential.ErrInvalid) {
				t.Fatalf("Validate() = %v, want %v", err, c.kind)
			}
			var re *badge.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("not a *RuleError: %T", err)
			}
			found := false
			for _, p := range badge.Problems(err) {
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
		bad := mkTemplate("Bad", badge.RuleSet{Requirements: []badge.Requirement{passReq("own", "A", "c1")},
			Penalties: []badge.Penalty{failPenalty("p", "c2", "other-pass")}})
		err := badge.ValidateTemplates([]badge.Template{other, bad})
		if !errors.Is(err, badge.ErrBadPenalty) {
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
		rs := badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: "com.example.custom.v1",
			Rules: []badge.DataRule{{Path: "anything.at.all", Operator: "eq", Value: "x"}}}}}
		if err := rs.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("all problems reported at once", func(t *testing.T) {
		rs := badge.RuleSet{Requirements: []badge.Requirement{{ID: "r", EventType: passingType,
			Rules: []badge.DataRule{{Path: "x", Operator: "eq", Value: "1"}, {Path: "is_passing", Operator: "zz"}}}}}
		if n := len(badge.Problems(rs.Validate())); n != 2 {
			t.Fatalf("%d problems, want 2", n)
		}
	})
}

func TestTemplateValidation(t *testing.T) {
	a := mkTemplate("A", badge.RuleSet{Requirements: []badge.Requirement{passReq("r", "", "c1")}})
	b := mkTemplate("B", badge.RuleSet{Requires: []uuid.UUID{a.UUID}})
	if err := badge.ValidateTemplates([]badge.Template{a, b}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ts   []badge.Template
		kind error
		msg  string
	}{
		{"active template without requirements", []badge.Template{mkTemplate("E", badge.RuleSet{})}, badge.ErrEmptyGroup, "at least one requirement"},
		{"unknown state", []badge.Template{func() badge.Template { x := a; x.State = "live"; return x }()}, badge.ErrBadTemplate, `unknown state "live"`},
		{"missing provider", []badge.Template{func() badge.Template { x := a; x.Provider = ""; return x }()}, badge.ErrBadTemplate, "provider"},
		{"duplicate uuid", []badge.Template{a, func() badge.Template { x := a; x.Name = "A2"; return x }()}, badge.ErrBadID, "is also template"},
		{"unknown dependency", []badge.Template{b}, badge.ErrBadDependency, "no template"},
		{"self dependency", []badge.Template{func() badge.Template { x := a; x.Requires = []uuid.UUID{a.UUID}; return x }()}, badge.ErrBadDependency, "itself"},
		{"dependency cycle", func() []badge.Template {
			x := a
			x.Requires = []uuid.UUID{b.UUID}
			return []badge.Template{x, b}
		}(), badge.ErrBadDependency, "cycle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := badge.ValidateTemplates(c.ts)
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, c.kind, c.msg)
			}
		})
	}
	if _, err := badge.NewEngine([]badge.Template{b}); !errors.Is(err, badge.ErrBadDependency) {
		t.Fatalf("NewEngine with a dangling dependency: %v", err)
	}
	draft := mkTemplate("D", badge.RuleSet{})
	draft.State = badge.StateDraft
	if err := draft.Validate(); err != nil {
		t.Fatalf("an empty draft is fine: %v", err)
	}
}

func TestStoreConversionRoundTrip(t *testing.T) {
	tp := mkTemplate("Round", badge.RuleSet{
		Requirements: []badge.Requirement{passReq("r1", "A", "c1"), {ID: "r2", Group: "B", EventType: passingType,
			Count: &badge.Count{Path: "course.course_key", Distinct: 3}, Window: badge.Duration(30 * 24 * 3600e9)}},
		Penalties: []badge.Penalty{failPenalty("p", "c1", "r1")},
		Window:    badge.Duration(7200e9),
	})
	tp.Repeatable = true
	st, err := tp.ToStore()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st.Rules), `"window":"30d"`) || !strings.Contains(string(st.Rules), `"window":"2h0m0s"`) {
		t.Fatalf("rules JSON: %s", st.Rules)
	}
	back, err := badge.FromStore(st)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, back) != mustJSON(t, tp) {
		t.Fatalf("round trip:\n%s\n%s", mustJSON(t, back), mustJSON(t, tp))
	}
	st.Rules = json.RawMessage(`{"requirements":[{"id":"x","event_typo":"y"}]}`)
	if _, err := badge.FromStore(st); !errors.Is(err, badge.ErrInvalidRules) {
		t.Fatalf("unknown field in stored rules: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"30d": "30d", "36h": "36h0m0s", "48h": "2d", "90m": "1h30m0s", "": "0s"} {
		d, err := badge.ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"1w", "-3d", "x"} {
		if _, err := badge.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
}
