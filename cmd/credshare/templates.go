package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/badge/rules/rulesyaml"
	"github.com/credshare/credshare/store"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newTemplatesCmd) }

// Provider ids templates sync knows.
const (
	providerCredly     = "credly"
	providerAccredible = "accredible"
)

func newTemplatesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Sync badge templates from Credly/Accredible, load rules files, list templates",
	}
	cmd.AddCommand(newTemplatesSyncCmd(g), newTemplatesLoadCmd(g), newTemplatesListCmd(g))
	return cmd
}

func newTemplatesSyncCmd(g *globals) *cobra.Command {
	var provider, account, tokenEnv, baseURL string
	var dryRun, sandbox, save bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Bring the stored templates of provider accounts in line with what the providers list",
		Long: `sync lists the badge templates (Credly) or groups (Accredible) of provider
accounts and creates, updates or deactivates the stored templates to match.
Rules are never touched; a template that vanished is archived, never deleted.

Accounts come from the store (every active account of --provider, or of both
providers), or from flags: --provider P --account ID --token-env VAR reads the
API token from the environment variable VAR (tokens are never passed on the
command line). --save-account stores such an account for later runs.`,
		Example: `  credshare templates sync --dry-run
  CREDLY_TOKEN=… credshare templates sync --provider credly --account ORG --token-env CREDLY_TOKEN`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if provider != "" && provider != providerCredly && provider != providerAccredible {
				return fmt.Errorf("--provider %q: want credly or accredible", provider)
			}
			if (tokenEnv != "" || save) && (provider == "" || account == "") {
				return fmt.Errorf("--token-env and --save-account need --provider and --account")
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			var accounts []store.ProviderAccount
			switch {
			case tokenEnv != "":
				tok := os.Getenv(tokenEnv)
				if tok == "" {
					return fmt.Errorf("environment variable %s is empty: it must hold the %s API token", tokenEnv, provider)
				}
				a := store.ProviderAccount{ID: account, Provider: provider, Secret: tok, Active: true}
				if save {
					if err := st.Config().PutAccount(ctx, a); err != nil {
						return fmt.Errorf("saving account: %w", err)
					}
				}
				accounts = append(accounts, a)
			case account != "":
				if provider == "" {
					return fmt.Errorf("--account needs --provider")
				}
				a, err := st.Config().GetAccount(ctx, provider, account)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no %s account %q in the store: give its token with --token-env VAR (and --save-account to keep it)", provider, account)
				}
				if err != nil {
					return err
				}
				accounts = append(accounts, a)
			default:
				for _, p := range []string{providerCredly, providerAccredible} {
					if provider != "" && p != provider {
						continue
					}
					as, err := st.Config().ListAccounts(ctx, p)
					if err != nil {
						return err
					}
					for _, a := range as {
						if a.Active {
							accounts = append(accounts, a)
						}
					}
				}
				if len(accounts) == 0 {
					return fmt.Errorf("no active provider accounts in the store: name one with --provider, --account and --token-env")
				}
			}
			reports := []badge.SyncReport{}
			var failed []string
			for _, a := range accounts {
				lister, err := newLister(a, baseURL, sandbox, timeout)
				if err != nil {
					return err
				}
				rep, err := badge.SyncTemplates(ctx, st.Config(), lister, badge.SyncOptions{Provider: a.Provider, AccountID: a.ID, DryRun: dryRun})
				if rep.Provider == "" {
					rep.Provider, rep.AccountID, rep.DryRun = a.Provider, a.ID, dryRun
				}
				reports = append(reports, rep)
				if err != nil {
					failed = append(failed, fmt.Sprintf("%s/%s: %v", a.Provider, a.ID, err))
				}
			}
			if err := g.emit(syncOutput{Reports: reports, Errors: failed}, func(w io.Writer) { printSync(w, reports) }); err != nil {
				return err
			}
			if len(failed) > 0 {
				return fmt.Errorf("sync failed (nothing was deactivated for these accounts):\n  %s", strings.Join(failed, "\n  "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&provider, "provider", "", "provider: credly or accredible (default: both)")
	f.StringVar(&account, "account", "", "provider account (Credly organisation id, Accredible account name)")
	f.StringVar(&tokenEnv, "token-env", "", "environment variable holding the account's API token")
	f.StringVar(&baseURL, "base-url", "", "API root (default the provider's production API; for tests and proxies)")
	f.BoolVar(&sandbox, "sandbox", false, "use the provider's sandbox API")
	f.BoolVar(&dryRun, "dry-run", false, "print what would change without writing")
	f.BoolVar(&save, "save-account", false, "store the account given by flags (with its token) for later runs")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "per-request timeout")
	return cmd
}

type syncOutput struct {
	Reports []badge.SyncReport `json:"reports"`
	Errors  []string           `json:"errors,omitempty"`
}

// newLister returns the provider client that lists a's templates.
func newLister(a store.ProviderAccount, baseURL string, sandbox bool, timeout time.Duration) (badge.TemplateLister, error) {
	switch a.Provider {
	case providerCredly:
		opts := []credly.Option{httpapi.WithTimeout(timeout)}
		if sandbox {
			opts = append(opts, credly.WithSandbox())
		}
		if baseURL != "" {
			opts = append(opts, httpapi.WithBaseURL(baseURL))
		}
		return credly.NewProvider(credly.StaticAccounts{a.ID: a.Secret}, opts...)
	case providerAccredible:
		opts := []accredible.Option{httpapi.WithTimeout(timeout)}
		if sandbox {
			opts = append(opts, accredible.WithSandbox())
		}
		if baseURL != "" {
			opts = append(opts, httpapi.WithBaseURL(baseURL))
		}
		return accredible.NewProvider(accredible.StaticAccounts{a.ID: a.Secret}, opts...)
	}
	return nil, fmt.Errorf("provider %q cannot list templates", a.Provider)
}

func printSync(w io.Writer, reports []badge.SyncReport) {
	for _, r := range reports {
		fmt.Fprintln(w, r.String())
		verb := map[string]string{badge.SyncCreate: "create", badge.SyncUpdate: "update", badge.SyncDeactivate: "deactivate"}
		for _, c := range r.Changes {
			v := verb[c.Action]
			if v == "" {
				v = c.Action
			}
			if r.DryRun {
				v = "would " + v
			}
			line := fmt.Sprintf("  %s %s %q (%s)", v, c.Template.ExternalID, c.Template.Name, c.Template.UUID)
			if len(c.Fields) > 0 {
				line += ": " + strings.Join(c.Fields, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
}

func newTemplatesLoadCmd(g *globals) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "load FILE",
		Short: "Validate a rules file (JSON or YAML) and store its templates and rules",
		Long: `load reads a badge rules file (JSON, or YAML when the name ends in .yaml/.yml;
"-" reads JSON from stdin), validates every template and rule set together and
stores them. A template whose rules changed gets a new rules version; progress
made under the old version keeps being evaluated with it. Nothing is stored
when any problem is found; every problem is listed with the template and the
field it is in.`,
		Example: `  credshare templates load rules.yaml
  credshare templates load --check rules.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			b, err := readInput(ctx, args[0], cmd.InOrStdin(), 16<<20)
			if err != nil {
				return err
			}
			var ts []rules.Template
			if ext := strings.ToLower(filepath.Ext(args[0])); ext == ".yaml" || ext == ".yml" {
				ts, err = rulesyaml.Read(bytes.NewReader(b))
			} else {
				ts, err = rules.ParseFile(b)
			}
			if err != nil {
				return rulesProblems(g, args[0], err)
			}
			if check {
				return g.emit(map[string]any{"valid": true, "templates": ts}, func(w io.Writer) {
					fmt.Fprintf(w, "%s: %d template(s), no problems\n", args[0], len(ts))
				})
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			stored, err := rules.PutTemplates(ctx, st.Config(), ts)
			if err != nil {
				if len(rules.Problems(err)) > 0 {
					return rulesProblems(g, args[0], err)
				}
				return err
			}
			return g.emit(stored, func(w io.Writer) {
				fmt.Fprintf(w, "stored %d template(s) from %s\n", len(stored), args[0])
				printTemplates(w, stored)
			})
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "validate only; store nothing")
	return cmd
}

// rulesProblems prints every problem of a rules file and returns the error
// that makes the command fail.
func rulesProblems(g *globals, file string, err error) error {
	probs := rules.Problems(err)
	if len(probs) == 0 {
		return fmt.Errorf("%s: %w", file, err)
	}
	type problem struct {
		Template string `json:"template,omitempty"`
		Field    string `json:"field,omitempty"`
		Problem  string `json:"problem"`
	}
	list := make([]problem, 0, len(probs))
	lines := make([]string, 0, len(probs))
	for _, p := range probs {
		list = append(list, problem{p.Template, p.Field, p.Problem})
		where := p.Template
		if p.Field != "" {
			if where != "" {
				where += ": "
			}
			where += p.Field
		}
		if where == "" {
			lines = append(lines, p.Problem)
		} else {
			lines = append(lines, where+": "+p.Problem)
		}
	}
	if g.asJSON {
		g.emit(map[string]any{"valid": false, "problems": list}, nil)
		return exitCode(1)
	}
	return fmt.Errorf("%s: %d problem(s), nothing stored:\n  - %s", file, len(probs), strings.Join(lines, "\n  - "))
}

func newTemplatesListCmd(g *globals) *cobra.Command {
	var f store.TemplateFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the stored badge templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sts, err := st.Config().ListTemplates(ctx, f)
			if err != nil {
				return err
			}
			ts := make([]rules.Template, 0, len(sts))
			for _, s := range sts {
				t, err := rules.FromStore(s)
				if err != nil {
					return fmt.Errorf("template %s: %w", s.UUID, err)
				}
				ts = append(ts, t)
			}
			return g.emit(ts, func(w io.Writer) {
				if len(ts) == 0 {
					fmt.Fprintln(w, "no templates")
					return
				}
				printTemplates(w, ts)
			})
		},
	}
	cmd.Flags().StringVar(&f.Provider, "provider", "", "only this provider's templates")
	cmd.Flags().StringVar(&f.AccountID, "account", "", "only this account's templates")
	cmd.Flags().StringVar(&f.State, "state", "", "only templates in this state (draft, active, archived)")
	return cmd
}

func printTemplates(w io.Writer, ts []rules.Template) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UUID\tPROVIDER\tACCOUNT\tEXTERNAL\tSTATE\tRULES\tREQS\tNAME")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\tv%d\t%d\t%s\n", t.UUID, t.Provider, dash(t.AccountID), dash(t.ExternalID),
			t.State, t.RulesVersion, len(t.Requirements), t.Name)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
