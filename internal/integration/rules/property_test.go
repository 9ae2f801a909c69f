package rules_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

// propertyTemplates exercise every feature: groups, penalties, repeatable
// badges, counts, a window, rule-less requirements and dependencies.
func propertyTemplates() []rules.Template {
	twoGroups := mkTemplate("P two groups", rules.Set{
		Requirements: []rules.Requirement{passReq("a1", "A", "c1"), passReq("a2", "A", "c2"), passReq("b", "B", "c3")},
		Penalties:    []rules.Penalty{failPenalty("f1", "c1", "a1"), failPenalty("f3", "c3", "b")},
	})
	repeat := mkTemplate("P repeatable", rules.Set{
		Requirements: []rules.Requirement{passReq("r", "A", "c2"), passReq("r4", "B", "c4")},
		Penalties:    []rules.Penalty{failPenalty("f4", "c4", "r4")},
	})
	repeat.Repeatable = true
	count := mkTemplate("P count", rules.Set{Requirements: []rules.Requirement{{
		ID: "n", EventType: passingType, Window: rules.Duration(40 * time.Minute),
		Rules: []rules.DataRule{{Path: "is_passing", Operator: rules.OpEq, Value: "yes"}},
		Count: &rules.Count{Path: "course.course_key", Distinct: 3},
	}}})
	anyCert := mkTemplate("P any certificate", rules.Set{
		Requirements: []rules.Requirement{{ID: "cert", Group: "A", EventType: eventbus.TypeCertificateCreated}, passReq("c4", "B", "c4")},
		Window:       rules.Duration(30 * time.Minute),
	})
	both := mkTemplate("P both", rules.Set{Requires: []uuid.UUID{twoGroups.UUID, count.UUID}})
	return []rules.Template{twoGroups, repeat, count, anyCert, both}
}

// randomStreams returns, per learner, a random event sequence in time order.
func randomStreams(rng *rand.Rand, learners, perLearner int) [][]rules.Event {
	courses := []string{"c1", "c2", "c3", "c4", "c5"}
	out := make([][]rules.Event, learners)
	for l := range out {
		id := int64(l + 1)
		tm := t0
		for i := range perLearner {
			tm = tm.Add(time.Duration(1+rng.IntN(10)) * time.Minute)
			c := courses[rng.IntN(len(courses))]
			evID := fmt.Sprintf("l%d-e%d", id, i)
			if rng.IntN(6) == 0 {
				out[l] = append(out[l], certEvent(evID, id, tm, c, "verified", "0.8"))
				continue
			}
			out[l] = append(out[l], passEvent(evID, id, tm, c, rng.IntN(3) != 0))
		}
	}
	return out
}

// finalAwards renders every award of every learner.
func finalAwards(t *testing.T, h *rulesHarness, learners int) string {
	t.Helper()
	var b strings.Builder
	for l := 1; l <= learners; l++ {
		as, err := h.st.Awards().List(context.Background(), store.AwardFilter{LearnerID: int64(l), Kind: credential.KindBadge})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(as, func(a, c credential.Award) int {
			if n := strings.Compare(a.Achievement.ID, c.Achievement.ID); n != 0 {
				return n
			}
			return a.Gen() - c.Gen()
		})
		for _, a := range as {
			fmt.Fprintf(&b, "learner %d %s gen %d: %s times=%d awarded_by=%s revoked_by=%s (%s)\n",
				l, a.Achievement.ID, a.Gen(), a.Status, a.Times, a.Awarded.EventID, a.Revoked.EventID, a.RevokedBy)
		}
	}
	return b.String()
}

// interleave merges the streams in a random order that keeps each
// learner's own order (the bus orders per key, not across keys).
func interleave(rng *rand.Rand, streams [][]rules.Event) []rules.Event {
	pos := make([]int, len(streams))
	var out []rules.Event
	for {
		var open []int
		for l, s := range streams {
			if pos[l] < len(s) {
				open = append(open, l)
			}
		}
		if len(open) == 0 {
			return out
		}
		l := open[rng.IntN(len(open))]
		out = append(out, streams[l][pos[l]])
		pos[l]++
	}
}

// TestPropertySameAwardsWhateverTheDelivery applies random event streams
// for many learners once; twice (every event redelivered, then the whole
// stream replayed, deduplicated as the pipeline does); interleaved
// differently across learners with every event applied twice in a row
// without deduplication; and concurrently per learner. The final awards
// must be the same every time.
func TestPropertySameAwardsWhateverTheDelivery(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	if testing.Short() {
		seeds = seeds[:2]
	}
	checkDeliveryProperty(t, seeds, 12, 30, func(t *testing.T) store.Store { return memstore.New() })
}

// TestPropertyOnSQLite runs the same property on sqlitestore, whose times,
// JSON and uniqueness rules come from a real database.
func TestPropertyOnSQLite(t *testing.T) {
	n := 0
	checkDeliveryProperty(t, []uint64{7}, 6, 20, func(t *testing.T) store.Store {
		n++
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), fmt.Sprintf("rules-%d.db", n)))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestPropertyOnMySQL runs the property on mysqlstore (MariaDB); it skips
// unless CREDSHARE_MYSQL_DSN is set (make test does this).
func TestPropertyOnMySQL(t *testing.T) {
	mysqltest.BaseDSN(t)
	checkDeliveryProperty(t, []uint64{7}, 6, 20, func(t *testing.T) store.Store { return mysqltest.Open(t) })
}

func checkDeliveryProperty(t *testing.T, seeds []uint64, learners, perLearner int, open func(*testing.T) store.Store) {
	tpls := propertyTemplates()
	awarded, revoked, repeated := 0, 0, 0
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 99))
		streams := randomStreams(rng, learners, perLearner)

		once := newRulesHarnessOn(t, open(t), tpls...)
		outcomes := map[string]string{}
		for _, s := range streams {
			for _, ev := range s {
				outcomes[ev.ID] = summary(once.applyOnce(ev))
			}
		}
		want := finalAwards(t, once, learners)
		awarded += strings.Count(want, ": awarded")
		revoked += strings.Count(want, ": revoked")
		repeated += strings.Count(want, "times=2") + strings.Count(want, "times=3")

		twice := newRulesHarnessOn(t, open(t), tpls...)
		for _, s := range streams {
			for _, ev := range s {
				twice.applyOnce(ev)
				if out := twice.applyOnce(ev); !out.Empty() {
					t.Fatalf("seed %d: redelivered %s changed something: %v", seed, ev.ID, out)
				}
			}
		}
		for _, s := range streams {
			for _, ev := range s {
				if out := twice.applyOnce(ev); !out.Empty() {
					t.Fatalf("seed %d: replayed %s changed something: %v", seed, ev.ID, out)
				}
			}
		}
		if got := finalAwards(t, twice, learners); got != want {
			t.Fatalf("seed %d: applied twice:\n%s\nwant:\n%s", seed, got, want)
		}

		mixed := newRulesHarnessOn(t, open(t), tpls...)
		for _, ev := range interleave(rng, streams) {
			mixed.apply(ev)
			if out := mixed.apply(ev); !out.Empty() {
				t.Fatalf("seed %d: %s applied again without deduplication changed something: %v", seed, ev.ID, out)
			}
		}
		if got := finalAwards(t, mixed, learners); got != want {
			t.Fatalf("seed %d: interleaved:\n%s\nwant:\n%s", seed, got, want)
		}

		// In batches, as the pipeline's HandleBatch applies them: many
		// events (of many learners) in one transaction, through a
		// txcache; each applied twice in a row (the second time must
		// change nothing) and each with the outcome it had on its own.
		batched := newRulesHarnessOn(t, open(t), tpls...)
		mixedOrder := interleave(rng, streams)
		for len(mixedOrder) > 0 {
			n := min(1+rng.IntN(40), len(mixedOrder))
			batched.applyBatch(mixedOrder[:n], func(ev rules.Event, out, again rules.Outcome) {
				if got := summary(out); got != outcomes[ev.ID] {
					t.Fatalf("seed %d: %s in a batch: %s\nwant %s", seed, ev.ID, got, outcomes[ev.ID])
				}
				if !again.Empty() {
					t.Fatalf("seed %d: %s applied again in its batch changed something: %v", seed, ev.ID, again)
				}
			})
			mixedOrder = mixedOrder[n:]
		}
		if got := finalAwards(t, batched, learners); got != want {
			t.Fatalf("seed %d: batched:\n%s\nwant:\n%s", seed, got, want)
		}

		conc := newRulesHarnessOn(t, open(t), tpls...)
		var wg sync.WaitGroup
		for _, s := range streams {
			wg.Go(func() {
				for _, ev := range s {
					conc.applyOnce(ev)
				}
			})
		}
		wg.Wait()
		if got := finalAwards(t, conc, learners); got != want {
			t.Fatalf("seed %d: concurrent:\n%s\nwant:\n%s", seed, got, want)
		}
	}
	if awarded == 0 || revoked == 0 || repeated == 0 {
		t.Fatalf("the random streams gave %d awarded, %d revoked, %d repeated badges; the property needs all three", awarded, revoked, repeated)
	}
	t.Logf("%d awarded, %d revoked, %d repeated badges across %d seeds", awarded, revoked, repeated, len(seeds))
}

// summary describes an outcome without what differs from run to run (award
// UUIDs, the store's times).
func summary(o rules.Outcome) string {
	var b strings.Builder
	for _, a := range o.Awards {
		fmt.Fprintf(&b, "award %s %s revoked=%v created=%v times=%d gen=%d by=%s cause=%s/%s; ", a.Template, a.Award.Status,
			a.Revoked, a.Created, a.Award.Times, a.Award.Generation, a.Award.RevokedBy, a.Award.Awarded.EventID, a.Award.Revoked.EventID)
	}
	for _, f := range o.Fulfilled {
		fmt.Fprintf(&b, "fulfilled %s %s %s %s; ", f.Template, f.Fulfillment.RequirementID, f.Fulfillment.EventID, f.Fulfillment.Matched)
	}
	for _, f := range o.Unfulfilled {
		fmt.Fprintf(&b, "unfulfilled %s %s %s; ", f.Template, f.Fulfillment.RequirementID, f.Fulfillment.EventID)
	}
	for _, p := range o.Progress {
		fmt.Fprintf(&b, "progress %s v%d %d/%d; ", p.Template, p.RulesVersion, p.Fulfilled, p.Groups)
	}
	return b.String()
}
