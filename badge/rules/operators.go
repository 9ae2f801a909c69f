package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/credshare/credshare/eventbus"
)

// Open edX's boolean normalisation of rule values (DataRule._value_to_bool).
var (
	trueWords  = [...]string{"True", "true", "Yes", "yes", "+"}
	falseWords = [...]string{"False", "false", "No", "no", "-"}
)

// NormalizeValue turns a rule value into the string Open edX compares
// event values with: boolean-ish words become "True" or "False", booleans
// likewise, null becomes "None", numbers keep their literal form.
func NormalizeValue(v any) string {
	switch x := v.(type) {
	case string:
		for _, w := range trueWords {
			if x == w {
				return "True"
			}
		}
		for _, w := range falseWords {
			if x == w {
				return "False"
			}
		}
		return x
	case json.Number:
		return x.String()
	}
	return eventbus.PyStr(v)
}

// compiledRule is a DataRule ready to evaluate.
type compiledRule struct {
	src  DataRule
	segs []string
	op   Operator
	str  string              // eq, ne
	set  map[string]struct{} // in, not_in
	// comparisons
	isTime bool
	num    float64
	intVal int64
	isInt  bool
	tm     time.Time
	re     *regexp.Regexp
	want   bool // exists
}

// compileRule checks r's operator and value and prepares it. Errors are
// *Error with Field relative to the rule (the caller prefixes it).
func compileRule(r DataRule) (*compiledRule, error) {
	c := &compiledRule{src: r, op: r.Operator}
	if strings.TrimSpace(r.Path) == "" {
		return nil, fieldErr("path", "must not be empty", ErrBadPath)
	}
	c.segs = strings.Split(r.Path, ".")
	for _, s := range c.segs {
		if s == "" {
			return nil, fieldErr("path", fmt.Sprintf("%q has an empty segment", r.Path), ErrBadPath)
		}
	}
	switch r.Operator {
	case OpEq, OpNe:
		if !scalar(r.Value) {
			return nil, fieldErr("value", fmt.Sprintf("operator %s needs a string, number or boolean", r.Operator), ErrBadValue)
		}
		c.str = NormalizeValue(r.Value)
	case OpIn, OpNotIn:
		list, ok := r.Value.([]any)
		if !ok {
			return nil, fieldErr("value", fmt.Sprintf("operator %s needs a list", r.Operator), ErrBadValue)
		}
		if len(list) == 0 {
			return nil, fieldErr("value", fmt.Sprintf("operator %s needs a non-empty list", r.Operator), ErrBadValue)
		}
		c.set = make(map[string]struct{}, len(list))
		for i, e := range list {
			if !scalar(e) {
				return nil, fieldErr(fmt.Sprintf("value[%d]", i), "must be a string, number or boolean", ErrBadValue)
			}
			c.set[NormalizeValue(e)] = struct{}{}
		}
	case OpGt, OpGte, OpLt, OpLte:
		switch x := r.Value.(type) {
		case json.Number:
			if err := c.setNumber(x.String()); err != nil {
				return nil, err
			}
		case float64:
			c.num = x
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				c.isInt, c.intVal = true, int64(x)
			}
		case int:
			c.num, c.isInt, c.intVal = float64(x), true, int64(x)
		case int64:
			c.num, c.isInt, c.intVal = float64(x), true, x
		case string:
			if t, ok := parseTime(x); ok {
				c.isTime, c.tm = true, t
			} else if err := c.setNumber(x); err != nil {
				return nil, fieldErr("value", fmt.Sprintf("operator %s needs a number or an RFC 3339 time, got %q", r.Operator, x), ErrBadValue)
			}
		case time.Time:
			c.isTime, c.tm = true, x
		default:
			return nil, fieldErr("value", fmt.Sprintf("operator %s needs a number or an RFC 3339 time", r.Operator), ErrBadValue)
		}
	case OpExists:
		c.want = true
		switch x := r.Value.(type) {
		case nil:
		case bool:
			c.want = x
		default:
			return nil, fieldErr("value", "operator exists takes true, false or nothing", ErrBadValue)
		}
	case OpMatches:
		s, ok := r.Value.(string)
		if !ok {
			return nil, fieldErr("value", "operator matches needs a regular expression string", ErrBadRegexp)
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fieldErr("value", fmt.Sprintf("bad regular expression: %v", err), ErrBadRegexp)
		}
		c.re = re
	default:
		return nil, fieldErr("operator", fmt.Sprintf("unknown operator %q (want one of %s)", r.Operator, operatorList()), ErrUnknownOperator)
	}
	return c, nil
}

func operatorList() string {
	s := make([]string, len(operators))
	for i, o := range operators {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

func (c *compiledRule) setNumber(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return fieldErr("value", fmt.Sprintf("operator %s needs a number or an RFC 3339 time, got %q", c.op, s), ErrBadValue)
	}
	c.num = f
	if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		c.isInt, c.intVal = true, i
	}
	return nil
}

func scalar(v any) bool {
	switch v.(type) {
	case string, bool, json.Number, float64, float32, int, int64, int32, uint, uint64, nil:
		return true
	}
	return false
}

// parseTime accepts RFC 3339 and Python's isoformat with a space separator.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if len(s) > 10 && s[10] == ' ' {
		if t, err := time.Parse(time.RFC3339Nano, s[:10]+"T"+s[11:]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// match evaluates the rule against a data tree.
func (c *compiledRule) match(tree map[string]any) bool {
	v, ok := lookupSegs(tree, c.segs)
	return c.matchValue(v, ok)
}

// matchValue evaluates the rule against a looked-up value.
func (c *compiledRule) matchValue(v any, present bool) bool {
	switch c.op {
	case OpEq:
		return eventString(v, present) == c.str
	case OpNe:
		return eventString(v, present) != c.str
	case OpIn:
		_, in := c.set[eventString(v, present)]
		return in
	case OpNotIn:
		_, in := c.set[eventString(v, present)]
		return !in
	case OpExists:
		return (present && v != nil) == c.want
	case OpMatches:
		if !present || v == nil {
			return false
		}
		return c.re.MatchString(eventbus.PyStr(v))
	case OpGt, OpGte, OpLt, OpLte:
		if !present || v == nil {
			return false
		}
		cmp, ok := c.compare(v)
		if !ok {
			return false
		}
		switch c.op {
		case OpGt:
			return cmp > 0
		case OpGte:
			return cmp >= 0
		case OpLt:
			return cmp < 0
		default:
			return cmp <= 0
		}
	}
	return false
}

// eventString is the string Open edX compares: str(keypath(...)), where a
// missing path gives None.
func eventString(v any, present bool) string {
	if !present {
		return "None"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return eventbus.PyStr(v)
}

// compare returns the sign of (event value - rule value).
func (c *compiledRule) compare(v any) (int, bool) {
	if c.isTime {
		var t time.Time
		switch x := v.(type) {
		case string:
			var ok bool
			if t, ok = parseTime(x); !ok {
				return 0, false
			}
		case time.Time:
			t = x
		default:
			return 0, false
		}
		return t.Compare(c.tm), true
	}
	if c.isInt {
		var i int64
		isInt := true
		switch x := v.(type) {
		case int64:
			i = x
		case int:
			i = int64(x)
		case int32:
			i = int64(x)
		default:
			isInt = false
		}
		if isInt {
			switch {
			case i < c.intVal:
				return -1, true
			case i > c.intVal:
				return 1, true
			}
			return 0, true
		}
	}
	f, ok := toFloat(v)
	if !ok {
		return 0, false
	}
	switch {
	case f < c.num:
		return -1, true
	case f > c.num:
		return 1, true
	}
	return 0, true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// describe renders the rule with the value the event had, for the
// "matched rules" record of a fulfilment.
type matchedRule struct {
	Path     string   `json:"path"`
	Operator Operator `json:"operator"`
	Value    any      `json:"value,omitempty"`
	Actual   any      `json:"actual"`
}

func (c *compiledRule) describe(tree map[string]any) matchedRule {
	v, ok := lookupSegs(tree, c.segs)
	m := matchedRule{Path: c.src.Path, Operator: c.op, Value: c.src.Value}
	if ok {
		switch v.(type) {
		case map[string]any, []any:
			m.Actual = eventbus.PyStr(v)
		default:
			m.Actual = v
		}
	}
	return m
}

// sortedKeys returns a set's keys in order (for stable output).
func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Matches compiles the rule and evaluates it against a data tree (the event
// payload). It is meant for tools and tests; the Engine compiles each rule
// once. The error is a *Error for an unknown operator or a bad value.
func (r DataRule) Matches(tree map[string]any) (bool, error) {
	c, err := compileRule(r)
	if err != nil {
		return false, err
	}
	return c.match(tree), nil
}
