package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Operator is a data rule's comparison.
type Operator string

// The operators a DataRule may use.
const (
	// OpEq compares the value at the path, turned into a string the way
	// Python's str() does ("True", "None", "42", "1.5"), with the rule value
	// after Open edX's boolean normalisation: "True", "true", "Yes", "yes"
	// and "+" become "True"; "False", "false", "No", "no" and "-" become
	// "False". A missing path compares as "None", as in Open edX.
	OpEq Operator = "eq"
	// OpNe is the negation of OpEq (a missing path is "None", so it is
	// not equal to any other value).
	OpNe Operator = "ne"
	// OpIn holds when OpEq holds for one element of the rule's list value.
	OpIn Operator = "in"
	// OpNotIn holds when OpEq holds for no element of the rule's list
	// value (also when the path is missing, unless the list holds "None").
	OpNotIn Operator = "not_in"
	// OpGt, OpGte, OpLt and OpLte compare numbers, or RFC 3339 times, with
	// the rule value: a number (or numeric string) gives a numeric
	// comparison, an RFC 3339 string a time comparison. A missing value,
	// or one that is not a number (time), never matches.
	OpGt  Operator = "gt"
	OpGte Operator = "gte"
	OpLt  Operator = "lt"
	OpLte Operator = "lte"
	// OpExists holds when the path is present and not null. With the rule
	// value false it holds when the path is absent or null instead.
	OpExists Operator = "exists"
	// OpMatches matches the value (as a Python-style string) against the
	// rule value, an RE2 regular expression (package regexp syntax),
	// unanchored: use ^…$ to match the whole value. A missing or null value
	// never matches.
	OpMatches Operator = "matches"
)

// Operators lists every operator, in documentation order.
var operators = [...]Operator{OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpExists, OpMatches}

// Operators returns every operator a DataRule may use.
func Operators() []Operator { return append([]Operator(nil), operators[:]...) }

// Valid reports whether o is a known operator.
func (o Operator) Valid() bool {
	for _, k := range operators {
		if o == k {
			return true
		}
	}
	return false
}

// DataRule is one condition on an event's data: the value at Path (a
// dotted path into the event data tree, e.g. "course.course_key" or
// "user.pii.email") compared with Value by Operator. All data rules of a
// requirement or penalty must hold (AND).
type DataRule struct {
	// Path is a dotted path into the event's data tree (Open edX's
	// data_path), relative to the payload record: "is_passing", not
	// "course_passing_status.is_passing".
	Path string `json:"path"`
	// Operator is the comparison; see the Op constants.
	Operator Operator `json:"operator"`
	// Value is the operand: a string, number or boolean for eq/ne/matches
	// and the comparisons, a list for in/not_in, a boolean (or nothing)
	// for exists.
	Value any `json:"value,omitempty"`
}

// Count makes a requirement a counting one: it is fulfilled once the
// learner's matching events carried Distinct different values at Path
// (e.g. 5 different course keys of passed courses).
type Count struct {
	// Path is the dotted path whose distinct values are counted.
	Path string `json:"path"`
	// Distinct is how many different values are needed (at least 1).
	Distinct int `json:"distinct"`
}

// Requirement is one way to make progress towards a badge: an event of
// EventType whose data satisfies every data rule. Requirements of one
// Group are alternatives (OR); every group must be fulfilled (AND).
type Requirement struct {
	// ID identifies the requirement within its template's rule set; it is
	// what fulfilments and penalties refer to.
	ID string `json:"id"`
	// EventType is the Open edX event type that can fulfil it, e.g.
	// "org.openedx.learning.course.passing.status.updated.v1".
	EventType string `json:"event_type"`
	// Group is the requirement's group (Open edX's "blend"). Requirements
	// with an empty group form one group of their own ("").
	Group string `json:"group,omitempty"`
	// Description is shown to people (admin UIs, criteria narratives).
	Description string `json:"description,omitempty"`
	// Rules must all hold. No rules means any event of EventType matches
	// (Open edX never matches such a requirement; credshare does, as its
	// documentation promises).
	Rules []DataRule `json:"rules,omitempty"`
	// Count, when set, makes the requirement count distinct values.
	Count *Count `json:"count,omitempty"`
	// Window, with Count, requires the Distinct values to be seen within
	// this duration of each other (ending at the event that completes
	// the count).
	Window Duration `json:"window,omitempty"`
}

// Penalty undoes progress: an event of EventType whose data satisfies
// every data rule unfulfils the listed requirements, and revokes an
// awarded badge whose progress then no longer fulfils every group.
type Penalty struct {
	// ID identifies the penalty within its rule set (for causes and logs).
	ID string `json:"id"`
	// EventType is the event type that triggers it.
	EventType string `json:"event_type"`
	// Description is shown to people.
	Description string `json:"description,omitempty"`
	// Rules must all hold; none means any event of EventType.
	Rules []DataRule `json:"rules,omitempty"`
	// Resets lists the ids of the requirements (of the same rule set) the
	// penalty unfulfils. At least one.
	Resets []string `json:"resets"`
}

// Set is everything that decides when a template's badge is awarded
// and revoked. It is what store.Template.Rules holds (as JSON) and what a
// rules file gives per template.
type Set struct {
	// Requirements, grouped by Group: a badge needs every group fulfilled.
	Requirements []Requirement `json:"requirements,omitempty"`
	// Penalties reset requirements and may revoke the badge.
	Penalties []Penalty `json:"penalties,omitempty"`
	// Requires lists templates whose badges the learner must hold
	// (awarded, not revoked) before this one is awarded ("badge of
	// badges"). A rule set with no requirements and only Requires is
	// awarded as soon as the last of them is.
	Requires []uuid.UUID `json:"requires,omitempty"`
	// Groups optionally declares the group names (in display order). When
	// present, every requirement's group must be declared and every
	// declared group must have a requirement.
	Groups []string `json:"groups,omitempty"`
	// Window, when set, requires every group to have been fulfilled
	// within this duration before the event that completes the badge ("all
	// within D"). A fulfilment older than that no longer counts and is
	// replaced by the next matching event.
	Window Duration `json:"window,omitempty"`
}

// GroupNames returns the rule set's groups: the declared ones, else those
// of the requirements in order of first appearance.
func (rs Set) GroupNames() []string {
	if len(rs.Groups) > 0 {
		return append([]string(nil), rs.Groups...)
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range rs.Requirements {
		if !seen[r.Group] {
			seen[r.Group] = true
			out = append(out, r.Group)
		}
	}
	return out
}

// Duration is a time.Duration written in JSON and YAML as a string: Go's
// duration syntax ("90m", "720h") or a whole number of days ("30d").
type Duration time.Duration

// ParseDuration parses "720h", "1h30m" or "30d".
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want a whole number of days", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %w", s, err)
	}
	return Duration(d), nil
}

// String returns the duration as "30d" when it is whole days, otherwise in
// Go's syntax.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string such as \"720h\" or \"30d\"")
		}
		*d = Duration(n)
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
