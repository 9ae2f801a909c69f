package rules_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/txcache"
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

// applyOnce applies ev unless the consumer group already did, as the
// pipeline does (processed mark and effects in one transaction).
func (h *rulesHarness) applyOnce(ev rules.Event) rules.Outcome {
	h.t.Helper()
	var out rules.Outcome
	err := h.st.InTx(context.Background(), func(ctx context.Context, tx store.Repos) error {
		first, err := tx.Events().MarkProcessed(ctx, "rules-test", ev.ID, ev.Time)
		if err != nil || !first {
			return err
		}
		out, err = h.eng.Apply(ctx, tx, ev)
		return err
	})
	if err != nil {
		h.t.Fatalf("Apply(%s): %v", ev.ID, err)
	}
	return out
}

// applyBatch applies evs in one transaction through a txcache, as the
// pipeline's HandleBatch does: each event not yet processed is applied,
// then applied again without deduplication; check gets both outcomes.
func (h *rulesHarness) applyBatch(evs []rules.Event, check func(ev rules.Event, out, again rules.Outcome)) {
	h.t.Helper()
	type res struct{ out, again rules.Outcome }
	var got []res
	err := h.st.InTx(context.Background(), func(ctx context.Context, raw store.Repos) error {
		got = got[:0]
		tx := txcache.NewWriteBehind(ctx, raw, nil)
		for _, ev := range evs {
			var r res
			first, err := tx.Events().MarkProcessed(ctx, "rules-test", ev.ID, ev.Time)
			if err != nil {
				return err
			}
			if first {
				if r.out, err = h.eng.Apply(ctx, tx, ev); err != nil {
					return err
				}
				if r.again, err = h.eng.Apply(ctx, tx, ev); err != nil {
					return err
				}
			}
			got = append(got, r)
		}
		return tx.Flush(ctx)
	})
	if err != nil {
		h.t.Fatalf("batch of %d: %v", len(evs), err)
	}
	for i, r := range got {
		check(evs[i], r.out, r.again)
	}
}
