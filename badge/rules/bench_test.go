package rules_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

// benchTemplates returns n templates of three requirements each: pass
// course A and course B (groups A, B) and a verified certificate of course
// C (group C), over a catalogue of n/2 courses, so every course key is
// named by several requirements, as in a real catalogue.
func benchTemplates(n int) ([]rules.Template, []string) {
	courses := make([]string, max(n/2, 1))
	for i := range courses {
		courses[i] = fmt.Sprintf("course-v1:Org+C%04d+2026", i)
	}
	ts := make([]rules.Template, n)
	for i := range ts {
		c := func(k int) string { return courses[(i*7+k*13)%len(courses)] }
		ts[i] = rules.Template{
			UUID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench-%d", i)), Name: fmt.Sprintf("Badge %d", i),
			Provider: "obv3", ExternalID: fmt.Sprint(i), State: rules.StateActive, RulesVersion: 1,
			Set: rules.Set{Requirements: []rules.Requirement{
				passReq("a", "A", c(0)), passReq("b", "B", c(1)),
				{ID: "c", Group: "C", EventType: eventbus.TypeCertificateCreated, Rules: []rules.DataRule{
					{Path: "course.course_key", Operator: rules.OpEq, Value: c(2)},
					{Path: "mode", Operator: rules.OpIn, Value: []any{"verified", "professional"}},
				}},
			}},
		}
	}
	return ts, courses
}

func benchEvents(courses []string, n int) []rules.Event {
	evs := make([]rules.Event, n)
	for i := range evs {
		c := courses[(i*31)%len(courses)]
		if i%10 == 9 {
			c = "course-v1:Other+X+2026" // named by no template
		}
		if i%4 == 3 {
			evs[i] = certEvent(fmt.Sprint("e", i), int64(1+i%1000), at(i), c, "verified", "0.9")
			continue
		}
		evs[i] = passEvent(fmt.Sprint("e", i), int64(1+i%1000), at(i), c, i%5 != 0)
	}
	return evs
}

// BenchmarkMatch measures rule evaluation for 1,000 templates × 3
// requirements, indexed by event type and course key. Events/s = 1e9 / ns/op.
func BenchmarkMatch(b *testing.B) {
	ts, courses := benchTemplates(1000)
	eng, err := rules.NewEngine(ts)
	if err != nil {
		b.Fatal(err)
	}
	evs := benchEvents(courses, 4096)
	dst := make([]rules.Match, 0, 64)
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = eng.Match(evs[i%len(evs)], dst[:0])
		matched += len(dst)
	}
	b.ReportMetric(float64(matched)/float64(b.N), "matches/event")
}

// BenchmarkMatchUnindexed is the worst case: 1,000 templates × 3
// requirements with no equality rule to index by (a regular expression on
// the course key), so every requirement of the event's type is evaluated.
func BenchmarkMatchUnindexed(b *testing.B) {
	ts, courses := benchTemplates(1000)
	for i := range ts {
		for j := range ts[i].Requirements {
			r := &ts[i].Requirements[j]
			r.Rules[0] = rules.DataRule{Path: "course.course_key", Operator: rules.OpMatches, Value: "^" + fmt.Sprint(r.Rules[0].Value) + "$"}
		}
	}
	eng, err := rules.NewEngine(ts)
	if err != nil {
		b.Fatal(err)
	}
	evs := benchEvents(courses, 4096)
	dst := make([]rules.Match, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = eng.Match(evs[i%len(evs)], dst[:0])
	}
}

// BenchmarkApplyMemstore measures Apply with its store work (progress,
// fulfilments, awards) on memstore, one transaction per event.
func BenchmarkApplyMemstore(b *testing.B) {
	ts, courses := benchTemplates(1000)
	h := newRulesHarness(b, ts...)
	evs := benchEvents(courses, 1<<16)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := evs[i%len(evs)]
		ev.ID = fmt.Sprint("b", i)
		if err := h.st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			_, err := h.eng.Apply(ctx, tx, ev)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
