package rules_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
)

// TestDataRuleSemantics is the table of operator semantics, including
// Open edX's exact string and boolean normalisation for eq/ne.
func TestDataRuleSemantics(t *testing.T) {
	tree := map[string]any{
		"is_passing": true,
		"failing":    false,
		"grade":      "0.85",
		"score":      0.85,
		"whole":      1.0,
		"tiny":       0.00001,
		"huge":       1e20,
		"count":      int64(7),
		"big":        int64(9007199254740993),
		"num":        json.Number("12"),
		"nothing":    nil,
		"mode":       "verified",
		"when":       "2026-05-01T10:00:00+00:00",
		"when_py":    "2026-05-01 10:00:00+00:00",
		"user":       map[string]any{"id": int64(42), "pii": map[string]any{"email": "Ada@Example.org"}},
		"list":       []any{"a", "b"},
	}
	cases := []struct {
		name  string
		rule  rules.DataRule
		match bool
	}{
		// eq/ne, Open edX's str() of the event value and boolean words.
		{"eq bool true vs 'true'", rules.DataRule{"is_passing", "eq", "true"}, true},
		{"eq bool true vs 'True'", rules.DataRule{"is_passing", "eq", "True"}, true},
		{"eq bool true vs 'Yes'", rules.DataRule{"is_passing", "eq", "Yes"}, true},
		{"eq bool true vs 'yes'", rules.DataRule{"is_passing", "eq", "yes"}, true},
		{"eq bool true vs '+'", rules.DataRule{"is_passing", "eq", "+"}, true},
		{"eq bool true vs JSON true", rules.DataRule{"is_passing", "eq", true}, true},
		{"eq bool true vs 'TRUE' (not a word Open edX knows)", rules.DataRule{"is_passing", "eq", "TRUE"}, false},
		{"eq bool true vs '1'", rules.DataRule{"is_passing", "eq", "1"}, false},
		{"eq bool false vs 'no'", rules.DataRule{"failing", "eq", "no"}, true},
		{"eq bool false vs '-'", rules.DataRule{"failing", "eq", "-"}, true},
		{"eq bool false vs 'false'", rules.DataRule{"failing", "eq", "false"}, true},
		{"ne bool true vs 'false'", rules.DataRule{"is_passing", "ne", "false"}, true},
		{"ne bool true vs 'yes'", rules.DataRule{"is_passing", "ne", "yes"}, false},
		{"eq string exact", rules.DataRule{"mode", "eq", "verified"}, true},
		{"eq string is case-sensitive", rules.DataRule{"mode", "eq", "Verified"}, false},
		{"eq long as decimal", rules.DataRule{"user.id", "eq", "42"}, true},
		{"eq long vs JSON number", rules.DataRule{"user.id", "eq", json.Number("42")}, true},
		{"eq float as Python str", rules.DataRule{"score", "eq", "0.85"}, true},
		{"eq whole float keeps .0", rules.DataRule{"whole", "eq", "1.0"}, true},
		{"eq whole float is not '1'", rules.DataRule{"whole", "eq", "1"}, false},
		{"eq tiny float in exponent form", rules.DataRule{"tiny", "eq", "1e-05"}, true},
		{"eq huge float in exponent form", rules.DataRule{"huge", "eq", "1e+20"}, true},
		{"eq null is 'None'", rules.DataRule{"nothing", "eq", "None"}, true},
		{"eq missing path is 'None'", rules.DataRule{"user.pii.username", "eq", "None"}, true},
		{"eq missing path vs value", rules.DataRule{"nope", "eq", "x"}, false},
		{"ne missing path vs value (Open edX: None != x)", rules.DataRule{"nope", "ne", "x"}, true},
		{"eq through a non-record", rules.DataRule{"mode.x", "eq", "None"}, true},
		{"eq nested", rules.DataRule{"user.pii.email", "eq", "Ada@Example.org"}, true},
		// in / not_in use the same normalisation.
		{"in hit", rules.DataRule{"mode", "in", []any{"honor", "verified"}}, true},
		{"in miss", rules.DataRule{"mode", "in", []any{"honor", "audit"}}, false},
		{"in boolean words", rules.DataRule{"is_passing", "in", []any{"yes"}}, true},
		{"in numbers", rules.DataRule{"count", "in", []any{json.Number("6"), json.Number("7")}}, true},
		{"not_in hit", rules.DataRule{"mode", "not_in", []any{"audit"}}, true},
		{"not_in miss", rules.DataRule{"mode", "not_in", []any{"verified"}}, false},
		{"not_in missing path", rules.DataRule{"nope", "not_in", []any{"a"}}, true},
		// comparisons on numbers.
		{"gt long", rules.DataRule{"count", "gt", json.Number("6")}, true},
		{"gt long equal", rules.DataRule{"count", "gt", json.Number("7")}, false},
		{"gte long equal", rules.DataRule{"count", "gte", json.Number("7")}, true},
		{"lt long", rules.DataRule{"count", "lt", 8}, true},
		{"lte float", rules.DataRule{"score", "lte", 0.85}, true},
		{"gt numeric string event value", rules.DataRule{"grade", "gt", "0.8"}, true},
		{"lt numeric string event value", rules.DataRule{"grade", "lt", json.Number("0.8")}, false},
		{"gt json.Number event value", rules.DataRule{"num", "gt", json.Number("11")}, true},
		{"gt exact beyond 2^53", rules.DataRule{"big", "gt", json.Number("9007199254740992")}, true},
		{"gt non-number event value", rules.DataRule{"mode", "gt", json.Number("1")}, false},
		{"gt missing", rules.DataRule{"nope", "gt", json.Number("1")}, false},
		{"gt null", rules.DataRule{"nothing", "lt", json.Number("1")}, false},
		// comparisons on RFC 3339 times.
		{"gt time", rules.DataRule{"when", "gt", "2026-05-01T09:59:59Z"}, true},
		{"gt time in another zone", rules.DataRule{"when", "gt", "2026-05-01T11:00:00+02:00"}, true},
		{"lte time equal", rules.DataRule{"when", "lte", "2026-05-01T10:00:00Z"}, true},
		{"lt time", rules.DataRule{"when", "lt", "2026-05-01T10:00:00Z"}, false},
		{"time with Python's space separator", rules.DataRule{"when_py", "gte", "2026-05-01T10:00:00Z"}, true},
		{"time vs a non-time value", rules.DataRule{"mode", "gt", "2026-05-01T10:00:00Z"}, false},
		// exists.
		{"exists present", rules.DataRule{"mode", "exists", nil}, true},
		{"exists record", rules.DataRule{"user.pii", "exists", true}, true},
		{"exists null", rules.DataRule{"nothing", "exists", nil}, false},
		{"exists missing", rules.DataRule{"nope", "exists", nil}, false},
		{"exists false on missing", rules.DataRule{"nope", "exists", false}, true},
		{"exists false on present", rules.DataRule{"mode", "exists", false}, false},
		// matches (RE2, unanchored).
		{"matches", rules.DataRule{"user.pii.email", "matches", `@example\.org$`}, false},
		{"matches case-insensitive flag", rules.DataRule{"user.pii.email", "matches", `(?i)@example\.org$`}, true},
		{"matches anchored", rules.DataRule{"mode", "matches", `^ver`}, true},
		{"matches on a bool's str()", rules.DataRule{"is_passing", "matches", `^True$`}, true},
		{"matches on a long", rules.DataRule{"user.id", "matches", `^4\d$`}, true},
		{"matches missing", rules.DataRule{"nope", "matches", `.*`}, false},
		{"matches null", rules.DataRule{"nothing", "matches", `.*`}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.rule.Matches(tree)
			if err != nil {
				t.Fatalf("Matches: %v", err)
			}
			if got != c.match {
				t.Fatalf("%s %s %v on the tree = %v, want %v", c.rule.Path, c.rule.Operator, c.rule.Value, got, c.match)
			}
		})
	}
}

func TestDataRuleErrors(t *testing.T) {
	cases := []struct {
		name string
		rule rules.DataRule
		kind error
	}{
		{"unknown operator", rules.DataRule{"mode", "contains", "x"}, rules.ErrUnknownOperator},
		{"empty path", rules.DataRule{"", "eq", "x"}, rules.ErrBadPath},
		{"empty segment", rules.DataRule{"user..id", "eq", "x"}, rules.ErrBadPath},
		{"eq with a list", rules.DataRule{"mode", "eq", []any{"x"}}, rules.ErrBadValue},
		{"in with a scalar", rules.DataRule{"mode", "in", "x"}, rules.ErrBadValue},
		{"in with an empty list", rules.DataRule{"mode", "in", []any{}}, rules.ErrBadValue},
		{"gt with a word", rules.DataRule{"count", "gt", "many"}, rules.ErrBadValue},
		{"gt with a bool", rules.DataRule{"count", "gt", true}, rules.ErrBadValue},
		{"exists with a string", rules.DataRule{"mode", "exists", "yes"}, rules.ErrBadValue},
		{"bad regexp", rules.DataRule{"mode", "matches", "(unclosed"}, rules.ErrBadRegexp},
		{"regexp not a string", rules.DataRule{"mode", "matches", json.Number("1")}, rules.ErrBadRegexp},
		{"backreference is not RE2", rules.DataRule{"mode", "matches", `(a)\1`}, rules.ErrBadRegexp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.rule.Matches(map[string]any{})
			if !errors.Is(err, c.kind) || !errors.Is(err, rules.ErrInvalid) || !errors.Is(err, badge.ErrInvalid) {
				t.Fatalf("err = %v, want %v and ErrInvalid", err, c.kind)
			}
		})
	}
}
