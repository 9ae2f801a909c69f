package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/spf13/cobra"
)

func newDeadletterCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deadletter",
		Short: "List and re-queue dead outbox items (provider calls and publishes that gave up)",
	}
	var limit int
	var after int64
	list := &cobra.Command{
		Use:   "list",
		Short: "List dead outbox items with the reason they died",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			items, err := st.Outbox().ListDead(cmd.Context(), after, limit)
			if err != nil {
				return err
			}
			if items == nil {
				items = []store.OutboxItem{}
			}
			return g.emit(items, func(w io.Writer) {
				if len(items) == 0 {
					fmt.Fprintln(w, "no dead outbox items")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tTARGET\tATTEMPTS\tUPDATED\tREASON")
				for _, it := range items {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Kind, it.Target, it.Attempts,
						it.UpdatedAt.UTC().Format(time.RFC3339), it.LastError)
				}
				tw.Flush()
			})
		},
	}
	list.Flags().IntVar(&limit, "limit", 100, "most items to list")
	list.Flags().Int64Var(&after, "after", 0, "list items with an id above this one (paging)")

	var all bool
	retry := &cobra.Command{
		Use:   "retry [ID...]",
		Short: "Put dead outbox items back in the queue (all of them with --all)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return fmt.Errorf("name the item ids to retry, or pass --all")
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			var ids []int64
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not an outbox item id", a)
				}
				ids = append(ids, id)
			}
			if all {
				var after int64
				for {
					items, err := st.Outbox().ListDead(cmd.Context(), after, 500)
					if err != nil {
						return err
					}
					for _, it := range items {
						ids = append(ids, it.ID)
						after = it.ID
					}
					if len(items) < 500 {
						break
					}
				}
			}
			requeued := []int64{}
			for _, id := range ids {
				if err := st.Outbox().Requeue(cmd.Context(), id, time.Now()); err != nil {
					return fmt.Errorf("item %d: %w", id, err)
				}
				requeued = append(requeued, id)
			}
			return g.emit(map[string]any{"requeued": requeued}, func(w io.Writer) {
				fmt.Fprintf(w, "re-queued %d item(s)\n", len(requeued))
			})
		},
	}
	retry.Flags().BoolVar(&all, "all", false, "re-queue every dead item")
	cmd.AddCommand(list, retry)
	return cmd
}
