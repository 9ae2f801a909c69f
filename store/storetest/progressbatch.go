package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

var errNoProgressBatch = errors.New("no ProgressBatcher")

// progressBatch checks store.ProgressBatcher, when the adapter's InTx
// Repos have it: ProgressBatch returns every row of the learners asked
// for; CreateProgressBatch stores rows GetOrCreate then returns, with the
// ids it reported and the CreatedAt given, and is all or nothing on an
// existing row, a repeat or an invalid row.
func (s suite) progressBatch(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	inTx := func(fn func(ctx context.Context, pb store.ProgressBatcher) error) error {
		return st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			pb, ok := tx.(store.ProgressBatcher)
			if !ok {
				return errNoProgressBatch
			}
			return fn(ctx, pb)
		})
	}
	if err := inTx(func(context.Context, store.ProgressBatcher) error { return nil }); errors.Is(err, errNoProgressBatch) {
		t.Skip("the adapter's InTx Repos do not implement store.ProgressBatcher")
	}
	tplA, tplB := uuid.New(), uuid.New()
	old, _, err := st.Progress().GetOrCreate(ctx, 801, tplA, 2)
	must(t, "GetOrCreate", err)
	at := base().Add(-time.Hour).Add(123456 * time.Microsecond)

	var ids []int64
	must(t, "CreateProgressBatch", inTx(func(ctx context.Context, pb store.ProgressBatcher) (err error) {
		got, err := pb.ProgressBatch(ctx, []int64{802, 801, 801})
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ID != old.ID || got[0].RulesVersion != 2 {
			return fmt.Errorf("ProgressBatch before = %+v, want only row %d", got, old.ID)
		}
		ids, err = pb.CreateProgressBatch(ctx, []store.BadgeProgress{
			{LearnerID: 801, TemplateUUID: tplB, RulesVersion: 1, CreatedAt: at},
			{LearnerID: 802, TemplateUUID: tplA, RulesVersion: 3, CreatedAt: at},
			{ID: 99999, LearnerID: 802, TemplateUUID: tplB, RulesVersion: 0, CreatedAt: at},
		})
		if err != nil {
			return err
		}
		// The transaction reads its own rows.
		got, err = pb.ProgressBatch(ctx, []int64{801, 802})
		if err != nil || len(got) != 4 {
			return fmt.Errorf("ProgressBatch after = %d rows %+v, %v; want 4", len(got), got, err)
		}
		return nil
	}))
	if len(ids) != 3 || slices.Contains(ids, old.ID) || ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("ids = %v, want three new distinct ids", ids)
	}
	for i, want := range []struct {
		learner int64
		tpl     uuid.UUID
		version int
	}{{801, tplB, 1}, {802, tplA, 3}, {802, tplB, 0}} {
		p, created, err := st.Progress().GetOrCreate(ctx, want.learner, want.tpl, 7)
		must(t, "GetOrCreate(batch row)", err)
		if created || p.ID != ids[i] || p.RulesVersion != want.version || !p.CreatedAt.Equal(at) || !p.UpdatedAt.Equal(at) {
			t.Errorf("row %d = %+v (created %v), want id %d, version %d, created and updated at %v", i, p, created, ids[i], want.version, at)
		}
	}

	// All or nothing.
	tplC := uuid.New()
	for name, c := range map[string]struct {
		ps   []store.BadgeProgress
		want error
	}{
		"exists":   {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 801, TemplateUUID: tplA, CreatedAt: at}}, store.ErrConflict},
		"repeat":   {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}}, store.ErrConflict},
		"learner":  {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 0, TemplateUUID: tplC, CreatedAt: at}}, store.ErrInvalid},
		"nil uuid": {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 804, CreatedAt: at}}, store.ErrInvalid},
		"version":  {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 804, TemplateUUID: tplC, RulesVersion: -1, CreatedAt: at}}, store.ErrInvalid},
		"no time":  {[]store.BadgeProgress{{LearnerID: 803, TemplateUUID: tplC, CreatedAt: at}, {LearnerID: 804, TemplateUUID: tplC}}, store.ErrInvalid},
	} {
		err := inTx(func(ctx context.Context, pb store.ProgressBatcher) error {
			_, err := pb.CreateProgressBatch(ctx, c.ps)
			return err
		})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: CreateProgressBatch error %v, want %v", name, err, c.want)
		}
		if _, err := st.Progress().Get(ctx, 803, tplC); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: row 803 kept after the failed batch (Get error %v)", name, err)
		}
	}
	must(t, "empty batches", inTx(func(ctx context.Context, pb store.ProgressBatcher) error {
		if ids, err := pb.CreateProgressBatch(ctx, nil); err != nil || len(ids) != 0 {
			return fmt.Errorf("CreateProgressBatch(nil) = %v, %w", ids, err)
		}
		if got, err := pb.ProgressBatch(ctx, nil); err != nil || len(got) != 0 {
			return fmt.Errorf("ProgressBatch(nil) = %v, %w", got, err)
		}
		return nil
	}))
}
