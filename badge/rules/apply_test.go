package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

const learner = int64(42)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// Open edX awards on the first fulfilled requirement; credshare waits for
// every group (requirements of one group are alternatives).
func TestAwardOnlyWhenEveryGroupFulfilled(t *testing.T) {
	tp := mkTemplate("Two groups", rules.Set{Requirements: []rules.Requirement{
		passReq("a1", "A", "course-a1"), passReq("a2", "A", "course-a2"), passReq("b", "B", "course-b"),
	}})
	h := newRulesHarness(t, tp)

	out := h.apply(passEvent("e1", learner, at(1), "course-a1", true))
	if len(out.Awards) != 0 || len(out.Fulfilled) != 1 {
		t.Fatalf("after group A: %+v", out)
	}
	if p := out.Progress; len(p) != 1 || p[0].Fulfilled != 1 || p[0].Groups != 2 || p[0].Ratio() != 0.5 {
		t.Fatalf("progress after group A: %+v", p)
	}
	if _, ok := h.award(learner, tp); ok {
		t.Fatal("awarded with one of two groups fulfilled")
	}
	// The other alternative of group A adds a fulfilment, not an award.
	out = h.apply(passEvent("e2", learner, at(2), "course-a2", true))
	if len(out.Awards) != 0 || len(out.Fulfilled) != 1 || out.Progress[0].Fulfilled != 1 {
		t.Fatalf("second alternative of group A: %+v", out)
	}
	out = h.apply(passEvent("e3", learner, at(3), "course-b", true))
	if len(out.Awards) != 1 || out.Awards[0].Revoked || !out.Awards[0].Created {
		t.Fatalf("after group B: %+v", out)
	}
	a, ok := h.award(learner, tp)
	if !ok || a.Status != credential.StatusAwarded || a.Times != 1 || a.Awarded.EventID != "e3" || !a.AwardedAt.Equal(at(3)) {
		t.Fatalf("award: %+v", a)
	}
	if out.Progress[0].Ratio() != 1 {
		t.Fatalf("progress: %+v", out.Progress)
	}
}

// Open edX's apply_rules returns False for a requirement without data rules;
// credshare matches any event of the requirement's type.
func TestRequirementWithoutRulesMatchesAnyEventOfItsType(t *testing.T) {
	tp := mkTemplate("Any grade update", rules.Set{Requirements: []rules.Requirement{
		{ID: "any", EventType: passingType},
	}})
	h := newRulesHarness(t, tp)
	if out := h.apply(certEvent("c1", learner, at(1), "course-x", "verified", "0.9")); !out.Empty() {
		t.Fatalf("an event of another type matched: %+v", out)
	}
	out := h.apply(passEvent("e1", learner, at(2), "course-x", false))
	if len(out.Fulfilled) != 1 || len(out.Granted()) != 1 {
		t.Fatalf("outcome: %+v", out)
	}
	var m struct {
		Rules []any `json:"rules"`
	}
	if err := json.Unmarshal(out.Fulfilled[0].Fulfillment.Matched, &m); err != nil || m.Rules == nil || len(m.Rules) != 0 {
		t.Fatalf("matched rules of a rule-less requirement: %s (%v)", out.Fulfilled[0].Fulfillment.Matched, err)
	}
}

// Open edX creates a revoked credential and emits badge.revoked even when
// the badge was never awarded; credshare revokes only an awarded badge.
func TestPenaltyRevokesOnlyAwardedBadge(t *testing.T) {
	tp := mkTemplate("Penalised", rules.Set{
		Requirements: []rules.Requirement{passReq("pass-a", "A", "course-a"), passReq("pass-b", "B", "course-b")},
		Penalties:    []rules.Penalty{failPenalty("fail-a", "course-a", "pass-a")},
	})
	h := newRulesHarness(t, tp)

	// A penalty for a learner with no progress changes nothing and creates nothing.
	if out := h.apply(passEvent("f0", learner, at(1), "course-a", false)); !out.Empty() {
		t.Fatalf("penalty without progress: %+v", out)
	}
	if h.hasProgress(learner, tp) {
		t.Fatal("a penalty created progress")
	}
	// With partial progress it unfulfils but does not revoke (nothing awarded).
	h.apply(passEvent("e1", learner, at(2), "course-a", true))
	out := h.apply(passEvent("f1", learner, at(3), "course-a", false))
	if len(out.Unfulfilled) != 1 || out.Unfulfilled[0].Fulfillment.RequirementID != "pass-a" || len(out.Awards) != 0 {
		t.Fatalf("penalty on partial progress: %+v", out)
	}
	if _, ok := h.award(learner, tp); ok {
		t.Fatal("a penalty created an award record")
	}
	// Earned, then the penalty revokes it, once.
	h.apply(passEvent("e2", learner, at(4), "course-a", true))
	if out := h.apply(passEvent("e3", learner, at(5), "course-b", true)); len(out.Granted()) != 1 {
		t.Fatalf("award: %+v", out)
	}
	out = h.apply(passEvent("f2", learner, at(6), "course-a", false))
	if rv := out.Revoked(); len(rv) != 1 || rv[0].Award.Status != credential.StatusRevoked || rv[0].Award.Revoked.EventID != "f2" ||
		!strings.Contains(rv[0].Award.Revoked.Reason, "fail-a") {
		t.Fatalf("revocation: %+v", out)
	}
	// Another failure of an already revoked badge: no second revocation.
	if out := h.apply(passEvent("f3", learner, at(7), "course-a", false)); len(out.Awards) != 0 {
		t.Fatalf("second penalty: %+v", out)
	}
	// A revoked badge is not awarded again by the rules (as in Open edX).
	h.apply(passEvent("e4", learner, at(8), "course-a", true))
	if out := h.apply(passEvent("e5", learner, at(9), "course-b", true)); len(out.Awards) != 0 {
		t.Fatalf("revoked badge re-awarded: %+v", out)
	}
}

// A penalty whose requirement was not what fulfilled its group leaves an
// awarded badge alone.
func TestPenaltyKeepsBadgeStillEarned(t *testing.T) {
	tp := mkTemplate("Either course", rules.Set{
		Requirements: []rules.Requirement{passReq("a", "G", "course-a"), passReq("b", "G", "course-b")},
		Penalties:    []rules.Penalty{failPenalty("fail-a", "course-a", "a")},
	})
	h := newRulesHarness(t, tp)
	h.apply(passEvent("e1", learner, at(1), "course-b", true))
	if out := h.apply(passEvent("f1", learner, at(2), "course-a", false)); len(out.Awards) != 0 {
		t.Fatalf("penalty revoked a badge still earned through b: %+v", out)
	}
	if a, _ := h.award(learner, tp); a.Status != credential.StatusAwarded {
		t.Fatalf("award: %+v", a)
	}
}

// Open edX emits badge.awarded on every repeat; credshare reports an award
// once, and nothing for repeats or redelivery.
func TestBadgeAwardedOnceNotOnRepeats(t *testing.T) {
	tp := mkTemplate("Once", rules.Set{Requirements: []rules.Requirement{passReq("p", "", "course-a")}})
	h := newRulesHarness(t, tp)
	ev := passEvent("e1", learner, at(1), "course-a", true)
	if out := h.apply(ev); len(out.Granted()) != 1 {
		t.Fatalf("first: %+v", out)
	}
	if out := h.apply(ev); !out.Empty() {
		t.Fatalf("redelivered event: %+v", out)
	}
	if out := h.apply(passEvent("e2", learner, at(2), "course-a", true)); !out.Empty() {
		t.Fatalf("repeat pass: %+v", out)
	}
	if a, _ := h.award(learner, tp); a.Times != 1 || a.Awarded.EventID != "e1" {
		t.Fatalf("award: %+v", a)
	}
}

// openedx/credentials#2986: fulfilments and awards record the triggering
// event id, its time and the rules that matched.
func TestFulfillmentRecordsEventAndMatchedRules(t *testing.T) {
	tp := mkTemplate("Traceable", rules.Set{Requirements: []rules.Requirement{passReq("p", "A", "course-a")}})
	h := newRulesHarness(t, tp)
	out := h.apply(passEvent("evt-123", learner, at(5), "course-a", true))
	if len(out.Fulfilled) != 1 {
		t.Fatalf("outcome: %+v", out)
	}
	fs := h.fulfillments(learner, tp)
	if len(fs) != 1 {
		t.Fatalf("stored fulfilments: %+v", fs)
	}
	f := fs[0]
	if f.RequirementID != "p" || f.Group != "A" || f.EventID != "evt-123" || !f.EventTime.Equal(at(5)) {
		t.Fatalf("fulfilment: %+v", f)
	}
	var m struct {
		Requirement  string `json:"requirement"`
		EventType    string `json:"event_type"`
		RulesVersion int    `json:"rules_version"`
		Rules        []struct {
			Path     string `json:"path"`
			Operator string `json:"operator"`
			Value    any    `json:"value"`
			Actual   any    `json:"actual"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(f.Matched, &m); err != nil {
		t.Fatal(err)
	}
	if m.Requirement != "p" || m.EventType != passingType || m.RulesVersion != 1 || len(m.Rules) != 2 ||
		m.Rules[0].Path != "course.course_key" || m.Rules[0].Actual != "course-a" ||
		m.Rules[1].Operator != "eq" || m.Rules[1].Value != "true" || m.Rules[1].Actual != true {
		t.Fatalf("matched: %s", f.Matched)
	}
	a, _ := h.award(learner, tp)
	if a.Awarded.EventID != "evt-123" || !a.Awarded.EventTime.Equal(at(5)) || !a.AwardedAt.Equal(at(5)) ||
		a.Awarded.Reason != "earned: requirements p (rules version 1)" || len(a.Evidence) != 0 {
		t.Fatalf("award: %+v", a)
	}
}

func TestCountRequirementNeedsDistinctValues(t *testing.T) {
	tp := mkTemplate("Three courses", rules.Set{Requirements: []rules.Requirement{{
		ID: "three", EventType: passingType,
		Rules: []rules.DataRule{{Path: "is_passing", Operator: rules.OpEq, Value: "true"}},
		Count: &rules.Count{Path: "course.course_key", Distinct: 3},
	}}})
	h := newRulesHarness(t, tp)
	h.apply(passEvent("e1", learner, at(1), "c1", true))
	h.apply(passEvent("e2", learner, at(2), "c1", true)) // same course again
	h.apply(passEvent("e3", learner, at(3), "c2", false))
	h.apply(passEvent("e4", learner, at(4), "c2", true))
	if _, ok := h.award(learner, tp); ok {
		t.Fatal("awarded with two distinct courses")
	}
	out := h.apply(passEvent("e5", learner, at(5), "c3", true))
	if len(out.Granted()) != 1 || len(out.Fulfilled) != 1 {
		t.Fatalf("third course: %+v", out)
	}
	var m struct {
		Count struct {
			Values []string `json:"values"`
		} `json:"count"`
	}
	_ = json.Unmarshal(out.Fulfilled[0].Fulfillment.Matched, &m)
	if strings.Join(m.Count.Values, ",") != "c1,c2,c3" {
		t.Fatalf("matched: %s", out.Fulfilled[0].Fulfillment.Matched)
	}
}

func TestCountWindow(t *testing.T) {
	tp := mkTemplate("Two in a week", rules.Set{Requirements: []rules.Requirement{{
		ID: "two", EventType: passingType, Window: rules.Duration(7 * 24 * time.Hour),
		Count: &rules.Count{Path: "course.course_key", Distinct: 2},
	}}})
	h := newRulesHarness(t, tp)
	day := func(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }
	h.apply(passEvent("e1", learner, day(0), "c1", true))
	if out := h.apply(passEvent("e2", learner, day(10), "c2", true)); len(out.Awards) != 0 {
		t.Fatalf("values ten days apart counted: %+v", out)
	}
	// c1 seen again within a week of c2: counts with its new time.
	if out := h.apply(passEvent("e3", learner, day(12), "c1", true)); len(out.Granted()) != 1 {
		t.Fatalf("c1 again within the week: %+v", out)
	}
}

func TestTemplateWindowAllWithin(t *testing.T) {
	tp := mkTemplate("Sprint", rules.Set{
		Requirements: []rules.Requirement{passReq("a", "A", "c1"), passReq("b", "B", "c2")},
		Window:       rules.Duration(48 * time.Hour),
	})
	h := newRulesHarness(t, tp)
	h.apply(passEvent("e1", learner, t0, "c1", true))
	out := h.apply(passEvent("e2", learner, t0.Add(72*time.Hour), "c2", true))
	if len(out.Awards) != 0 || out.Progress[0].Fulfilled != 1 {
		t.Fatalf("groups 72h apart: %+v", out)
	}
	// Group A again: its stale fulfilment is replaced, and both are now within 48h.
	out = h.apply(passEvent("e3", learner, t0.Add(80*time.Hour), "c1", true))
	if len(out.Granted()) != 1 || len(out.Fulfilled) != 1 || out.Fulfilled[0].Fulfillment.EventID != "e3" {
		t.Fatalf("after refresh: %+v", out)
	}
}

func TestBadgeDependencies(t *testing.T) {
	a := mkTemplate("A", rules.Set{Requirements: []rules.Requirement{passReq("a", "", "ca")}})
	b := mkTemplate("B", rules.Set{Requirements: []rules.Requirement{passReq("b", "", "cb")}})
	both := mkTemplate("A and B", rules.Set{Requires: []uuid.UUID{a.UUID, b.UUID}})
	capstone := mkTemplate("Capstone after A", rules.Set{
		Requirements: []rules.Requirement{passReq("cap", "", "capstone")}, Requires: []uuid.UUID{a.UUID}})
	h := newRulesHarness(t, a, b, both, capstone)

	// Capstone passed before A: progress complete, but no award yet.
	if out := h.apply(passEvent("e1", learner, at(1), "capstone", true)); len(out.Awards) != 0 {
		t.Fatalf("capstone without A: %+v", out)
	}
	// A cascades to the capstone (its groups are done).
	out := h.apply(passEvent("e2", learner, at(2), "ca", true))
	if g := out.Granted(); len(g) != 2 || g[0].Template != a.UUID || g[1].Template != capstone.UUID || g[1].Award.Awarded.EventID != "e2" {
		t.Fatalf("A: %+v", out)
	}
	// B completes "A and B", which has no requirements of its own.
	out = h.apply(passEvent("e3", learner, at(3), "cb", true))
	if g := out.Granted(); len(g) != 2 || g[1].Template != both.UUID || !strings.Contains(g[1].Award.Awarded.Reason, "2 required badge(s) held") {
		t.Fatalf("B: %+v", out)
	}
	if out := h.apply(passEvent("e3", learner, at(3), "cb", true)); !out.Empty() {
		t.Fatalf("redelivery: %+v", out)
	}
}

func TestRepeatableBadgeEarnedAgain(t *testing.T) {
	tp := mkTemplate("Streak", rules.Set{Requirements: []rules.Requirement{
		passReq("a", "A", "c1"), passReq("b", "B", "c2")}})
	tp.Repeatable = true
	h := newRulesHarness(t, tp)
	h.apply(passEvent("e1", learner, at(1), "c1", true))
	if out := h.apply(passEvent("e2", learner, at(2), "c2", true)); len(out.Granted()) != 1 {
		t.Fatalf("first: %+v", out)
	}
	if fs := h.fulfillments(learner, tp); len(fs) != 0 {
		t.Fatalf("progress not reset after a repeatable award: %+v", fs)
	}
	if out := h.apply(passEvent("e2", learner, at(2), "c2", true)); !out.Empty() {
		t.Fatalf("redelivery of the awarding event: %+v", out)
	}
	if out := h.apply(passEvent("e0", learner, at(0), "c2", true)); !out.Empty() {
		t.Fatalf("an event older than the award: %+v", out)
	}
	h.apply(passEvent("e3", learner, at(3), "c2", true))
	out := h.apply(passEvent("e4", learner, at(4), "c1", true))
	if g := out.Granted(); len(g) != 1 || g[0].Award.Times != 2 || g[0].Created || g[0].Award.Awarded.EventID != "e4" {
		t.Fatalf("second: %+v", out)
	}
}

// Editing an active template's rules does not rewrite progress already
// made: it keeps being evaluated with the rule set of its version.
func TestEditingRulesKeepsProgressOnItsVersion(t *testing.T) {
	v1 := mkTemplate("Versioned", rules.Set{Requirements: []rules.Requirement{
		passReq("a", "A", "old-a"), passReq("b", "B", "old-b")}})
	h := newRulesHarness(t, v1)
	h.apply(passEvent("e1", learner, at(1), "old-a", true))

	v2 := v1
	v2.Set = rules.Set{Requirements: []rules.Requirement{passReq("a", "A", "new-a"), passReq("b", "B", "new-b")}}
	h.put(v2)
	if tp, _ := h.eng.Template(v1.UUID); tp.RulesVersion != 2 {
		t.Fatalf("rules version after the edit: %d", tp.RulesVersion)
	}
	// Learner 42 is on version 1: old-b completes it; new-b does nothing.
	if out := h.apply(passEvent("e2", learner, at(2), "new-b", true)); !out.Empty() {
		t.Fatalf("version-2 rule applied to version-1 progress: %+v", out)
	}
	out := h.apply(passEvent("e3", learner, at(3), "old-b", true))
	if len(out.Granted()) != 1 || !strings.Contains(out.Granted()[0].Award.Awarded.Reason, "rules version 1") {
		t.Fatalf("version-1 completion: %+v", out)
	}
	// A new learner starts on version 2.
	h.apply(passEvent("n1", 7, at(4), "old-a", true))
	if h.hasProgress(7, v1) {
		t.Fatal("version-1 rule created progress for a new learner")
	}
	h.apply(passEvent("n2", 7, at(5), "new-a", true))
	if out := h.apply(passEvent("n3", 7, at(6), "new-b", true)); len(out.Granted()) != 1 {
		t.Fatalf("version 2: %+v", out)
	}
	p, _ := h.st.Progress().Get(context.Background(), 7, v1.UUID)
	if p.RulesVersion != 2 {
		t.Fatalf("new learner's progress version: %d", p.RulesVersion)
	}
}

// An event type only the older version uses still reaches progress made
// under it (LoadEngine indexes older versions).
func TestOlderVersionEventTypeStillIndexed(t *testing.T) {
	v1 := mkTemplate("Cert then pass", rules.Set{Requirements: []rules.Requirement{
		{ID: "cert", Group: "A", EventType: eventbus.TypeCertificateCreated, Rules: []rules.DataRule{{Path: "mode", Operator: "eq", Value: "verified"}}},
		passReq("b", "B", "cb")}})
	h := newRulesHarness(t, v1)
	h.apply(passEvent("e1", learner, at(1), "cb", true))
	v2 := v1
	v2.Set = rules.Set{Requirements: []rules.Requirement{passReq("a2", "A", "ca"), passReq("b", "B", "cb")}}
	h.put(v2)
	if out := h.apply(certEvent("c1", learner, at(2), "cx", "verified", "0.9")); len(out.Granted()) != 1 {
		t.Fatalf("certificate under version 1: %+v", out)
	}
}

func TestInactiveTemplatesIgnored(t *testing.T) {
	tp := mkTemplate("Draft", rules.Set{Requirements: []rules.Requirement{passReq("p", "", "c1")}})
	tp.State = rules.StateDraft
	h := newRulesHarness(t, tp)
	if out := h.apply(passEvent("e1", learner, at(1), "c1", true)); !out.Empty() || h.hasProgress(learner, tp) {
		t.Fatalf("draft template evaluated: %+v", out)
	}
}

func TestApplyRejectsInvalidEvents(t *testing.T) {
	h := newRulesHarness(t, mkTemplate("X", rules.Set{Requirements: []rules.Requirement{passReq("p", "", "c1")}}))
	for _, ev := range []rules.Event{
		{Type: passingType, Time: t0, LearnerID: 1},
		{ID: "x", Time: t0, LearnerID: 1},
		{ID: "x", Type: passingType, LearnerID: 1},
		{ID: "x", Type: passingType, Time: t0},
	} {
		err := h.st.InTx(context.Background(), func(ctx context.Context, tx store.Repos) error {
			_, err := h.eng.Apply(ctx, tx, ev)
			return err
		})
		if !errors.Is(err, rules.ErrInvalidEvent) || !errors.Is(err, badge.ErrInvalid) {
			t.Errorf("Apply(%+v) = %v", ev, err)
		}
	}
}

func TestMatchUsesIndexAndLinearRules(t *testing.T) {
	keyed := mkTemplate("Keyed", rules.Set{
		Requirements: []rules.Requirement{passReq("k", "", "c1")},
		Penalties:    []rules.Penalty{failPenalty("kp", "c1", "k")}})
	in := mkTemplate("In", rules.Set{Requirements: []rules.Requirement{{ID: "i", EventType: passingType,
		Rules: []rules.DataRule{{Path: "course.course_key", Operator: rules.OpIn, Value: []any{"c1", "c2"}}}}}})
	linear := mkTemplate("Linear", rules.Set{Requirements: []rules.Requirement{{ID: "l", EventType: passingType,
		Rules: []rules.DataRule{{Path: "course.course_key", Operator: rules.OpMatches, Value: "^c"}}}}})
	eng, err := rules.NewEngine([]rules.Template{keyed, in, linear})
	if err != nil {
		t.Fatal(err)
	}
	got := eng.Match(passEvent("e", 1, t0, "c1", true), nil)
	want := []rules.Match{{Template: keyed.UUID, RequirementID: "k"}, {Template: in.UUID, RequirementID: "i"}, {Template: linear.UUID, RequirementID: "l"}}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Fatalf("Match = %+v, want %+v", got, want)
	}
	got = eng.Match(passEvent("e", 1, t0, "c1", false), got[:0])
	want = []rules.Match{{Template: keyed.UUID, PenaltyID: "kp"}, {Template: in.UUID, RequirementID: "i"}, {Template: linear.UUID, RequirementID: "l"}}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Fatalf("Match = %+v, want %+v", got, want)
	}
	if got := eng.Match(passEvent("e", 1, t0, "c2", true), nil); len(got) != 2 {
		t.Fatalf("c2: %+v", got)
	}
	if got := eng.Match(passEvent("e", 1, t0, "x", true), nil); len(got) != 0 {
		t.Fatalf("x: %+v", got)
	}
	if ts := eng.EventTypes(); len(ts) != 1 || ts[0] != passingType {
		t.Fatalf("EventTypes = %v", ts)
	}
}

// A template synchronised from its provider has no rules yet: the engine
// loads it and it awards nothing.
func TestSyncedTemplateWithoutRulesAwardsNothing(t *testing.T) {
	st := mkTemplate("Synced", rules.Set{})
	if err := st.Validate(); !errors.Is(err, rules.ErrEmptyGroup) {
		t.Fatalf("an active template without rules in a rules file: %v", err)
	}
	other := mkTemplate("Other", rules.Set{Requirements: []rules.Requirement{{ID: "any", EventType: passingType}}})
	eng, err := rules.NewEngine([]rules.Template{st, other})
	if err != nil {
		t.Fatal(err)
	}
	if m := eng.Match(passEvent("e", 1, t0, "c", true), nil); len(m) != 1 || m[0].Template != other.UUID {
		t.Fatalf("Match = %+v", m)
	}
}

func TestEngineProgress(t *testing.T) {
	tp := mkTemplate("Progress", rules.Set{Requirements: []rules.Requirement{
		passReq("a", "A", "c1"), passReq("b", "B", "c2"), passReq("c", "C", "c3")}})
	h := newRulesHarness(t, tp)
	ctx := context.Background()
	rep, err := h.eng.Progress(ctx, h.st, learner, tp.UUID, time.Time{})
	if err != nil || rep.Fulfilled != 0 || rep.Groups != 3 || rep.RulesVersion != 1 {
		t.Fatalf("no progress: %+v, %v", rep, err)
	}
	h.apply(passEvent("e1", learner, at(1), "c2", true))
	rep, err = h.eng.Progress(ctx, h.st, learner, tp.UUID, at(2))
	if err != nil || rep.Fulfilled != 1 || rep.Ratio() != 1.0/3 {
		t.Fatalf("one group: %+v, %v", rep, err)
	}
	if _, err := h.eng.Progress(ctx, h.st, learner, uuid.New(), time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown template: %v", err)
	}
}
