package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() {
	extraCommands = append(extraCommands, func(g *globals) *cobra.Command { return newPersonCmd(g, true) },
		func(g *globals) *cobra.Command { return newPersonCmd(g, false) })
}

// personOutput is what revoke and reinstate print.
type personOutput struct {
	// Award is the credential after the command: the revoked one, or the
	// new one a reinstatement issued.
	Award credential.Award `json:"award"`
	// Replaces is the revoked credential a reinstatement replaces.
	Replaces string `json:"replaces,omitempty"`
	// Changed is false when nothing had to change (revoking an award a
	// person revoked already).
	Changed bool `json:"changed"`
	// Queued lists the outbox rows written, run by the deployment's
	// dispatcher.
	Queued []queuedRow `json:"queued"`
	// StatusEntries counts the status-list entries set (VCs issued for the
	// award).
	StatusEntries int `json:"status_entries"`
	// Providers are the provider ids calls were queued for.
	Providers []string `json:"providers"`
}

type queuedRow struct {
	Kind           string `json:"kind"`
	Target         string `json:"target"`
	IdempotencyKey string `json:"idempotency_key"`
}

func newPersonCmd(g *globals, revoke bool) *cobra.Command {
	var reason, providers string
	var publish bool
	use, short, long, example := "revoke AWARD_UUID --reason TEXT", "Revoke an award as a person: the rules never award it again",
		`revoke revokes one credential (an award UUID, as 'credshare awards' lists) as
a person: its state becomes "revoked (by person)", which the badge rules never
override — only 'credshare reinstate' reverses it. --reason is required and
recorded with the revocation.

In the same store transaction it sets the revocation entries of every
Verifiable Credential issued for the award and queues, in the outbox, the
provider's revoke call (Credly, Accredible, …) and the badge.revoked event.
This command calls no provider and publishes nothing itself: the running
deployment's outbox dispatcher performs the queued rows. It prints what it
queued. Revoking an award the rules revoked marks it as revoked by a person
and queues nothing again; revoking it twice changes nothing.`,
		`  credshare revoke 5b0c2f7e-4d1a-4f39-9d7e-2a6c1e8b9f01 --reason "issued in error"
  credshare --json revoke 5b0c2f7e-… --reason "academic misconduct" --providers credly`
	if !revoke {
		use, short, long, example = "reinstate AWARD_UUID --reason TEXT", "Reverse a revocation as a person: a new credential is issued",
			`reinstate reverses the revocation of a credential (typically one a person
revoked): it issues the achievement again as a new credential — a new award
UUID, the next generation (GEN in 'credshare awards') — and queues its
provider issue call (a new Credly badge: Credly does not un-revoke) and the
badge.awarded event. The revoked credential stays revoked. AWARD_UUID must be
the learner's current credential for the achievement. --reason is required
and recorded on the new credential.

As with revoke, nothing is sent from here: the deployment's outbox dispatcher
performs the queued rows.`,
			`  credshare reinstate 5b0c2f7e-4d1a-4f39-9d7e-2a6c1e8b9f01 --reason "appeal upheld"`
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := uuid.Parse(args[0])
			if err != nil {
				return fmt.Errorf("%q is not an award UUID", args[0])
			}
			if reason = strings.TrimSpace(reason); reason == "" {
				return errors.New("--reason is required: say why (it is recorded with the award)")
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			var provs []string
			if cmd.Flags().Changed("providers") {
				provs = splitList(providers)
			} else if provs, err = accountProviders(ctx, st); err != nil {
				return err
			}
			rec := &recordingStore{Store: st}
			bits := &statusBits{}
			p, err := pipeline.New(pipeline.Config{Store: rec, QueueProviders: provs, QueuePublish: publish, Status: bits,
				Logger: slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				return err
			}
			out := personOutput{Providers: provs}
			if revoke {
				before, err := st.Awards().GetByUUID(ctx, id)
				if err != nil {
					return awardErr(id, err)
				}
				if out.Award, err = p.Revoke(ctx, id, reason); err != nil {
					return awardErr(id, err)
				}
				out.Changed = before.Status != out.Award.Status || before.RevokedBy != out.Award.RevokedBy
			} else {
				if out.Award, err = p.Reinstate(ctx, id, reason); err != nil {
					return awardErr(id, err)
				}
				out.Replaces, out.Changed = id.String(), true
			}
			out.Queued, out.StatusEntries = rec.queued, bits.n
			if out.Queued == nil {
				out.Queued = []queuedRow{}
			}
			if out.Providers == nil {
				out.Providers = []string{}
			}
			return g.emit(out, func(w io.Writer) { printPerson(w, out) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&reason, "reason", "", "why (required; recorded with the award)")
	f.StringVar(&providers, "providers", "", "provider ids whose calls are queued, comma-separated (default: the providers of the store's active accounts, i.e. the deployment's)")
	f.BoolVar(&publish, "publish", true, "queue the badge.revoked / badge.awarded event (turn off when the deployment publishes no badge events)")
	return cmd
}

// awardErr explains the errors of Revoke and Reinstate.
func awardErr(id uuid.UUID, err error) error {
	var te *credential.TransitionError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no award %s in the store", id)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("award %s is not the current credential: %w", id, err)
	case errors.As(err, &te):
		return fmt.Errorf("award %s: %w", id, err)
	}
	return err
}

// accountProviders returns the provider ids of the store's active accounts:
// the providers the deployment configured (it records its accounts there).
func accountProviders(ctx context.Context, st store.Store) ([]string, error) {
	accs, err := st.Config().ListAccounts(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing provider accounts: %w", err)
	}
	var out []string
	for _, a := range accs {
		if a.Active && !slices.Contains(out, a.Provider) {
			out = append(out, a.Provider)
		}
	}
	slices.Sort(out)
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func printPerson(w io.Writer, o personOutput) {
	a := o.Award
	switch {
	case o.Replaces != "":
		fmt.Fprintf(w, "reinstated %s as a new credential %s (generation %d) for learner %d, %s\n", o.Replaces, a.UUID, a.Gen(), a.LearnerID, a.Achievement)
	case !o.Changed:
		fmt.Fprintf(w, "award %s was already revoked by a person; nothing changed\n", a.UUID)
	default:
		fmt.Fprintf(w, "revoked %s (learner %d, %s) as a person: %s\n", a.UUID, a.LearnerID, a.Achievement, a.Revoked.Reason)
	}
	if o.StatusEntries > 0 {
		fmt.Fprintf(w, "status entries set: %d\n", o.StatusEntries)
	}
	if len(o.Queued) == 0 {
		fmt.Fprintln(w, "queued: nothing")
		return
	}
	fmt.Fprintln(w, "queued for the deployment's outbox dispatcher:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tTARGET\tKEY")
	for _, q := range o.Queued {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", q.Kind, q.Target, q.IdempotencyKey)
	}
	tw.Flush()
}

// recordingStore is the store with the outbox rows its transactions
// enqueue recorded, so the command can print what it queued.
type recordingStore struct {
	store.Store
	queued []queuedRow
}

func (s *recordingStore) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		s.queued = nil // a retried transaction starts again
		return fn(ctx, recordingRepos{Repos: tx, s: s})
	})
}

type recordingRepos struct {
	store.Repos
	s *recordingStore
}

func (r recordingRepos) Outbox() store.Outbox {
	return recordingOutbox{Outbox: r.Repos.Outbox(), s: r.s}
}

type recordingOutbox struct {
	store.Outbox
	s *recordingStore
}

func (o recordingOutbox) Enqueue(ctx context.Context, it store.OutboxItem) (int64, bool, error) {
	id, enqueued, err := o.Outbox.Enqueue(ctx, it)
	if err == nil && enqueued {
		o.s.queued = append(o.s.queued, queuedRow{Kind: it.Kind, Target: it.Target, IdempotencyKey: it.IdempotencyKey})
	}
	return id, enqueued, err
}

// statusBits sets the revocation entries of the credentials issued for an
// award (pipeline.StatusRevoker), as status.Service.RevokeAward does, but
// without the publishing side's configuration (base URL) the CLI does not
// have; it counts the entries.
type statusBits struct{ n int }

func (b *statusBits) RevokeAward(ctx context.Context, tx store.Repos, a credential.Award) error {
	recs, err := tx.Issuance().ListByAward(ctx, a.UUID)
	if err != nil {
		return fmt.Errorf("listing the credentials issued for award %s: %w", a.UUID, err)
	}
	b.n = 0
	seen := map[store.StatusRef]bool{}
	for _, r := range recs {
		for _, ref := range r.Status {
			if ref.Purpose != status.PurposeRevocation || seen[ref] {
				continue
			}
			seen[ref] = true
			if _, err := tx.StatusLists().SetStatus(ctx, ref.ListID, ref.Index, 1); err != nil {
				return fmt.Errorf("setting status entry %s[%d]: %w", ref.ListID, ref.Index, err)
			}
			b.n++
		}
	}
	return nil
}
