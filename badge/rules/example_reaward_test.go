package rules_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// Pass → fail → pass: a badge the rules revoked (a penalty) is awarded
// again when its requirements are met again, as a new credential — new
// award UUID, next generation, so a new provider badge and new status
// entries — while the revoked credential stays revoked. A badge a person
// revoked is not awarded again by the rules.
func Example_reawardAfterPenalty() {
	ctx := context.Background()
	templates, _ := rules.ParseFile([]byte(exampleRules))
	st := memstore.New()
	defer st.Close()
	stored, _ := rules.PutTemplates(ctx, st.Config(), templates)
	eng, _ := rules.LoadEngine(ctx, st.Config())
	ref := credential.Badge(stored[0].UUID.String())

	pass := func(id string, minute int, course string, passing bool) rules.Event {
		return rules.Event{
			ID: id, Type: eventbus.TypeCoursePassingStatusUpdated, LearnerID: 42,
			Time: time.Date(2026, 5, 1, 9, minute, 0, 0, time.UTC),
			Data: map[string]any{"is_passing": passing, "course": map[string]any{"course_key": course}},
		}
	}
	names := map[string]string{}
	name := func(a credential.Award) string {
		if names[a.UUID.String()] == "" {
			names[a.UUID.String()] = fmt.Sprintf("credential #%d", len(names)+1)
		}
		return names[a.UUID.String()]
	}
	apply := func(ev rules.Event) {
		_ = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			out, err := eng.Apply(ctx, tx, ev)
			if err != nil {
				return err
			}
			fmt.Printf("%s:", ev.ID)
			if len(out.Awards) == 0 {
				fmt.Print(" no award change")
			}
			for _, a := range out.Awards {
				if a.Revoked {
					fmt.Printf(" %s revoked (%s)", name(a.Award), a.Award.RevokedBy)
				} else {
					fmt.Printf(" %s awarded (generation %d)", name(a.Award), a.Award.Gen())
				}
			}
			fmt.Println()
			return nil
		})
	}
	apply(pass("pass-1", 1, "course-v1:X+PY1+2026", true))
	apply(pass("pass-2", 2, "course-v1:X+PY2+2026", true))
	apply(pass("fail-1", 3, "course-v1:X+PY1+2026", false)) // penalty
	apply(pass("pass-3", 4, "course-v1:X+PY1+2026", true))  // earned again
	apply(pass("pass-3", 4, "course-v1:X+PY1+2026", true))  // redelivered: nothing

	all, _ := st.Awards().List(ctx, store.AwardFilter{LearnerID: 42})
	slices.SortFunc(all, func(a, b credential.Award) int { return a.Gen() - b.Gen() })
	for _, a := range all {
		fmt.Printf("stored: %s %s\n", name(a), a.Status)
	}

	// A person revokes the current credential: the rules leave it revoked.
	_ = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, _ := tx.Awards().Get(ctx, 42, ref)
		cur.RevokeBy(credential.Cause{Reason: "academic misconduct", EventTime: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}, credential.RevokedByPerson)
		_, _, err := tx.Awards().Put(ctx, cur)
		return err
	})
	apply(pass("fail-2", 11, "course-v1:X+PY1+2026", false))
	apply(pass("pass-4", 12, "course-v1:X+PY1+2026", true))
	cur, _ := st.Awards().Get(ctx, 42, ref)
	fmt.Printf("current: %s %s (%s)\n", name(cur), cur.Status, cur.RevokedBy)
	// Output:
	// pass-1: no award change
	// pass-2: credential #1 awarded (generation 1)
	// fail-1: credential #1 revoked (rules)
	// pass-3: credential #2 awarded (generation 2)
	// pass-3: no award change
	// stored: credential #1 revoked
	// stored: credential #2 awarded
	// fail-2: no award change
	// pass-4: no award change
	// current: credential #2 revoked (person)
}
