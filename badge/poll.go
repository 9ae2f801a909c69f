package badge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// RefreshOptions says which awards RefreshStates checks.
type RefreshOptions struct {
	// Provider is the provider id whose states are refreshed. Required.
	Provider string
	// After resumes a previous run: only awards with a greater UUID (in
	// the store's order) are checked. Zero starts at the beginning.
	After uuid.UUID
	// Limit caps how many awards with a reference at Provider are checked
	// in this run (0 = all), so a large store can be refreshed in slices.
	Limit int
	// Now is the clock for the UpdatedAt of changed references; default
	// time.Now.
	Now func() time.Time
}

// RefreshReport says what RefreshStates did.
type RefreshReport struct {
	// Checked counts awards whose badge state was asked for.
	Checked int `json:"checked"`
	// Changed counts awards whose stored provider state was updated.
	Changed int `json:"changed"`
	// Missing counts badges the provider no longer knows (left as they are).
	Missing int `json:"missing"`
	// Last is the UUID of the last award looked at; pass it as After to
	// continue. Zero when the run reached the end.
	Last uuid.UUID `json:"last"`
}

// RefreshStates polls the provider for the state of every badge award that
// has a reference at opts.Provider and stores the states that changed (the
// award's credential.ProviderRef; its own status is not touched). It is how
// states are kept fresh for providers without webhooks (Accredible), and a
// safety net for missed webhooks (Credly). It stops at the first error
// other than ErrNotFound and returns the report so far.
func RefreshStates(ctx context.Context, st store.Store, sg StateGetter, opts RefreshOptions) (RefreshReport, error) {
	var rep RefreshReport
	if st == nil || sg == nil || opts.Provider == "" {
		return rep, &Error{Provider: "badge", Op: "refresh states", Message: "a store, a StateGetter and RefreshOptions.Provider are required", Kind: ErrInvalid}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	templates := map[string]TemplateRef{}
	cursor := opts.After
	for {
		page, err := st.Awards().List(ctx, store.AwardFilter{Kind: credential.KindBadge, After: cursor, Limit: 200})
		if err != nil {
			return rep, fmt.Errorf("badge refresh: list awards: %w", err)
		}
		if len(page) == 0 {
			rep.Last = uuid.Nil
			return rep, nil
		}
		for _, a := range page {
			cursor, rep.Last = a.UUID, a.UUID
			pr, ok := a.Provider(opts.Provider)
			if !ok || pr.ExternalID == "" {
				continue
			}
			if opts.Limit > 0 && rep.Checked >= opts.Limit {
				return rep, nil
			}
			ref, ok := templates[a.Achievement.ID]
			if !ok {
				id, err := uuid.Parse(a.Achievement.ID)
				if err != nil {
					continue
				}
				t, err := st.Config().GetTemplate(ctx, id)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return rep, fmt.Errorf("badge refresh: template %s: %w", id, err)
				}
				ref = TemplateRef{UUID: t.UUID, AccountID: t.AccountID, ExternalID: t.ExternalID, Name: t.Name}
				templates[a.Achievement.ID] = ref
			}
			rep.Checked++
			res, err := sg.BadgeState(ctx, BadgeRef{Template: ref, ExternalID: pr.ExternalID})
			if errors.Is(err, ErrNotFound) {
				rep.Missing++
				continue
			}
			if err != nil {
				return rep, err
			}
			if res.State == "" || res.State == pr.State {
				continue
			}
			err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
				cur, err := tx.Awards().GetByUUID(ctx, a.UUID)
				if err != nil {
					return err
				}
				cp, ok := cur.Provider(opts.Provider)
				if !ok || cp.ExternalID != pr.ExternalID {
					return nil // changed meanwhile
				}
				cp.State, cp.UpdatedAt = res.State, now().UTC()
				cur.SetProvider(cp)
				_, _, err = tx.Awards().Put(ctx, cur)
				return err
			})
			if err != nil {
				return rep, fmt.Errorf("badge refresh: store award %s: %w", a.UUID, err)
			}
			rep.Changed++
		}
	}
}
