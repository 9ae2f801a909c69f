package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/membus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

const (
	pyCourse   = "course-v1:OpenedX+Py101+2026"
	dataCourse = "course-v1:OpenedX+Data201+2026"
	pioneer    = "8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f"
	foundation = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
)

func passing(id string, u eventbus.UserData, course string, pass bool, at time.Time) eventbus.Event {
	e := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: pass, User: u,
		Course: eventbus.CourseData{CourseKey: course, DisplayName: course}})
	e.ID, e.Time = id, at
	return e
}

// scenario is a stream of realistic events: learner 1 passes both courses
// (both badges), learner 2 passes Python then fails a regrade (badge
// revoked), learner 3 fails then passes, learner 4 gets a certificate that
// is later revoked.
func scenario() []eventbus.Event {
	u := func(id int64) eventbus.UserData { return user(id, fmt.Sprintf("l%d@example.org", id)) }
	var evs []eventbus.Event
	at := t0
	next := func() time.Time { at = at.Add(time.Minute); return at }
	evs = append(evs,
		passing("p1", u(1), pyCourse, true, next()),
		passing("p2", u(1), dataCourse, true, next()),
		passing("p3", u(2), pyCourse, true, next()),
		passing("p4", u(2), pyCourse, false, next()),
		passing("p5", u(3), pyCourse, false, next()),
		passing("p6", u(3), pyCourse, true, next()),
		certEvent(eventbus.TypeCertificateCreated, "c1", u(4), pyCourse, next()),
		certEvent(eventbus.TypeCertificateRevoked, "c2", u(4), pyCourse, next()),
	)
	return evs
}

func loadRules(t testing.TB, st store.Store) *pipeline.Rules {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(filepath.Join("testdata", "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, err := rules.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.PutTemplates(ctx, st.Config(), ts); err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.LoadRules(ctx, st.Config())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type awardKey struct {
	learner int64
	ach     string
}

func finalAwards(t *testing.T, st store.Store) map[awardKey]credential.Status {
	t.Helper()
	as, err := st.Awards().List(context.Background(), store.AwardFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[awardKey]credential.Status{}
	for _, a := range as {
		out[awardKey{a.LearnerID, a.Achievement.String()}] = a.Status
	}
	return out
}

func checkScenario(t *testing.T, st store.Store, prov *fakeProvider, pub *recordingPublisher) {
	t.Helper()
	got := finalAwards(t, st)
	want := map[awardKey]credential.Status{
		{1, "badge:" + pioneer}:               credential.StatusAwarded,
		{1, "badge:" + foundation}:            credential.StatusAwarded,
		{2, "badge:" + pioneer}:               credential.StatusRevoked,
		{3, "badge:" + pioneer}:               credential.StatusAwarded,
		{4, "course_certificate:" + pyCourse}: credential.StatusRevoked,
	}
	if len(got) != len(want) {
		t.Fatalf("awards = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("award %v = %q, want %q", k, got[k], v)
		}
	}
	// Four badges issued, one revoked: four distinct idempotency keys at the
	// provider, and five badge events published (4 awarded + 1 revoked).
	prov.mu.Lock()
	issued := len(prov.issued)
	prov.mu.Unlock()
	if issued != 4 {
		t.Errorf("provider issued %d badges, want 4", issued)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, e := range pub.sent {
		counts[e.Type]++
		if ids[e.ID] {
			t.Errorf("event %s published twice", e.ID)
		}
		ids[e.ID] = true
	}
	if counts[eventbus.TypeBadgeAwarded] != 4 || counts[eventbus.TypeBadgeRevoked] != 1 || len(pub.sent) != 5 {
		t.Errorf("published %v", counts)
	}
}

func TestEndToEndMembusSQLiteReplayTwice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	prov := &fakeProvider{}
	pub := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st),
		Providers: map[string]badge.Provider{"fake": prov}, Publisher: pub})

	bus := membus.New(membus.Config{Partitions: 4})
	defer bus.Close()
	// The whole stream, twice (a replay), keyed by learner so each learner's
	// events keep their order.
	for range 2 {
		for _, e := range scenario() {
			u, _ := e.User()
			e.Key = fmt.Sprint(u.ID)
			if err := bus.Publish(ctx, "lms", e); err != nil {
				t.Fatal(err)
			}
		}
	}
	src, err := bus.NewSource(membus.SourceConfig{Group: "credshare", Topics: []string{"lms"}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	handled := 0
	h := eventbus.Chain(p.Handler(), eventbus.DeadLetter(bus))
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- src.Receive(rctx, func(ctx context.Context, e eventbus.Event) error {
			err := h(ctx, e)
			mu.Lock()
			handled++
			n := handled
			mu.Unlock()
			if n == 16 {
				stop()
			}
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("timed out")
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if dl := bus.DeadLetters("lms"); len(dl) != 0 {
		t.Fatalf("dead letters: %+v", dl)
	}
	checkScenario(t, st, prov, pub)
	// Replaying once more directly changes nothing either.
	for _, e := range scenario() {
		if err := p.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	checkScenario(t, st, prov, pub)
}
