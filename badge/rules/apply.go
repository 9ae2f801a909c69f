package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

// Outcome is what applying one event changed. The pipeline turns each
// entry of Awards into outbox rows (provider call, badge.awarded /
// badge.revoked event); applying the same event again yields an empty
// Outcome, so each transition is enqueued once.
type Outcome struct {
	// Awards lists award transitions in the order they happened.
	Awards []AwardChange
	// Fulfilled lists requirements newly fulfilled.
	Fulfilled []FulfillmentChange
	// Unfulfilled lists requirements a penalty reset.
	Unfulfilled []FulfillmentChange
	// Progress reports, for each template whose progress changed, the
	// learner's progress after the event.
	Progress []ProgressReport
}

// AwardChange is an award granted or revoked.
type AwardChange struct {
	// Template is the badge template's UUID.
	Template uuid.UUID
	// Award is the award as stored after the change. Its Awarded (or
	// Revoked) cause names the event; Times counts grants.
	Award credential.Award
	// Revoked is true for a revocation, false for a grant.
	Revoked bool
	// Created is true when the grant created the award record.
	Created bool
}

// FulfillmentChange is a requirement fulfilled or reset.
type FulfillmentChange struct {
	Template  uuid.UUID
	LearnerID int64
	// Fulfillment is the fulfilment added (or the one removed).
	Fulfillment store.Fulfillment
}

// ProgressReport is a learner's progress towards a badge.
type ProgressReport struct {
	Template     uuid.UUID
	LearnerID    int64
	RulesVersion int
	// Fulfilled groups out of Groups (the ratio Open edX shows).
	Fulfilled int
	Groups    int
}

// Ratio is Fulfilled / Groups (1 for a template without groups).
func (p ProgressReport) Ratio() float64 {
	if p.Groups == 0 {
		return 1
	}
	return float64(p.Fulfilled) / float64(p.Groups)
}

// Granted returns the grants of the outcome.
func (o Outcome) Granted() []AwardChange {
	var out []AwardChange
	for _, a := range o.Awards {
		if !a.Revoked {
			out = append(out, a)
		}
	}
	return out
}

// Revoked returns the revocations of the outcome.
func (o Outcome) Revoked() []AwardChange {
	var out []AwardChange
	for _, a := range o.Awards {
		if a.Revoked {
			out = append(out, a)
		}
	}
	return out
}

// Empty reports whether the event changed nothing.
func (o Outcome) Empty() bool {
	return len(o.Awards) == 0 && len(o.Fulfilled) == 0 && len(o.Unfulfilled) == 0
}

// Apply applies one event's rules for its learner inside the caller's
// transaction tx (the pipeline's, which also marks the event processed):
//
//   - each active template with a requirement the event satisfies gets
//     progress (tx.Progress().GetOrCreate with the template's current rules
//     version); progress made under an older version is evaluated with the
//     rule set of that version (tx.Config().RulesAt);
//   - a satisfied requirement is fulfilled, recording the event id, its
//     time and the rules that matched; a counting one records the value;
//   - when every group is fulfilled (within the rule set's window) and every
//     required badge is held, the badge is awarded (tx.Awards().Put with
//     credential.Award's Grant transition); a repeatable badge's progress
//     then starts over (and moves to the current rules version);
//   - a satisfied penalty unfulfils its requirements and revokes the badge
//     only if it is awarded and its progress no longer fulfils every group;
//   - an award cascades to templates that require it.
//
// An event older than the badge's last award or revocation, or the very
// event that caused it, has no effect on that badge: applying an event
// twice changes nothing the second time and reports an empty Outcome.
// Requirements are applied before penalties, as in Open edX. A
// non-repeatable badge that is awarded is not awarded again; one the rules
// revoked (a penalty) is awarded again, as a new credential
// (credential.Award.Reissue: new UUID, next Generation; AwardChange.Created
// is true), when every group is fulfilled again; one a person revoked
// (credential.RevokedByPerson) is never awarded again by the rules.
func (e *Engine) Apply(ctx context.Context, tx store.Repos, ev Event) (Outcome, error) {
	var out Outcome
	if err := ev.Validate(); err != nil {
		return out, err
	}
	b := e.index[ev.Type]
	if b == nil {
		return out, nil
	}
	var hits []target
	e.scan(b, ev.Data, func(tg target) { hits = append(hits, tg) })
	for _, ts := range b.history {
		hits = append(hits, target{t: ts, req: -1, pen: -1})
	}
	slices.SortFunc(hits, func(a, c target) int {
		if a.t.idx != c.t.idx {
			return a.t.idx - c.t.idx
		}
		if a.req != c.req {
			return a.req - c.req
		}
		return a.pen - c.pen
	})
	r := &run{e: e, ctx: ctx, tx: tx, ev: ev, out: &out}
	for i := 0; i < len(hits); {
		j := i
		var reqs, pens []int
		for ; j < len(hits) && hits[j].t == hits[i].t; j++ {
			if hits[j].req >= 0 {
				reqs = append(reqs, hits[j].req)
			} else if hits[j].pen >= 0 {
				pens = append(pens, hits[j].pen)
			}
		}
		if err := r.template(hits[i].t, reqs, pens); err != nil {
			return Outcome{}, err
		}
		i = j
	}
	for i := 0; i < len(r.granted); i++ {
		for _, d := range e.dependents[r.granted[i].t.UUID] {
			if err := r.dependent(d); err != nil {
				return Outcome{}, err
			}
		}
	}
	return out, nil
}

// run is the state of one Apply.
type run struct {
	e       *Engine
	ctx     context.Context
	tx      store.Repos
	ev      Event
	out     *Outcome
	granted []*tplState
}

// badgeState is what one template's evaluation reads and writes.
type badgeState struct {
	ts       *tplState
	rs       *compiledSet
	prog     *store.BadgeProgress
	fs       []store.Fulfillment
	fsLoaded bool
	aw       credential.Award
	hasAward bool
	changed  bool
}

func (r *run) template(ts *tplState, reqs, pens []int) error {
	s := &badgeState{ts: ts, rs: ts.cur}
	if ts.cur.version > 1 {
		p, err := r.tx.Progress().Get(r.ctx, r.ev.LearnerID, ts.t.UUID)
		switch {
		case err == nil:
			s.prog = &p
			if max(p.RulesVersion, 1) != max(s.rs.version, 1) {
				if reqs, pens, err = r.useVersion(s, p.RulesVersion); err != nil {
					return err
				}
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if len(reqs) == 0 && len(pens) == 0 {
		return nil
	}
	if err := r.loadAward(s); err != nil {
		return err
	}
	if s.hasAward && gated(s.aw, r.ev) {
		return nil
	}
	penalties := make([]*compiledPen, len(pens))
	for i, pi := range pens {
		penalties[i] = &s.rs.pens[pi]
	}
	if len(reqs) > 0 && earnable(s) {
		if s.prog == nil {
			p, created, err := r.tx.Progress().GetOrCreate(r.ctx, r.ev.LearnerID, ts.t.UUID, max(ts.cur.version, 1))
			if err != nil {
				return err
			}
			s.prog = &p
			if !created && max(p.RulesVersion, 1) != max(s.rs.version, 1) {
				if reqs, pens, err = r.useVersion(s, p.RulesVersion); err != nil {
					return err
				}
				penalties = penalties[:0]
				for _, pi := range pens {
					penalties = append(penalties, &s.rs.pens[pi])
				}
			}
		}
		added := false
		for _, ri := range reqs {
			a, err := r.fulfil(s, &s.rs.reqs[ri])
			if err != nil {
				return err
			}
			added = added || a
		}
		if added {
			if err := r.maybeGrant(s); err != nil {
				return err
			}
		}
	}
	for _, p := range penalties {
		if err := r.penalize(s, p); err != nil {
			return err
		}
	}
	if s.changed && s.prog != nil {
		if err := r.loadFulfillments(s, true); err != nil {
			return err
		}
		r.out.Progress = append(r.out.Progress, ProgressReport{
			Template: ts.t.UUID, LearnerID: r.ev.LearnerID, RulesVersion: s.prog.RulesVersion,
			Fulfilled: s.rs.fulfilledGroups(s.fs, r.ev.Time, true), Groups: len(s.rs.groups),
		})
	}
	return nil
}

// useVersion switches s to the rule set of an older (or newer) version and
// re-evaluates the event against it.
func (r *run) useVersion(s *badgeState, version int) (reqs, pens []int, err error) {
	cs, err := r.e.rulesAt(r.ctx, r.tx.Config(), s.ts, version)
	if err != nil {
		return nil, nil, err
	}
	s.rs = cs
	reqs, pens = cs.matchAll(r.ev.Data, r.ev.Type)
	return reqs, pens, nil
}

func (cs *compiledSet) matchAll(tree map[string]any, typ string) (reqs, pens []int) {
	for i := range cs.reqs {
		if cs.reqs[i].r.EventType == typ && allMatch(cs.reqs[i].rules, tree) {
			reqs = append(reqs, i)
		}
	}
	for i := range cs.pens {
		if cs.pens[i].p.EventType == typ && allMatch(cs.pens[i].rules, tree) {
			pens = append(pens, i)
		}
	}
	return reqs, pens
}

// gated reports whether ev must not affect a badge whose award record is aw:
// it is the event that caused the last transition, or older than it. The
// causes' event times are compared, not AwardedAt / RevokedAt, which are
// processing times.
func gated(aw credential.Award, ev Event) bool {
	if ev.ID == aw.Awarded.EventID || (aw.Revoked.EventID != "" && ev.ID == aw.Revoked.EventID) {
		return true
	}
	last := aw.Awarded.EventTime
	if last.IsZero() {
		last = aw.AwardedAt
	}
	if aw.Status == credential.StatusRevoked {
		rev := aw.Revoked.EventTime
		if rev.IsZero() && aw.Revoked.EventID != "" {
			rev = aw.RevokedAt
		}
		if rev.After(last) {
			last = rev
		}
	}
	return ev.Time.UTC().Truncate(time.Microsecond).Before(last.UTC().Truncate(time.Microsecond))
}

// earnable reports whether the rules may award the badge of s (again): it
// has no award yet, it is repeatable, or its award was revoked by the
// rules (a penalty) — then a new credential is issued. An award revoked by
// a person is never awarded again by the rules, repeatable or not.
func earnable(s *badgeState) bool {
	if !s.hasAward {
		return true
	}
	if s.aw.Status == credential.StatusRevoked && s.aw.RevokedBy == credential.RevokedByPerson {
		return false
	}
	return s.ts.t.Repeatable || s.aw.Status == credential.StatusRevoked
}

func (r *run) loadAward(s *badgeState) error {
	aw, err := r.tx.Awards().Get(r.ctx, r.ev.LearnerID, s.ts.ref)
	switch {
	case err == nil:
		s.aw, s.hasAward = aw, true
	case errors.Is(err, store.ErrNotFound):
		s.hasAward = false
	default:
		return err
	}
	return nil
}

func (r *run) loadFulfillments(s *badgeState, reload bool) error {
	if s.fsLoaded && !reload {
		return nil
	}
	fs, err := r.tx.Progress().Fulfillments(r.ctx, s.prog.ID)
	if err != nil {
		return err
	}
	s.fs, s.fsLoaded = fs, true
	return nil
}

func findFulfillment(fs []store.Fulfillment, id string) (store.Fulfillment, bool) {
	for _, f := range fs {
		if f.RequirementID == id {
			return f, true
		}
	}
	return store.Fulfillment{}, false
}

// cutoff returns the earliest event time that still counts under d (zero
// when d is zero).
func cutoff(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(-d)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fulfil records that the event satisfies requirement q. It reports
// whether a fulfilment was added.
func (r *run) fulfil(s *badgeState, q *compiledReq) (bool, error) {
	tplCut := cutoff(r.ev.Time, s.rs.window)
	if err := r.loadFulfillments(s, false); err != nil {
		return false, err
	}
	existing, fulfilled := findFulfillment(s.fs, q.r.ID)
	stale := fulfilled && !tplCut.IsZero() && existing.EventTime.Before(tplCut)
	if q.count == nil {
		if fulfilled && !stale {
			return false, nil
		}
		if stale {
			if _, err := r.tx.Progress().Unfulfill(r.ctx, s.prog.ID, []string{q.r.ID}); err != nil {
				return false, err
			}
		}
		return r.record(s, q, nil)
	}
	// Counting requirement.
	v, ok := lookupSegs(r.ev.Data, q.count)
	if !ok || v == nil {
		return false, nil
	}
	val := eventbus.PyStr(v)
	if val == "" {
		return false, nil
	}
	cut := later(cutoff(r.ev.Time, q.window), tplCut)
	if fulfilled && !stale {
		// Already counted enough; keep the value for the record.
		_, err := r.tx.Progress().Observe(r.ctx, s.prog.ID, store.Observation{RequirementID: q.r.ID, Value: val, EventID: r.ev.ID, EventTime: r.ev.Time})
		return false, err
	}
	obs, err := r.tx.Progress().Observations(r.ctx, s.prog.ID, q.r.ID)
	if err != nil {
		return false, err
	}
	if stale || (!cut.IsZero() && slices.ContainsFunc(obs, func(o store.Observation) bool { return o.EventTime.Before(cut) })) {
		// Drop what fell out of the window so a value seen again counts
		// with its new time: Unfulfill removes the requirement's
		// observations; the fresh ones are recorded again.
		if _, err := r.tx.Progress().Unfulfill(r.ctx, s.prog.ID, []string{q.r.ID}); err != nil {
			return false, err
		}
		kept := obs[:0:0]
		for _, o := range obs {
			if cut.IsZero() || !o.EventTime.Before(cut) {
				if _, err := r.tx.Progress().Observe(r.ctx, s.prog.ID, o); err != nil {
					return false, err
				}
				kept = append(kept, o)
			}
		}
		obs = kept
		s.changed = true
	}
	added, err := r.tx.Progress().Observe(r.ctx, s.prog.ID, store.Observation{RequirementID: q.r.ID, Value: val, EventID: r.ev.ID, EventTime: r.ev.Time})
	if err != nil {
		return false, err
	}
	if added {
		s.changed = true
		obs = append(obs, store.Observation{RequirementID: q.r.ID, Value: val, EventID: r.ev.ID, EventTime: r.ev.Time})
	}
	var values []string
	for _, o := range obs {
		if cut.IsZero() || !o.EventTime.Before(cut) {
			values = append(values, o.Value)
		}
	}
	slices.Sort(values)
	values = slices.Compact(values)
	if len(values) < q.distinct {
		return false, nil
	}
	return r.record(s, q, values)
}

// record stores the fulfilment of q by the event.
func (r *run) record(s *badgeState, q *compiledReq, values []string) (bool, error) {
	matched, err := json.Marshal(r.matchRecord(s, q, values))
	if err != nil {
		return false, err
	}
	f := store.Fulfillment{RequirementID: q.r.ID, Group: q.r.Group, EventID: r.ev.ID, EventTime: r.ev.Time, Matched: matched}
	added, err := r.tx.Progress().Fulfill(r.ctx, s.prog.ID, f)
	if err != nil || !added {
		return false, err
	}
	s.changed = true
	s.fsLoaded = false
	r.out.Fulfilled = append(r.out.Fulfilled, FulfillmentChange{Template: s.ts.t.UUID, LearnerID: r.ev.LearnerID, Fulfillment: f})
	return true, nil
}

// matchRecord is the JSON kept in Fulfillment.Matched.
type matchRecord struct {
	Requirement  string        `json:"requirement"`
	EventType    string        `json:"event_type"`
	RulesVersion int           `json:"rules_version"`
	Rules        []matchedRule `json:"rules"`
	Count        *countRecord  `json:"count,omitempty"`
}

type countRecord struct {
	Path     string   `json:"path"`
	Distinct int      `json:"distinct"`
	Values   []string `json:"values"`
	Window   string   `json:"window,omitempty"`
}

func (r *run) matchRecord(s *badgeState, q *compiledReq, values []string) matchRecord {
	m := matchRecord{Requirement: q.r.ID, EventType: q.r.EventType, RulesVersion: s.rs.version, Rules: []matchedRule{}}
	for _, cr := range q.rules {
		m.Rules = append(m.Rules, cr.describe(r.ev.Data))
	}
	if q.count != nil {
		m.Count = &countRecord{Path: q.r.Count.Path, Distinct: q.distinct, Values: values}
		if q.window > 0 {
			m.Count.Window = Duration(q.window).String()
		}
	}
	return m
}

// fulfilledGroups counts the groups with a fulfilment; with window, only
// fulfilments within the rule set's window before now count.
func (cs *compiledSet) fulfilledGroups(fs []store.Fulfillment, now time.Time, window bool) int {
	if len(cs.groups) == 0 {
		return 0
	}
	var cut time.Time
	if window {
		cut = cutoff(now, cs.window)
	}
	done := make([]bool, len(cs.groups))
	n := 0
	for _, f := range fs {
		i, ok := cs.reqByID[f.RequirementID]
		if !ok || (!cut.IsZero() && f.EventTime.Before(cut)) {
			continue
		}
		if g := cs.reqs[i].group; !done[g] {
			done[g] = true
			n++
		}
	}
	return n
}

func (cs *compiledSet) complete(fs []store.Fulfillment, now time.Time, window bool) bool {
	return cs.fulfilledGroups(fs, now, window) == len(cs.groups)
}

// maybeGrant awards the badge when every group is fulfilled and every
// required badge is held.
func (r *run) maybeGrant(s *badgeState) error {
	if err := r.loadFulfillments(s, false); err != nil {
		return err
	}
	if !s.rs.complete(s.fs, r.ev.Time, true) {
		return nil
	}
	ok, err := r.depsHold(s.ts)
	if err != nil || !ok {
		return err
	}
	return r.grant(s)
}

func (r *run) depsHold(ts *tplState) (bool, error) {
	for _, d := range ts.t.Requires {
		aw, err := r.tx.Awards().Get(r.ctx, r.ev.LearnerID, credential.Badge(d.String()))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if aw.Status != credential.StatusAwarded {
			return false, nil
		}
	}
	return true, nil
}

func (r *run) grant(s *badgeState) error {
	ts := s.ts
	cause := credential.Cause{EventID: r.ev.ID, EventTime: r.ev.Time, Reason: r.reason(s)}
	var aw credential.Award
	switch {
	case s.hasAward && !earnable(s):
		return nil
	case s.hasAward && s.aw.Status == credential.StatusRevoked && !ts.t.Repeatable:
		// Re-award after a penalty: a new credential; the revoked one stays.
		var err error
		if aw, err = s.aw.Reissue(cause, false); err != nil {
			var te *credential.TransitionError
			if errors.As(err, &te) {
				return nil
			}
			return err
		}
	case s.hasAward:
		aw = s.aw
		changed, err := aw.Grant(cause, ts.t.Repeatable, false)
		var te *credential.TransitionError
		if errors.As(err, &te) || (err == nil && !changed) {
			return nil
		}
		if err != nil {
			return err
		}
	default:
		var err error
		if aw, err = credential.NewAward(r.ev.LearnerID, ts.ref, cause); err != nil {
			return err
		}
	}
	aw.AwardedAt = r.ev.at()
	stored, created, err := r.tx.Awards().Put(r.ctx, aw)
	if err != nil {
		return err
	}
	s.aw, s.hasAward, s.changed = stored, true, true
	r.out.Awards = append(r.out.Awards, AwardChange{Template: ts.t.UUID, Award: stored, Created: created})
	r.granted = append(r.granted, ts)
	if ts.t.Repeatable && s.prog != nil {
		ids := make([]string, len(s.rs.reqs))
		for i, q := range s.rs.reqs {
			ids[i] = q.r.ID
		}
		if _, err := r.tx.Progress().Unfulfill(r.ctx, s.prog.ID, ids); err != nil {
			return err
		}
		s.fsLoaded = false
		if cur := max(ts.cur.version, 1); s.prog.RulesVersion != cur {
			if err := r.tx.Progress().SetRulesVersion(r.ctx, s.prog.ID, cur); err != nil {
				return err
			}
			s.prog.RulesVersion = cur
			s.rs = ts.cur
		}
	}
	return nil
}

// reason explains an award in its cause: the requirements whose
// fulfilments completed it, the required badges and the rules version. The
// full trace (event ids, times, matched rules) is in the fulfilments.
// Nothing is added to the award's Evidence, which providers show publicly.
func (r *run) reason(s *badgeState) string {
	var b strings.Builder
	b.WriteString("earned")
	var ids []string
	for _, f := range s.fs {
		if _, ok := s.rs.reqByID[f.RequirementID]; ok {
			ids = append(ids, f.RequirementID)
		}
	}
	if len(ids) > 0 {
		b.WriteString(": requirements ")
		b.WriteString(strings.Join(ids, ", "))
	}
	if n := len(s.ts.t.Requires); n > 0 {
		fmt.Fprintf(&b, "; %d required badge(s) held", n)
	}
	fmt.Fprintf(&b, " (rules version %d)", max(s.rs.version, 1))
	return badge.Truncate(b.String(), 500)
}

// penalize applies penalty p.
func (r *run) penalize(s *badgeState, p *compiledPen) error {
	if s.prog == nil {
		prog, err := r.tx.Progress().Get(r.ctx, r.ev.LearnerID, s.ts.t.UUID)
		switch {
		case err == nil:
			s.prog = &prog
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if s.prog != nil {
		if err := r.loadFulfillments(s, false); err != nil {
			return err
		}
		n, err := r.tx.Progress().Unfulfill(r.ctx, s.prog.ID, p.resets)
		if err != nil {
			return err
		}
		if n > 0 {
			for _, f := range s.fs {
				if slices.Contains(p.resets, f.RequirementID) {
					r.out.Unfulfilled = append(r.out.Unfulfilled, FulfillmentChange{Template: s.ts.t.UUID, LearnerID: r.ev.LearnerID, Fulfillment: f})
				}
			}
			s.changed = true
			s.fsLoaded = false
		}
	}
	if !s.hasAward || s.aw.Status != credential.StatusAwarded {
		return nil
	}
	if s.prog != nil {
		if err := r.loadFulfillments(s, false); err != nil {
			return err
		}
		if s.rs.complete(s.fs, r.ev.Time, false) {
			return nil
		}
	}
	reason := "penalty " + p.p.ID
	if p.p.Description != "" {
		reason += ": " + p.p.Description
	}
	aw := s.aw
	if !aw.Revoke(credential.Cause{EventID: r.ev.ID, EventTime: r.ev.Time, Reason: reason}) {
		return nil
	}
	aw.RevokedAt = r.ev.at()
	stored, _, err := r.tx.Awards().Put(r.ctx, aw)
	if err != nil {
		return err
	}
	s.aw, s.changed = stored, true
	r.out.Awards = append(r.out.Awards, AwardChange{Template: s.ts.t.UUID, Award: stored, Revoked: true})
	return nil
}

// dependent re-evaluates a template that requires a badge just granted.
func (r *run) dependent(ts *tplState) error {
	if !ts.active {
		return nil
	}
	s := &badgeState{ts: ts, rs: ts.cur}
	if err := r.loadAward(s); err != nil {
		return err
	}
	if s.hasAward && (gated(s.aw, r.ev) || !earnable(s) || s.aw.Status == credential.StatusAwarded && !ts.t.Repeatable) {
		return nil
	}
	if len(ts.cur.reqs) > 0 {
		p, err := r.tx.Progress().Get(r.ctx, r.ev.LearnerID, ts.t.UUID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		s.prog = &p
		if max(p.RulesVersion, 1) != max(s.rs.version, 1) {
			cs, err := r.e.rulesAt(r.ctx, r.tx.Config(), ts, p.RulesVersion)
			if err != nil {
				return err
			}
			s.rs = cs
		}
	}
	if s.prog != nil {
		if err := r.loadFulfillments(s, false); err != nil {
			return err
		}
	}
	if !s.rs.complete(s.fs, r.ev.Time, true) {
		return nil
	}
	ok, err := r.depsHold(ts)
	if err != nil || !ok {
		return err
	}
	return r.grant(s)
}

// String summarises an outcome for logs.
func (o Outcome) String() string {
	return fmt.Sprintf("%d granted, %d revoked, %d fulfilled, %d unfulfilled",
		len(o.Granted()), len(o.Revoked()), len(o.Fulfilled), len(o.Unfulfilled))
}

// Progress reports a learner's progress towards a template (for learner
// dashboards and the CLI): fulfilled groups out of groups, under the rules
// version the progress was made with. A learner without progress gets
// zero fulfilled groups under the current version. now is used for the
// rule set's window (fulfilments older than it do not count); pass the
// zero time to ignore the window.
func (e *Engine) Progress(ctx context.Context, repos store.Repos, learnerID int64, template uuid.UUID, now time.Time) (ProgressReport, error) {
	ts, ok := e.byUUID[template]
	if !ok {
		return ProgressReport{}, fmt.Errorf("badge: template %s is not in the engine: %w", template, store.ErrNotFound)
	}
	rep := ProgressReport{Template: template, LearnerID: learnerID, RulesVersion: max(ts.cur.version, 1), Groups: len(ts.cur.groups)}
	p, err := repos.Progress().Get(ctx, learnerID, template)
	if errors.Is(err, store.ErrNotFound) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	cs, err := e.rulesAt(ctx, repos.Config(), ts, p.RulesVersion)
	if err != nil {
		return rep, err
	}
	fs, err := repos.Progress().Fulfillments(ctx, p.ID)
	if err != nil {
		return rep, err
	}
	rep.RulesVersion, rep.Groups = p.RulesVersion, len(cs.groups)
	rep.Fulfilled = cs.fulfilledGroups(fs, now, !now.IsZero())
	return rep, nil
}
