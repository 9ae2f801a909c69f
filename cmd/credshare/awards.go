package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newAwardsCmd) }

func newAwardsCmd(g *globals) *cobra.Command {
	var f store.AwardFilter
	var kind, status string
	cmd := &cobra.Command{
		Use:   "awards",
		Short: "List stored awards with their state: awarded, revoked (rules) or revoked (by person)",
		Long: `awards lists the stored awards, every credential of every generation: a badge
the rules revoked (a penalty) and earned again has its revoked credential and
a new one (GEN 2). STATE is "awarded", "revoked (rules)" — the rules award it
again when its requirements are met again — or "revoked (by person)", which
only a person reverses (credential/pipeline's Pipeline.Reinstate).`,
		Example: `  credshare awards --learner 42
  credshare awards --status revoked --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f.Kind, f.Status = credential.Kind(kind), credential.Status(status)
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			as, err := st.Awards().List(ctx, f)
			if err != nil {
				return err
			}
			return g.emit(as, func(w io.Writer) {
				if len(as) == 0 {
					fmt.Fprintln(w, "no awards")
					return
				}
				printAwards(w, as)
			})
		},
	}
	cmd.Flags().Int64Var(&f.LearnerID, "learner", 0, "only this learner's awards (LMS user id)")
	cmd.Flags().StringVar(&kind, "kind", "", "only this kind (badge, course_certificate, program_certificate)")
	cmd.Flags().StringVar(&f.AchievementID, "achievement", "", "only this achievement id (needs --kind)")
	cmd.Flags().StringVar(&status, "status", "", "only awarded or revoked awards")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many (up to 1000)")
	return cmd
}

// awardState is the STATE column: the status and, for a revocation, who made it.
func awardState(a credential.Award) string {
	if a.Status != credential.StatusRevoked {
		return string(a.Status)
	}
	if a.RevokedBy == credential.RevokedByPerson {
		return "revoked (by person)"
	}
	return "revoked (rules)"
}

func printAwards(w io.Writer, as []credential.Award) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tLEARNER\tACHIEVEMENT\tGEN\tSTATE\tAT\tREASON")
	for _, a := range as {
		at, reason := a.AwardedAt, a.Awarded.Reason
		if a.Status == credential.StatusRevoked {
			at, reason = a.RevokedAt, a.Revoked.Reason
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\n", a.UUID, a.LearnerID, a.Achievement, a.Gen(), awardState(a),
			at.UTC().Format(time.RFC3339), dash(reason))
	}
	tw.Flush()
}
