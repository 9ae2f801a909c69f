package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) progress(t *testing.T) {
	t.Run("GetOrCreate", s.progressGetOrCreate)
	t.Run("Fulfillments", s.progressFulfillments)
	t.Run("Observations", s.progressObservations)
}

func (s suite) progressGetOrCreate(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	pr := st.Progress()
	tpl := uuid.New()

	_, err := pr.Get(ctx, 5, tpl)
	wantErr(t, "Get of missing progress", err, store.ErrNotFound)

	p, created, err := pr.GetOrCreate(ctx, 5, tpl, 3)
	if err != nil || !created || p.ID == 0 || p.LearnerID != 5 || p.TemplateUUID != tpl || p.RulesVersion != 3 {
		t.Fatalf("GetOrCreate(new) = %+v, %v, %v", p, created, err)
	}
	recent(t, "CreatedAt", p.CreatedAt)
	recent(t, "UpdatedAt", p.UpdatedAt)
	again, created, err := pr.GetOrCreate(ctx, 5, tpl, 4)
	if err != nil || created || again.ID != p.ID || again.RulesVersion != 3 {
		t.Fatalf("GetOrCreate(existing) = %+v, %v, %v; want id %d, version 3 kept", again, created, err, p.ID)
	}
	got, err := pr.Get(ctx, 5, tpl)
	if err != nil || got.ID != p.ID || got.RulesVersion != 3 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	other, created, err := pr.GetOrCreate(ctx, 6, tpl, 3)
	if err != nil || !created || other.ID == p.ID {
		t.Fatalf("GetOrCreate(other learner) = %+v, %v, %v", other, created, err)
	}

	must(t, "SetRulesVersion", pr.SetRulesVersion(ctx, p.ID, 4))
	if got, _ := pr.Get(ctx, 5, tpl); got.RulesVersion != 4 {
		t.Fatalf("RulesVersion after SetRulesVersion = %d, want 4", got.RulesVersion)
	}
	if got, _ := pr.Get(ctx, 6, tpl); got.RulesVersion != 3 {
		t.Fatalf("SetRulesVersion changed another progress: %d", got.RulesVersion)
	}
	wantErr(t, "SetRulesVersion(missing)", pr.SetRulesVersion(ctx, p.ID+other.ID+1000, 1), store.ErrNotFound)

	// Concurrent GetOrCreate for one key leaves one row.
	tpl2 := uuid.New()
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	createdN := make([]bool, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Go(func() {
			p, c, err := pr.GetOrCreate(ctx, 77, tpl2, 1)
			ids[i], createdN[i], errs[i] = p.ID, c, err
		})
	}
	wg.Wait()
	n := 0
	for i := range 8 {
		must(t, "concurrent GetOrCreate", errs[i])
		if ids[i] != ids[0] {
			t.Fatalf("concurrent GetOrCreate gave ids %v", ids)
		}
		if createdN[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d concurrent GetOrCreate calls reported created, want 1", n)
	}
}

func (s suite) progressFulfillments(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	pr := st.Progress()
	p, _, err := pr.GetOrCreate(ctx, 5, uuid.New(), 1)
	must(t, "GetOrCreate", err)
	q, _, err := pr.GetOrCreate(ctx, 6, uuid.New(), 1)
	must(t, "GetOrCreate", err)
	t0 := base()

	if fs, err := pr.Fulfillments(ctx, p.ID); err != nil || len(fs) != 0 {
		t.Fatalf("Fulfillments(new progress) = %v, %v", fs, err)
	}
	for i, req := range []string{"req-b", "req-a", "req-c"} {
		f := store.Fulfillment{RequirementID: req, Group: "g1", EventID: "ev-" + req, EventTime: t0.Add(time.Duration(i) * time.Second),
			Matched: []byte(`{"rule":"grade >= 0.8","value":0.93}`)}
		added, err := pr.Fulfill(ctx, p.ID, f)
		if err != nil || !added {
			t.Fatalf("Fulfill(%s) = %v, %v", req, added, err)
		}
	}
	added, err := pr.Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "req-a", Group: "g2", EventID: "later", EventTime: t0.Add(time.Hour)})
	if err != nil || added {
		t.Fatalf("Fulfill(again) = %v, %v; want false", added, err)
	}
	if added, err := pr.Fulfill(ctx, q.ID, store.Fulfillment{RequirementID: "req-a", EventID: "q", EventTime: t0}); err != nil || !added {
		t.Fatalf("Fulfill(other progress) = %v, %v", added, err)
	}
	_, err = pr.Fulfill(ctx, p.ID+q.ID+1000, store.Fulfillment{RequirementID: "req-a", EventID: "x", EventTime: t0})
	wantErr(t, "Fulfill(missing progress)", err, store.ErrNotFound)

	fs, err := pr.Fulfillments(ctx, p.ID)
	must(t, "Fulfillments", err)
	var reqs []string
	for _, f := range fs {
		reqs = append(reqs, f.RequirementID)
	}
	if !slices.Equal(reqs, []string{"req-a", "req-b", "req-c"}) {
		t.Fatalf("Fulfillments order = %v, want by requirement id", reqs)
	}
	a := fs[0]
	if a.Group != "g1" || a.EventID != "ev-req-a" {
		t.Errorf("first Fulfill was not kept: %+v", a)
	}
	checkTime(t, "EventTime", a.EventTime, t0.Add(time.Second))
	checkJSON(t, "Matched", a.Matched, []byte(`{"rule":"grade >= 0.8","value":0.93}`))
	recent(t, "Fulfillment.CreatedAt", a.CreatedAt)

	// Unfulfill removes only the named requirements of that progress.
	removed, err := pr.Unfulfill(ctx, p.ID, []string{"req-a", "req-c", "req-zzz"})
	if err != nil || removed != 2 {
		t.Fatalf("Unfulfill = %d, %v; want 2", removed, err)
	}
	fs, _ = pr.Fulfillments(ctx, p.ID)
	if len(fs) != 1 || fs[0].RequirementID != "req-b" {
		t.Fatalf("after Unfulfill: %+v", fs)
	}
	if fs, _ := pr.Fulfillments(ctx, q.ID); len(fs) != 1 {
		t.Fatalf("Unfulfill touched another progress: %+v", fs)
	}
	if removed, err := pr.Unfulfill(ctx, p.ID, []string{"req-a"}); err != nil || removed != 0 {
		t.Fatalf("Unfulfill(again) = %d, %v; want 0", removed, err)
	}
	// A removed requirement can be fulfilled again.
	if added, err := pr.Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "req-a", EventID: "again", EventTime: t0}); err != nil || !added {
		t.Fatalf("Fulfill after Unfulfill = %v, %v", added, err)
	}

	_, err = pr.Fulfill(ctx, p.ID, store.Fulfillment{EventID: "x", EventTime: t0})
	wantInvalid(t, "Fulfill(no requirement)", err, "requirement")
}

func (s suite) progressObservations(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	pr := st.Progress()
	p, _, err := pr.GetOrCreate(ctx, 5, uuid.New(), 1)
	must(t, "GetOrCreate", err)
	t0 := base()

	// Observed out of event-time order; listed oldest event first.
	for i, off := range []int{3, 1, 2} {
		o := store.Observation{RequirementID: "five-courses", Value: fmt.Sprintf("course-v1:O+C%d+R", off),
			EventID: fmt.Sprint("e", i), EventTime: t0.Add(time.Duration(off) * time.Minute)}
		if added, err := pr.Observe(ctx, p.ID, o); err != nil || !added {
			t.Fatalf("Observe(%s) = %v, %v", o.Value, added, err)
		}
	}
	added, err := pr.Observe(ctx, p.ID, store.Observation{RequirementID: "five-courses", Value: "course-v1:O+C1+R", EventID: "dup", EventTime: t0})
	if err != nil || added {
		t.Fatalf("Observe(seen value) = %v, %v; want false", added, err)
	}
	if added, err := pr.Observe(ctx, p.ID, store.Observation{RequirementID: "other", Value: "course-v1:O+C1+R", EventID: "o", EventTime: t0}); err != nil || !added {
		t.Fatalf("Observe(same value, other requirement) = %v, %v", added, err)
	}
	_, err = pr.Observe(ctx, p.ID+1000, store.Observation{RequirementID: "r", Value: "v", EventID: "e", EventTime: t0})
	wantErr(t, "Observe(missing progress)", err, store.ErrNotFound)

	obs, err := pr.Observations(ctx, p.ID, "five-courses")
	must(t, "Observations", err)
	var vals []string
	for _, o := range obs {
		vals = append(vals, o.Value)
	}
	if !slices.Equal(vals, []string{"course-v1:O+C1+R", "course-v1:O+C2+R", "course-v1:O+C3+R"}) {
		t.Fatalf("Observations = %v, want oldest event time first", vals)
	}
	if obs[0].EventID != "e1" || obs[0].RequirementID != "five-courses" {
		t.Errorf("Observation = %+v", obs[0])
	}
	checkTime(t, "Observation.EventTime", obs[0].EventTime, t0.Add(time.Minute))
	if obs, _ := pr.Observations(ctx, p.ID, "none"); len(obs) != 0 {
		t.Fatalf("Observations(unknown requirement) = %v", obs)
	}

	// Unfulfill removes a requirement's observations too.
	_, err = pr.Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "five-courses", EventID: "e9", EventTime: t0})
	must(t, "Fulfill", err)
	if _, err := pr.Unfulfill(ctx, p.ID, []string{"five-courses"}); err != nil {
		t.Fatal(err)
	}
	if obs, _ := pr.Observations(ctx, p.ID, "five-courses"); len(obs) != 0 {
		t.Fatalf("observations left after Unfulfill: %v", obs)
	}
	if obs, _ := pr.Observations(ctx, p.ID, "other"); len(obs) != 1 {
		t.Fatalf("Unfulfill removed another requirement's observations: %v", obs)
	}

	_, err = pr.Observe(ctx, p.ID, store.Observation{Value: "v", EventID: "e", EventTime: t0})
	wantInvalid(t, "Observe(no requirement)", err, "requirement")
}
