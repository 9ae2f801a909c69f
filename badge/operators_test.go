package badge_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/credshare/credshare/badge"
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
		rule  badge.DataRule
		match bool
	}{
		// eq/ne, Open edX's str() of the event value and boolean words.
		{"eq bool true vs 'true'", badge.DataRule{"is_passing", "eq", "true"}, true},
		{"eq bool true vs 'True'", badge.DataRule{"is_passing", "eq", "True"}, true},
		{"eq bool true vs 'Yes'", badge.DataRule{"is_passing", "eq", "Yes"}, true},
		{"eq bool true vs 'yes'", badge.DataRule{"is_passing", "eq", "yes"}, true},
		{"eq bool true vs '+'", badge.DataRule{"is_passing", "eq", "+"}, true},
		{"eq bool true vs JSON true", badge.DataRule{"is_passing", "eq", true}, true},
		{"eq bool true vs 'TRUE' (not a word Open edX knows)", badge.DataRule{"is_passing", "eq", "TRUE"}, false},
		{"eq bool true vs '1'", badge.DataRule{"is_passing", "eq", "1"}, false},
		{"eq bool false vs 'no'", badge.DataRule{"failing", "eq", "no"}, true},
		{"eq bool false vs '-'", badge.DataRule{"failing", "eq", "-"}, true},
		{"eq bool false vs 'false'", badge.DataRule{"failing", "eq", "false"}, true},
		{"ne bool true vs 'false'", badge.DataRule{"is_passing", "ne", "false"}, true},
		{"ne bool true vs 'yes'", badge.DataRule{"is_passing", "ne", "yes"}, false},
		{"eq string exact", badge.DataRule{"mode", "eq", "verified"}, true},
		{"eq string is case-sensitive", badge.DataRule{"mode", "eq", "Verified"}, false},
		{"eq long as decimal", badge.DataRule{"user.id", "eq", "42"}, true},
		{"eq long vs JSON number", badge.DataRule{"user.id", "eq", json.Number("42")}, true},
		{"eq float as Python str", badge.DataRule{"score", "eq", "0.85"}, true},
		{"eq whole float keeps .0", badge.DataRule{"whole", "eq", "1.0"}, true},
		{"eq whole float is not '1'", badge.DataRule{"whole", "eq", "1"}, false},
		{"eq tiny float in exponent form", badge.DataRule{"tiny", "eq", "1e-05"}, true},
		{"eq huge float in exponent form", badge.DataRule{"huge", "eq", "1e+20"}, true},
		{"eq null is 'None'", badge.DataRule{"nothing", "eq", "None"}, true},
		{"eq missing path is 'None'", badge.DataRule{"user.pii.username", "eq", "None"}, true},
		{"eq missing path vs value", badge.DataRule{"nope", "eq", "x"}, false},
		{"ne missing path vs value (Open edX: None != x)", badge.DataRule{"nope", "ne", "x"}, true},
		{"eq through a non-record", badge.DataRule{"mode.x", "eq", "None"}, true},
		{"eq nested", badge.DataRule{"user.pii.email", "eq", "Ada@Example.org"}, true},
		// in / not_in use the same normalisation.
		{"in hit", badge.DataRule{"mode", "in", []any{"honor", "verified"}}, true},
		{"in miss", badge.DataRule{"mode", "in", []any{"honor", "audit"}}, false},
		{"in boolean words", badge.DataRule{"is_passing", "in", []any{"yes"}}, true},
		{"in numbers", badge.DataRule{"count", "in", []any{json.Number("6"), json.Number("7")}}, true},
		{"not_in hit", badge.DataRule{"mode", "not_in", []any{"audit"}}, true},
		{"not_in miss", badge.DataRule{"mode", "not_in", []any{"verified"}}, false},
		{"not_in missing path", badge.DataRule{"nope", "not_in", []any{"a"}}, true},
		// comparisons on numbers.
		{"gt long", badge.DataRule{"count", "gt", json.Number("6")}, true},
		{"gt long equal", badge.DataRule{"count", "gt", json.Number("7")}, false},
		{"gte long equal", badge.DataRule{"count", "gte", json.Number("7")}, true},
		{"lt long", badge.DataRule{"count", "lt", 8}, true},
		{"lte float", badge.DataRule{"score", "lte", 0.85}, true},
		{"gt numeric string event value", badge.DataRule{"grade", "gt", "0.8"}, true},
		{"lt numeric string event value", badge.DataRule{"grade", "lt", json.Number("0.8")}, false},
		{"gt json.Number event value", badge.DataRule{"num", "gt", json.Number("11")}, true},
		{"gt exact beyond 2^53", badge.DataRule{"big", "gt", json.Number("9007199254740992")}, true},
		{"gt non-number event value", badge.DataRule{"mode", "gt", json.Number("1")}, false},
		{"gt missing", badge.DataRule{"nope", "gt", json.Number("1")}, false},
		{"gt null", badge.DataRule{"nothing", "lt", json.Number("1")}, false},
		// comparisons on RFC 3339 times.
		{"gt time", badge.DataRule{"when", "gt", "2026-05-01T09:59:59Z"}, true},
		{"gt time in another zone", badge.DataRule{"when", "gt", "2026-05-01T11:00:00+02:00"}, true},
		{"lte time equal", badge.DataRule{"when", "lte", "2026-05-01T10:00:00Z"}, true},
		{"lt time", badge.DataRule{"when", "lt", "2026-05-01T10:00:00Z"}, false},
		{"time with Python's space separator", badge.DataRule{"when_py", "gte", "2026-05-01T10:00:00Z"}, true},
		{"time vs a non-time value", badge.DataRule{"mode", "gt", "2026-05-01T10:00:00Z"}, false},
		// exists.
		{"exists present", badge.DataRule{"mode", "exists", nil}, true},
		{"exists record", badge.DataRule{"user.pii", "exists", true}, true},
		{"exists null", badge.DataRule{"nothing", "exists", nil}, false},
		{"exists missing", badge.DataRule{"nope", "exists", nil}, false},
		{"exists false on missing", badge.DataRule{"nope", "exists", false}, true},
		{"exists false on present", badge.DataRule{"mode", "exists", false}, false},
		// matches (RE2, unanchored).
		{"matches", badge.DataRule{"user.pii.email", "matches", `@example\.org$`}, false},
		{"matches case-insensitive flag", badge.DataRule{"user.pii.email", "matches", `(?i)@example\.org$`}, true},
		{"matches anchored", badge.DataRule{"mode", "matches", `^ver`}, true},
		{"matches on a bool's str()", badge.DataRule{"is_passing", "matches", `^True$`}, true},
		{"matches on a long", badge.DataRule{"user.id", "matches", `^4\d$`}, true},
		{"matches missing", badge.DataRule{"nope", "matches", `.*`}, false},
		{"matches null", badge.DataRule{"nothing", "matches", `.*`}, false},
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
		rule badge.DataRule
		kind error
	}{
		{"unknown operator", badge.DataRule{"mode", "contains", "x"}, badge.ErrUnknownOperator},
		{"empty path", badge.DataRule{"", "eq", "x"}, badge.ErrBadPath},
		{"empty segment", badge.DataRule{"user..id", "eq", "x"}, badge.ErrBadPath},
		{"eq with a list", badge.DataRule{"mode", "eq", []any{"x"}}, badge.ErrBadValue},
		{"in with a scalar", badge.DataRule{"mode", "in", "x"}, badge.ErrBadValue},
		{"in with an empty list", badge.DataRule{"mode", "in", []any{}}, badge.ErrBadValue},
		{"gt with a word", badge.DataRule{"count", "gt", "many"}, badge.ErrBadValue},
		{"gt with a bool", badge.DataRule{"count", "gt", true}, badge.ErrBadValue},
		{"exists with a string", badge.DataRule{"mode", "exists", "yes"}, badge.ErrBadValue},
		{"bad regexp", badge.DataRule{"mode", "matches", "(unclosed"}, badge.ErrBadRegexp},
		{"regexp not a string", badge.DataRule{"mode", "matches", json.Number("1")}, badge.ErrBadRegexp},
		{"backreference is not RE2", badge.DataRule{"mode", "matches", `(a)\1`}, badge.ErrBadRegexp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.rule.Matches(map[string]any{})
			if !errors.Is(err, c.kind) || !errors.Is(err, badge.ErrInvalidRules) || !errors.Is(err, badge.ErrInvalid) {
				t.Fatalf("err = %v, want %v and ErrInvalidRules", err, c.kind)
			}
		})
	}
}
