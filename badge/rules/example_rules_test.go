package rules_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

const exampleRules = `{"templates": [{
  "name": "Python fundamentals", "provider": "credly", "account_id": "org-1", "external_id": "tpl-9",
  "requirements": [
    {"id": "py1", "group": "A", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
               {"path": "is_passing", "operator": "eq", "value": "true"}]},
    {"id": "py2", "group": "B", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY2+2026"},
               {"path": "is_passing", "operator": "eq", "value": "true"}]}],
  "penalties": [
    {"id": "py1-failed", "resets": ["py1"], "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
               {"path": "is_passing", "operator": "eq", "value": "false"}]}]
}]}`

// Loading a rules file kept in version control, storing it and building
// an engine from the store.
func ExampleParseFile() {
	ctx := context.Background()
	templates, err := rules.ParseFile([]byte(exampleRules))
	if err != nil {
		fmt.Println(err)
		return
	}
	st := memstore.New()
	defer st.Close()
	stored, err := rules.PutTemplates(ctx, st.Config(), templates)
	if err != nil {
		fmt.Println(err)
		return
	}
	eng, err := rules.LoadEngine(ctx, st.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	t := stored[0]
	fmt.Printf("%s: %d groups %v, rules version %d\n", t.Name, len(t.GroupNames()), t.GroupNames(), t.RulesVersion)
	fmt.Println("event types:", eng.EventTypes())

	// A mistake is reported with the template and the field.
	_, err = rules.ParseFile([]byte(strings.Replace(exampleRules, `"path": "is_passing"`, `"path": "course_passing_status.is_passing"`, 1)))
	fmt.Println(err)
	// Output:
	// Python fundamentals: 2 groups [A B], rules version 1
	// event types: [org.openedx.learning.course.passing.status.updated.v1]
	// badge rules: template "Python fundamentals": requirements[py1].rules[1].path: event type org.openedx.learning.course.passing.status.updated.v1 has no field "course_passing_status.is_passing" (paths are relative to the "course_passing_status" record: write "is_passing")
}

// Evaluating events: Apply runs inside the pipeline's transaction and
// reports each award transition once.
func ExampleEngine_Apply() {
	ctx := context.Background()
	templates, _ := rules.ParseFile([]byte(exampleRules))
	st := memstore.New()
	defer st.Close()
	rules.PutTemplates(ctx, st.Config(), templates)
	eng, _ := rules.LoadEngine(ctx, st.Config())

	pass := func(id string, minute int, course string, passing bool) rules.Event {
		return rules.Event{
			ID: id, Type: eventbus.TypeCoursePassingStatusUpdated, LearnerID: 42,
			Time: time.Date(2026, 5, 1, 9, minute, 0, 0, time.UTC),
			Data: map[string]any{
				"is_passing": passing,
				"course":     map[string]any{"course_key": course},
				"user":       map[string]any{"id": int64(42), "pii": map[string]any{"email": "ada@example.org"}},
			},
		}
	}
	apply := func(ev rules.Event) {
		err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			out, err := eng.Apply(ctx, tx, ev)
			if err != nil {
				return err
			}
			fmt.Printf("%s: %s", ev.ID, out)
			for _, p := range out.Progress {
				fmt.Printf(", progress %d/%d", p.Fulfilled, p.Groups)
			}
			for _, a := range out.Awards {
				if a.Revoked {
					fmt.Printf(", revoked by %s (%s)", a.Award.Revoked.EventID, a.Award.Revoked.Reason)
				} else {
					fmt.Printf(", awarded by %s", a.Award.Awarded.EventID)
				}
			}
			fmt.Println()
			return nil
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	apply(pass("e1", 1, "course-v1:X+PY1+2026", true))
	apply(pass("e2", 2, "course-v1:X+PY2+2026", true))
	apply(pass("e2", 2, "course-v1:X+PY2+2026", true)) // redelivered
	apply(pass("e3", 3, "course-v1:X+PY1+2026", false))
	// Output:
	// e1: 0 granted, 0 revoked, 1 fulfilled, 0 unfulfilled, progress 1/2
	// e2: 1 granted, 0 revoked, 1 fulfilled, 0 unfulfilled, progress 2/2, awarded by e2
	// e2: 0 granted, 0 revoked, 0 fulfilled, 0 unfulfilled
	// e3: 0 granted, 1 revoked, 0 fulfilled, 1 unfulfilled, progress 1/2, revoked by e3 (penalty py1-failed)
}

// Matching without a store, e.g. to preview which badges an event feeds.
func ExampleEngine_Match() {
	templates, _ := rules.ParseFile([]byte(exampleRules))
	eng, _ := rules.NewEngine(templates)
	ev := rules.Event{Type: eventbus.TypeCoursePassingStatusUpdated, Data: map[string]any{
		"is_passing": false, "course": map[string]any{"course_key": "course-v1:X+PY1+2026"}}}
	for _, m := range eng.Match(ev, nil) {
		fmt.Println("requirement:", m.RequirementID, "penalty:", m.PenaltyID)
	}
	// Output:
	// requirement:  penalty: py1-failed
}

// Open edX's normalisation of eq values: "yes" means True.
func ExampleDataRule_Matches() {
	tree := map[string]any{"is_passing": true, "grade": "0.85"}
	ok1, _ := rules.DataRule{Path: "is_passing", Operator: rules.OpEq, Value: "yes"}.Matches(tree)
	ok2, _ := rules.DataRule{Path: "grade", Operator: rules.OpGte, Value: 0.8}.Matches(tree)
	ok3, _ := rules.DataRule{Path: "user.id", Operator: rules.OpEq, Value: "None"}.Matches(tree)
	fmt.Println(ok1, ok2, ok3)
	// Output: true true true
}
