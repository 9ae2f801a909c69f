package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/credshare/credshare/internal/storeurl"
	"github.com/credshare/credshare/store"
	"github.com/spf13/cobra"
)

type globals struct {
	db      string
	asJSON  bool
	out     io.Writer
	errOut  io.Writer
	storeFn func(ctx context.Context) (store.Store, error)
}

func newRoot() *cobra.Command {
	g := &globals{out: os.Stdout, errOut: os.Stderr}
	root := &cobra.Command{
		Use:   "credshare",
		Short: "Issue, verify and manage shareable credentials (badges, Verifiable Credentials, status lists)",
		Long: `credshare turns Open edX learning events into credentials learners can share:
badges (Credly, Accredible, native Open Badges 3.0) and W3C Verifiable Credentials
revocable through status lists.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("CREDSHARE_DB")
	if def == "" {
		def = "sqlite:credshare.db"
	}
	root.PersistentFlags().StringVar(&g.db, "db", def, "store: sqlite:PATH, mysql:DSN or mem: (env CREDSHARE_DB)")
	// --help prints the default; one taken from CREDSHARE_DB may hold a
	// password, so the help shows it redacted.
	root.PersistentFlags().Lookup("db").DefValue = redactDB(def)
	root.PersistentFlags().BoolVar(&g.asJSON, "json", false, "print machine-readable JSON")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		g.out = cmd.OutOrStdout()
		g.errOut = cmd.ErrOrStderr()
	}
	g.storeFn = func(ctx context.Context) (store.Store, error) { return storeurl.Open(ctx, g.db) }
	root.AddCommand(newDeadletterCmd(g))
	for _, add := range extraCommands {
		root.AddCommand(add(g))
	}
	return root
}

// extraCommands lets each command file register itself.
var extraCommands []func(*globals) *cobra.Command

// emit prints v as JSON with --json, or calls human otherwise.
func (g *globals) emit(v any, human func(w io.Writer)) error {
	if g.asJSON {
		enc := json.NewEncoder(g.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human(g.out)
	return nil
}

func (g *globals) openStore(ctx context.Context) (store.Store, error) {
	st, err := g.storeFn(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", redactDB(g.db), err)
	}
	return st, nil
}

// redactDB hides a password in a store spec (storeurl.Redact).
func redactDB(db string) string { return storeurl.Redact(db) }
