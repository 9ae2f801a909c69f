package reliability_test

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestReplayTwice: the LMS writes N events; every one is delivered a
// second time (a producer retrying everything); then the program is
// restarted with CREDSHARE_REPLAY_FROM before the first event, reading
// the topics from the start again. The final state after each round is
// the same, and it is the workload's: one award, one Credly badge, one
// badge.awarded event per earned badge.
func TestReplayTwice(t *testing.T) {
	w := newWorld(t, 1, size(1500, 100000))
	before := time.Now().UTC().Add(-time.Hour)
	w.seed()
	p := w.start("openedx-1", nil)
	w.waitFor("the first delivery applied", func() (bool, string) { return w.settled(0) }, p)
	first, dups, losses, problems := w.verify(nil)
	w.mustBeExact(dups, losses, problems)

	// Every event again, as new records with the same ids.
	w.seed()
	w.waitFor("the second delivery consumed", func() (bool, string) { return w.settled(0) }, p)
	second, dups2, losses2, problems2 := w.verify(nil)
	w.mustBeExact(dups2, losses2, problems2)
	sameSnapshot(t, "after the second delivery", first, second)
	w.stop(p)

	// An operator replays the topics from an hour ago.
	addr := freeAddr(t)
	p = w.start("openedx-replay", map[string]string{"CREDSHARE_REPLAY_FROM": before.Format(time.RFC3339), "CREDSHARE_HTTP_ADDR": addr})
	w.restarts++
	w.waitFor("the replay consumed", func() (bool, string) {
		n, err := w.records()
		if err != nil {
			return false, err.Error()
		}
		d, err := delivered(addr)
		if err != nil {
			return false, "metrics: " + err.Error()
		}
		if d < float64(n) {
			return false, fmt.Sprintf("the replay delivered %.0f of %d records", d, n)
		}
		return w.settled(0)
	}, p)
	third, dups3, losses3, problems3 := w.verify(nil)
	w.mustBeExact(dups3, losses3, problems3)
	sameSnapshot(t, "after the replay", first, third)
	w.stop(p)
	w.report(figures{Deliveries: 2 * len(w.wl.events), Duplicates: dups + dups2 + dups3, Losses: losses + losses2 + losses3})
}

func sameSnapshot(t *testing.T, when string, a, b snapshot) {
	t.Helper()
	for _, x := range []struct {
		what string
		a, b []string
	}{{"awards", a.awards, b.awards}, {"Credly badges", a.credly, b.credly}, {"published badge.awarded events", a.published, b.published}} {
		if !slices.Equal(x.a, x.b) {
			t.Errorf("%s: the %s differ from the first round's (%d then %d entries)", when, x.what, len(x.a), len(x.b))
		}
	}
}
