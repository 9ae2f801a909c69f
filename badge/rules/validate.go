package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
)

// Rule validation errors. A *Error matches one of these and also
// ErrInvalid (and so badge.ErrInvalid and credential.ErrInvalid).
var (
	// ErrInvalid matches every rule-set validation error.
	ErrInvalid = fmt.Errorf("badge: invalid rules: %w", badge.ErrInvalid)
	// ErrUnknownOperator: a data rule names an operator that does not exist.
	ErrUnknownOperator = errors.New("unknown operator")
	// ErrBadPath: a path is empty, malformed, or names a field the event
	// type's payload does not have (or a record where a value is needed).
	ErrBadPath = errors.New("bad path")
	// ErrBadValue: a rule value does not suit its operator or field.
	ErrBadValue = errors.New("bad value")
	// ErrBadRegexp: a matches rule's regular expression does not compile.
	ErrBadRegexp = errors.New("bad regular expression")
	// ErrBadCount: a count requirement without a path, with Distinct < 1,
	// or a window without a count.
	ErrBadCount = errors.New("bad count")
	// ErrEmptyGroup: a declared group has no requirement, or an active
	// template has neither requirements nor required badges.
	ErrEmptyGroup = errors.New("empty group")
	// ErrBadPenalty: a penalty resets no requirement, or one that is not
	// its own template's.
	ErrBadPenalty = errors.New("bad penalty")
	// ErrBadID: a missing or duplicate requirement, penalty or template id.
	ErrBadID = errors.New("bad id")
	// ErrBadDependency: a required badge that is unknown, the template
	// itself, or part of a cycle.
	ErrBadDependency = errors.New("bad dependency")
	// ErrBadTemplate: a template field (uuid, name, provider, state) is
	// missing or wrong.
	ErrBadTemplate = errors.New("bad template")
)

// Error is one problem in a rule set. Validation returns all problems
// it finds, joined (errors.Join); use errors.As to get the first, or
// Problems to get them all.
type Error struct {
	// Template names the template (its name, else its UUID); empty when
	// a bare rule set was validated.
	Template string
	// Field is the path of the offending field, e.g.
	// "requirements[pass-a].rules[0].operator".
	Field string
	// Problem says what is wrong.
	Problem string
	// Kind is one of the Err* sentinels above.
	Kind error
}

// Error returns "badge rules: template T: field: problem".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("badge rules: ")
	if e.Template != "" {
		b.WriteString("template ")
		b.WriteString(e.Template)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap makes the error match its Kind and ErrInvalid.
func (e *Error) Unwrap() []error { return []error{e.Kind, ErrInvalid} }

// Problems returns every *Error inside err (which may be a join).
func Problems(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if re, ok := err.(*Error); ok {
			out = append(out, re)
			return
		}
		switch x := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

func fieldErr(field, problem string, kind error) *Error {
	return &Error{Field: field, Problem: problem, Kind: kind}
}

// compiledSet is a validated rule set ready to evaluate.
type compiledSet struct {
	version  int
	rs       Set
	reqs     []compiledReq
	pens     []compiledPen
	groups   []string
	reqByID  map[string]int
	window   time.Duration
	requires []uuid.UUID
}

type compiledReq struct {
	r        *Requirement
	group    int
	rules    []*compiledRule
	count    []string // count path segments; nil when not counting
	distinct int
	window   time.Duration
}

type compiledPen struct {
	p      *Penalty
	rules  []*compiledRule
	resets []string
}

// Validate checks a rule set on its own (paths against the known payload
// shapes, operators, values, groups, penalties, counts). It returns nil or
// the joined *Error problems.
func (rs Set) Validate() error {
	_, err := compileRuleSet(rs)
	return err
}

func compileRuleSet(rs Set) (*compiledSet, error) {
	var errs []error
	add := func(e *Error) { errs = append(errs, e) }
	c := &compiledSet{rs: rs, reqByID: map[string]int{}, window: time.Duration(rs.Window), requires: rs.Requires}
	if rs.Window < 0 {
		add(fieldErr("window", "must not be negative", ErrBadValue))
	}
	groupIdx := map[string]int{}
	declared := len(rs.Groups) > 0
	for i, g := range rs.Groups {
		if _, dup := groupIdx[g]; dup {
			add(fieldErr(fmt.Sprintf("groups[%d]", i), fmt.Sprintf("group %q declared twice", g), ErrBadID))
			continue
		}
		groupIdx[g] = len(c.groups)
		c.groups = append(c.groups, g)
	}
	used := map[string]bool{}
	for i := range rs.Requirements {
		r := &rs.Requirements[i]
		f := fmt.Sprintf("requirements[%d]", i)
		if r.ID != "" {
			f = fmt.Sprintf("requirements[%s]", r.ID)
		}
		if strings.TrimSpace(r.ID) == "" {
			add(fieldErr(f+".id", "must not be empty", ErrBadID))
		} else if _, dup := c.reqByID[r.ID]; dup {
			add(fieldErr(f+".id", fmt.Sprintf("requirement id %q used twice", r.ID), ErrBadID))
		}
		if strings.TrimSpace(r.EventType) == "" {
			add(fieldErr(f+".event_type", "must not be empty", ErrBadValue))
		}
		cr := compiledReq{r: r, window: time.Duration(r.Window)}
		for j, dr := range r.Rules {
			cr.rules = append(cr.rules, checkRule(r.EventType, dr, fmt.Sprintf("%s.rules[%d]", f, j), add))
		}
		if r.Count != nil {
			switch {
			case strings.TrimSpace(r.Count.Path) == "":
				add(fieldErr(f+".count.path", "must not be empty", ErrBadCount))
			default:
				if e := checkPath(r.EventType, r.Count.Path, f+".count.path"); e != nil {
					e.Kind = ErrBadCount
					add(e)
				}
				cr.count = strings.Split(r.Count.Path, ".")
			}
			if r.Count.Distinct < 1 {
				add(fieldErr(f+".count.distinct", fmt.Sprintf("must be at least 1, got %d", r.Count.Distinct), ErrBadCount))
			}
			cr.distinct = r.Count.Distinct
		} else if r.Window != 0 {
			add(fieldErr(f+".window", "a requirement window needs a count (use the rule set's window for \"all within\")", ErrBadCount))
		}
		if r.Window < 0 {
			add(fieldErr(f+".window", "must not be negative", ErrBadCount))
		}
		gi, ok := groupIdx[r.Group]
		if !ok {
			if declared {
				add(fieldErr(f+".group", fmt.Sprintf("group %q is not declared in groups", r.Group), ErrEmptyGroup))
			}
			gi = len(c.groups)
			groupIdx[r.Group] = gi
			c.groups = append(c.groups, r.Group)
		}
		used[r.Group] = true
		cr.group = gi
		if _, dup := c.reqByID[r.ID]; !dup {
			c.reqByID[r.ID] = len(c.reqs)
		}
		c.reqs = append(c.reqs, cr)
	}
	for i, g := range rs.Groups {
		if !used[g] {
			add(fieldErr(fmt.Sprintf("groups[%d]", i), fmt.Sprintf("group %q has no requirement", g), ErrEmptyGroup))
		}
	}
	penIDs := map[string]bool{}
	for i := range rs.Penalties {
		p := &rs.Penalties[i]
		f := fmt.Sprintf("penalties[%d]", i)
		if p.ID != "" {
			f = fmt.Sprintf("penalties[%s]", p.ID)
		}
		if strings.TrimSpace(p.ID) == "" {
			add(fieldErr(f+".id", "must not be empty", ErrBadID))
		} else if penIDs[p.ID] {
			add(fieldErr(f+".id", fmt.Sprintf("penalty id %q used twice", p.ID), ErrBadID))
		}
		penIDs[p.ID] = true
		if strings.TrimSpace(p.EventType) == "" {
			add(fieldErr(f+".event_type", "must not be empty", ErrBadValue))
		}
		cp := compiledPen{p: p, resets: p.Resets}
		for j, dr := range p.Rules {
			cp.rules = append(cp.rules, checkRule(p.EventType, dr, fmt.Sprintf("%s.rules[%d]", f, j), add))
		}
		if len(p.Resets) == 0 {
			add(fieldErr(f+".resets", "a penalty must reset at least one requirement", ErrBadPenalty))
		}
		for j, id := range p.Resets {
			if _, ok := c.reqByID[id]; !ok {
				add(fieldErr(fmt.Sprintf("%s.resets[%d]", f, j), fmt.Sprintf("requirement %q is not one of this template's requirements", id), ErrBadPenalty))
			}
		}
		c.pens = append(c.pens, cp)
	}
	seenDep := map[uuid.UUID]bool{}
	for i, d := range rs.Requires {
		f := fmt.Sprintf("requires[%d]", i)
		switch {
		case d == uuid.Nil:
			add(fieldErr(f, "must be a template UUID", ErrBadDependency))
		case seenDep[d]:
			add(fieldErr(f, fmt.Sprintf("template %s required twice", d), ErrBadDependency))
		}
		seenDep[d] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// checkRule compiles one data rule and checks its path against the event
// type's payload. It returns the compiled rule (nil on error).
func checkRule(eventType string, dr DataRule, f string, add func(*Error)) *compiledRule {
	cr, err := compileRule(dr)
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			re.Field = f + "." + re.Field
			add(re)
		}
		return nil
	}
	if dr.Operator == OpExists {
		// exists may name records and optional fields; check only that
		// the path's parents exist.
		if e := checkPath(eventType, dr.Path, f+".path"); e != nil {
			add(e)
		}
		return cr
	}
	kind, known, ok := PathKind(eventType, dr.Path)
	if !known {
		return cr
	}
	if !ok {
		add(checkPath(eventType, dr.Path, f+".path"))
		return nil
	}
	if kind == FieldRecord {
		add(fieldErr(f+".path", fmt.Sprintf("%q is a record in %s; compare one of its fields", dr.Path, eventType), ErrBadPath))
		return nil
	}
	switch dr.Operator {
	case OpGt, OpGte, OpLt, OpLte:
		switch {
		case kind == FieldDateTime && !cr.isTime:
			add(fieldErr(f+".value", fmt.Sprintf("%q is a date-time; compare it with an RFC 3339 time", dr.Path), ErrBadValue))
		case kind == FieldLong && cr.isTime:
			add(fieldErr(f+".value", fmt.Sprintf("%q is a number; compare it with a number", dr.Path), ErrBadValue))
		case kind == FieldBool:
			// Strings may hold numbers (a certificate's grade is "0.85")
			// or times, so only booleans are refused.
			add(fieldErr(f+".operator", fmt.Sprintf("%q is a %s; %s compares numbers and times", dr.Path, kind, dr.Operator), ErrBadValue))
		}
	}
	return cr
}

// checkPath reports a path the known event type does not have.
func checkPath(eventType, path, f string) *Error {
	if strings.TrimSpace(path) == "" {
		return fieldErr(f, "must not be empty", ErrBadPath)
	}
	for _, s := range strings.Split(path, ".") {
		if s == "" {
			return fieldErr(f, fmt.Sprintf("%q has an empty segment", path), ErrBadPath)
		}
	}
	_, known, ok := PathKind(eventType, path)
	if !known || ok {
		return nil
	}
	msg := fmt.Sprintf("event type %s has no field %q", eventType, path)
	if dk := dataKey(eventType); dk != "" && strings.HasPrefix(path, dk+".") {
		if _, _, ok2 := PathKind(eventType, strings.TrimPrefix(path, dk+".")); ok2 {
			msg += fmt.Sprintf(" (paths are relative to the %q record: write %q)", dk, strings.TrimPrefix(path, dk+"."))
		}
	}
	return fieldErr(f, msg, ErrBadPath)
}
