package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

const passingType = eventbus.TypeCoursePassingStatusUpdated

// t0 is the time of the first event in the tests.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// passData is a course.passing.status.updated payload tree, shaped like
// attrs.asdict(CoursePassingStatusData).
func passData(learner int64, course string, passing bool) map[string]any {
	return map[string]any{
		"is_passing": passing,
		"course": map[string]any{
			"course_key": course, "display_name": "Course " + course,
			"start": "2026-01-01T00:00:00+00:00", "end": nil,
		},
		"user": map[string]any{
			"id": learner, "is_active": true,
			"pii": map[string]any{"username": "learner", "email": "learner@example.org", "name": "Ada Learner"},
		},
	}
}

func passEvent(id string, learner int64, at time.Time, course string, passing bool) rules.Event {
	return rules.Event{ID: id, Type: passingType, Time: at, LearnerID: learner, Data: passData(learner, course, passing)}
}

func certEvent(id string, learner int64, at time.Time, course, mode, grade string) rules.Event {
	d := passData(learner, course, true)
	delete(d, "is_passing")
	d["mode"], d["grade"], d["name"] = mode, grade, "Ada Learner"
	d["current_status"], d["previous_status"], d["download_url"] = "downloadable", "", ""
	return rules.Event{ID: id, Type: eventbus.TypeCertificateCreated, Time: at, LearnerID: learner, Data: d}
}

// passReq is a requirement "pass course".
func passReq(id, group, course string) rules.Requirement {
	return rules.Requirement{ID: id, Group: group, EventType: passingType, Rules: []rules.DataRule{
		{Path: "course.course_key", Operator: rules.OpEq, Value: course},
		{Path: "is_passing", Operator: rules.OpEq, Value: "true"},
	}}
}

// failPenalty resets reqs when the course is failed.
func failPenalty(id, course string, resets ...string) rules.Penalty {
	return rules.Penalty{ID: id, EventType: passingType, Resets: resets, Rules: []rules.DataRule{
		{Path: "course.course_key", Operator: rules.OpEq, Value: course},
		{Path: "is_passing", Operator: rules.OpEq, Value: "no"},
	}}
}

func mkTemplate(name string, rs rules.Set) rules.Template {
	return rules.Template{
		UUID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("tpl:"+name)), Name: name,
		Provider: "credly", AccountID: "org", ExternalID: name, State: rules.StateActive, Set: rs,
	}
}

// rulesHarness is a memstore with templates and an engine loaded from it.
type rulesHarness struct {
	t   testing.TB
	st  store.Store
	eng *rules.Engine
}

func newRulesHarness(t testing.TB, ts ...rules.Template) *rulesHarness {
	t.Helper()
	return newRulesHarnessOn(t, memstore.New(), ts...)
}

// newRulesHarnessOn uses st (closed when the test ends).
func newRulesHarnessOn(t testing.TB, st store.Store, ts ...rules.Template) *rulesHarness {
	t.Helper()
	h := &rulesHarness{t: t, st: st}
	t.Cleanup(func() { h.st.Close() })
	h.put(ts...)
	return h
}

// put stores templates and reloads the engine.
func (h *rulesHarness) put(ts ...rules.Template) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := rules.PutTemplates(ctx, h.st.Config(), ts); err != nil {
		h.t.Fatalf("PutTemplates: %v", err)
	}
	eng, err := rules.LoadEngine(ctx, h.st.Config())
	if err != nil {
		h.t.Fatalf("LoadEngine: %v", err)
	}
	h.eng = eng
}

// apply applies ev in its own transaction.
func (h *rulesHarness) apply(ev rules.Event) rules.Outcome {
	h.t.Helper()
	var out rules.Outcome
	err := h.st.InTx(context.Background(), func(ctx context.Context, tx store.Repos) error {
		var err error
		out, err = h.eng.Apply(ctx, tx, ev)
		return err
	})
	if err != nil {
		h.t.Fatalf("Apply(%s): %v", ev.ID, err)
	}
	return out
}

func (h *rulesHarness) award(learner int64, tpl rules.Template) (credential.Award, bool) {
	h.t.Helper()
	a, err := h.st.Awards().Get(context.Background(), learner, credential.Badge(tpl.UUID.String()))
	if errors.Is(err, store.ErrNotFound) {
		return a, false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return a, true
}

func (h *rulesHarness) fulfillments(learner int64, tpl rules.Template) []store.Fulfillment {
	h.t.Helper()
	p, err := h.st.Progress().Get(context.Background(), learner, tpl.UUID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	fs, err := h.st.Progress().Fulfillments(context.Background(), p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return fs
}

func (h *rulesHarness) hasProgress(learner int64, tpl rules.Template) bool {
	_, err := h.st.Progress().Get(context.Background(), learner, tpl.UUID)
	return err == nil
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
