package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// Event is what the engine evaluates: an Open edX event reduced to what
// the rules need. Data is the payload tree shaped like Open edX's
// attrs.asdict(payload) (eventbus.Event.Tree()): for a passing-status event
// {"is_passing": true, "course": {"course_key": …}, "user": {"id": 42,
// "pii": {"email": …}}}. Values are maps, slices, strings, booleans,
// numbers (int64, float64, …) and nil.
type Event struct {
	// ID is the event's unique id (CloudEvents ce_id); fulfilments and
	// awards record it.
	ID string
	// Type is the event type, e.g. EventCoursePassingStatusUpdated.
	Type string
	// Time is when the event happened (CloudEvents time). Windows and the
	// order of awards use it, never the processing time.
	Time time.Time
	// LearnerID is the LMS user id of the learner the event is about.
	LearnerID int64
	// Data is the payload tree.
	Data map[string]any
	// At is when the event is applied (the pipeline's clock): the
	// AwardedAt / RevokedAt of the transitions it makes, and so the time of
	// the badge.awarded / badge.revoked events published for them. Zero
	// means Time. The causes keep Time.
	At time.Time
}

// at returns the time the event's transitions are recorded at.
func (ev Event) at() time.Time {
	if ev.At.IsZero() {
		return ev.Time.UTC()
	}
	return ev.At.UTC()
}

// ErrInvalidEvent reports an event the engine cannot apply (no id, type,
// time or learner). It matches ErrInvalid.
var ErrInvalidEvent = fmt.Errorf("badge: invalid event: %w", badge.ErrInvalid)

// Validate reports whether the event can be applied.
func (ev Event) Validate() error {
	switch {
	case ev.ID == "":
		return fmt.Errorf("%w: id is empty", ErrInvalidEvent)
	case ev.Type == "":
		return fmt.Errorf("%w: type is empty", ErrInvalidEvent)
	case ev.Time.IsZero():
		return fmt.Errorf("%w: time is zero", ErrInvalidEvent)
	case ev.LearnerID <= 0:
		return fmt.Errorf("%w: learner id %d is not a positive LMS user id", ErrInvalidEvent, ev.LearnerID)
	}
	return nil
}

// Engine evaluates the rules of a fixed set of templates. Build it with
// NewEngine or LoadEngine, and build a new one when templates change (it is
// cheap). It is safe for concurrent use.
type Engine struct {
	tpls       []*tplState
	byUUID     map[uuid.UUID]*tplState
	index      map[string]*bucket
	dependents map[uuid.UUID][]*tplState

	mu       sync.RWMutex
	versions map[verKey]*compiledSet
}

type verKey struct {
	id      uuid.UUID
	version int
}

type tplState struct {
	idx int
	t   Template
	cur *compiledSet
	ref credential.AchievementRef
	// active templates are evaluated; others are known for dependencies.
	active bool
}

// bucket holds what one event type can match.
type bucket struct {
	keyed  []*keyedIndex
	linear []target
	// history lists templates whose older rule sets use the type: events
	// of the type must be checked against the learner's progress version.
	history []*tplState
}

// keyedIndex finds targets by the string value of one path (the first
// eq/in rule of a requirement or penalty), so an event is compared only
// with the requirements that name its course key, not all of them.
type keyedIndex struct {
	path    string
	segs    []string
	byValue map[string][]target
}

// target is one requirement (pen < 0) or penalty (req < 0) of a template.
type target struct {
	t   *tplState
	req int
	pen int
	// rest are the rules still to check once the target is a candidate
	// (all rules, minus the one the keyed index already checked).
	rest []*compiledRule
	m    Match
}

// Match is one requirement or penalty an event satisfies.
type Match struct {
	// Template is the template's UUID.
	Template uuid.UUID
	// RequirementID is set for a requirement, PenaltyID for a penalty.
	RequirementID string
	PenaltyID     string
}

// NewEngine validates the templates together (ValidateTemplates) and builds
// an engine evaluating the active ones with their current rule sets. An
// active template with an empty rule set (e.g. just synchronised from its
// provider) is accepted and never awards anything. Each template's
// RulesVersion should be the store's; Apply fetches older versions from the
// store when a learner's progress was made under one.
func NewEngine(templates []Template) (*Engine, error) {
	if err := validateTemplates(templates, false); err != nil {
		return nil, err
	}
	e := &Engine{
		byUUID:     make(map[uuid.UUID]*tplState, len(templates)),
		index:      map[string]*bucket{},
		dependents: map[uuid.UUID][]*tplState{},
		versions:   map[verKey]*compiledSet{},
	}
	for i, t := range templates {
		cs, err := compileRuleSet(t.Set)
		if err != nil {
			return nil, err // unreachable: validated above
		}
		cs.version = t.RulesVersion
		ts := &tplState{idx: i, t: t, cur: cs, ref: credential.Badge(t.UUID.String()), active: t.State == StateActive && !t.Set.Empty()}
		e.tpls = append(e.tpls, ts)
		e.byUUID[t.UUID] = ts
		if !ts.active {
			continue
		}
		for _, d := range t.Requires {
			e.dependents[d] = append(e.dependents[d], ts)
		}
		for ri := range cs.reqs {
			e.add(cs.reqs[ri].r.EventType, cs.reqs[ri].rules, target{t: ts, req: ri, pen: -1,
				m: Match{Template: t.UUID, RequirementID: cs.reqs[ri].r.ID}})
		}
		for pi := range cs.pens {
			e.add(cs.pens[pi].p.EventType, cs.pens[pi].rules, target{t: ts, req: -1, pen: pi,
				m: Match{Template: t.UUID, PenaltyID: cs.pens[pi].p.ID}})
		}
	}
	return e, nil
}

// LoadEngine builds an engine from every template in the store (active ones
// are evaluated; the rest are known for dependencies), and also indexes the
// event types of the older rule-set versions of active templates, so an
// event that only an older version cares about still reaches learners whose
// progress was made under it. (For such a template, Apply reads the
// learner's progress for every event of those types to learn its version.)
func LoadEngine(ctx context.Context, cfg store.Config) (*Engine, error) {
	sts, err := cfg.ListTemplates(ctx, store.TemplateFilter{})
	if err != nil {
		return nil, fmt.Errorf("badge: loading templates: %w", err)
	}
	ts := make([]Template, 0, len(sts))
	for _, st := range sts {
		t, err := FromStore(st)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	e, err := NewEngine(ts)
	if err != nil {
		return nil, err
	}
	for _, ts := range e.tpls {
		if !ts.active {
			continue
		}
		added := map[string]bool{}
		for v := 1; v < ts.t.RulesVersion; v++ {
			cs, err := e.rulesAt(ctx, cfg, ts, v)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrInvalid) {
				// A version that is gone or no longer valid is not indexed;
				// Apply reports the error for a learner still on it.
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, typ := range cs.eventTypes() {
				if !added[typ] {
					added[typ] = true
					b := e.bucket(typ)
					b.history = append(b.history, ts)
				}
			}
		}
	}
	return e, nil
}

func (cs *compiledSet) eventTypes() []string {
	var out []string
	for _, r := range cs.reqs {
		out = append(out, r.r.EventType)
	}
	for _, p := range cs.pens {
		out = append(out, p.p.EventType)
	}
	return out
}

// Templates returns the engine's templates (all states).
func (e *Engine) Templates() []Template {
	out := make([]Template, len(e.tpls))
	for i, ts := range e.tpls {
		out[i] = ts.t
	}
	return out
}

// Template returns the template with the given UUID.
func (e *Engine) Template(id uuid.UUID) (Template, bool) {
	ts, ok := e.byUUID[id]
	if !ok {
		return Template{}, false
	}
	return ts.t, true
}

// EventTypes returns the event types some active template's current (or,
// for LoadEngine, older) rule set uses, sorted. A pipeline may skip other
// events without calling Apply.
func (e *Engine) EventTypes() []string {
	out := make([]string, 0, len(e.index))
	for t := range e.index {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func (e *Engine) bucket(typ string) *bucket {
	b := e.index[typ]
	if b == nil {
		b = &bucket{}
		e.index[typ] = b
	}
	return b
}

// add indexes a requirement or penalty under its event type, keyed by its
// most selective equality rule when it has one.
func (e *Engine) add(typ string, rules []*compiledRule, tg target) {
	b := e.bucket(typ)
	key := keyRule(rules)
	if key == nil {
		tg.rest = rules
		b.linear = append(b.linear, tg)
		return
	}
	for _, r := range rules {
		if r != key {
			tg.rest = append(tg.rest, r)
		}
	}
	path := strings.Join(key.segs, ".")
	var ki *keyedIndex
	for _, k := range b.keyed {
		if k.path == path {
			ki = k
			break
		}
	}
	if ki == nil {
		ki = &keyedIndex{path: path, segs: key.segs, byValue: map[string][]target{}}
		b.keyed = append(b.keyed, ki)
	}
	if key.op == OpEq {
		ki.byValue[key.str] = append(ki.byValue[key.str], tg)
		return
	}
	for _, v := range sortedKeys(key.set) {
		ki.byValue[v] = append(ki.byValue[v], tg)
	}
}

// keyRule picks the rule to index by: an eq or in rule, preferring one whose
// values are not booleans or None (poor keys).
func keyRule(rules []*compiledRule) *compiledRule {
	var fallback *compiledRule
	for _, r := range rules {
		if r.op != OpEq && r.op != OpIn {
			continue
		}
		weak := false
		if r.op == OpEq {
			weak = r.str == "True" || r.str == "False" || r.str == "None"
		} else {
			for v := range r.set {
				if v == "True" || v == "False" || v == "None" {
					weak = true
				}
			}
		}
		if !weak {
			return r
		}
		if fallback == nil {
			fallback = r
		}
	}
	return fallback
}

// Match returns the requirements and penalties of active templates (current
// rule sets) that ev satisfies, appended to dst, ordered by template (in
// the order given to NewEngine) then requirements before penalties. It does
// not touch the store and allocates nothing when dst has room.
func (e *Engine) Match(ev Event, dst []Match) []Match {
	b := e.index[ev.Type]
	if b == nil {
		return dst
	}
	start, sources := len(dst), 0
	for _, ki := range b.keyed {
		v, ok := lookupSegs(ev.Data, ki.segs)
		n := len(dst)
		for _, tg := range ki.byValue[eventString(v, ok)] {
			if allMatch(tg.rest, ev.Data) {
				dst = append(dst, tg.m)
			}
		}
		if len(dst) > n {
			sources++
		}
	}
	n := len(dst)
	for _, tg := range b.linear {
		if allMatch(tg.rest, ev.Data) {
			dst = append(dst, tg.m)
		}
	}
	if len(dst) > n {
		sources++
	}
	// Each source lists its targets in template order; merge when several
	// contributed.
	if sources > 1 {
		slices.SortStableFunc(dst[start:], func(a, c Match) int {
			ia, ic := e.byUUID[a.Template].idx, e.byUUID[c.Template].idx
			if ia != ic {
				return ia - ic
			}
			return boolInt(a.PenaltyID != "") - boolInt(c.PenaltyID != "")
		})
	}
	return dst
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scan calls visit for each target of the bucket whose rules ev satisfies.
func (e *Engine) scan(b *bucket, tree map[string]any, visit func(target)) {
	for _, ki := range b.keyed {
		v, ok := lookupSegs(tree, ki.segs)
		for _, tg := range ki.byValue[eventString(v, ok)] {
			if allMatch(tg.rest, tree) {
				visit(tg)
			}
		}
	}
	for _, tg := range b.linear {
		if allMatch(tg.rest, tree) {
			visit(tg)
		}
	}
}

func allMatch(rules []*compiledRule, tree map[string]any) bool {
	for _, r := range rules {
		if !r.match(tree) {
			return false
		}
	}
	return true
}

// rulesAt returns the compiled rule set of a template at a version, from
// the cache or the store.
func (e *Engine) rulesAt(ctx context.Context, cfg store.Config, ts *tplState, version int) (*compiledSet, error) {
	if max(version, 1) == max(ts.cur.version, 1) {
		return ts.cur, nil
	}
	k := verKey{ts.t.UUID, version}
	e.mu.RLock()
	cs := e.versions[k]
	e.mu.RUnlock()
	if cs != nil {
		return cs, nil
	}
	raw, err := cfg.RulesAt(ctx, ts.t.UUID, version)
	if err != nil {
		return nil, fmt.Errorf("badge: rules of template %s at version %d: %w", ts.t.UUID, version, err)
	}
	rs, err := ParseSet(raw)
	if err != nil {
		return nil, err
	}
	cs, err = compileRuleSet(rs)
	if err != nil {
		return nil, fmt.Errorf("badge: rules of template %s at version %d: %w", ts.t.UUID, version, err)
	}
	cs.version = version
	e.mu.Lock()
	e.versions[k] = cs
	e.mu.Unlock()
	return cs, nil
}
