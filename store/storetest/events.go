package storetest

import (
	"testing"
	"time"
)

func (s suite) events(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	ev := st.Events()
	t0 := base()

	if done, err := ev.IsProcessed(ctx, "g1", "e1"); err != nil || done {
		t.Fatalf("IsProcessed(new) = %v, %v", done, err)
	}
	if first, err := ev.MarkProcessed(ctx, "g1", "e1", t0.Add(-48*time.Hour)); err != nil || !first {
		t.Fatalf("MarkProcessed(new) = %v, %v", first, err)
	}
	if first, err := ev.MarkProcessed(ctx, "g1", "e1", t0); err != nil || first {
		t.Fatalf("MarkProcessed(again) = %v, %v; want false", first, err)
	}
	if done, err := ev.IsProcessed(ctx, "g1", "e1"); err != nil || !done {
		t.Fatalf("IsProcessed(marked) = %v, %v", done, err)
	}
	// Groups are independent.
	if done, _ := ev.IsProcessed(ctx, "g2", "e1"); done {
		t.Fatal("a mark of g1 is seen by g2")
	}
	if first, err := ev.MarkProcessed(ctx, "g2", "e1", t0); err != nil || !first {
		t.Fatalf("MarkProcessed(other group) = %v, %v", first, err)
	}
	if first, err := ev.MarkProcessed(ctx, "g1", "e2", t0.Add(-time.Minute)); err != nil || !first {
		t.Fatalf("MarkProcessed(e2) = %v, %v", first, err)
	}

	_, err := ev.MarkProcessed(ctx, "", "e3", t0)
	wantInvalid(t, "MarkProcessed(no group)", err, "group")
	_, err = ev.MarkProcessed(ctx, "g1", "", t0)
	wantInvalid(t, "MarkProcessed(no id)", err, "id")

	// Prune deletes marks recorded before the cutoff: only the first one,
	// whose second MarkProcessed must not have moved its time.
	n, err := ev.Prune(ctx, t0.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if done, _ := ev.IsProcessed(ctx, "g1", "e1"); done {
		t.Fatal("pruned mark still reported")
	}
	for _, k := range [][2]string{{"g2", "e1"}, {"g1", "e2"}} {
		if done, _ := ev.IsProcessed(ctx, k[0], k[1]); !done {
			t.Fatalf("Prune removed %v", k)
		}
	}
	if n, err := ev.Prune(ctx, t0.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("Prune(again) = %d, %v", n, err)
	}
}
