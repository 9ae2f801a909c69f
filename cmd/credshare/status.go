package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newStatusCmd) }

// statusOutput is what status prints for a list credential.
type statusOutput struct {
	Source     string    `json:"source"`
	ID         string    `json:"id,omitempty"`
	Issuer     string    `json:"issuer,omitempty"`
	Types      []string  `json:"types"`
	ListType   string    `json:"list_type"`
	Purpose    string    `json:"purpose"`
	StatusSize int       `json:"status_size"`
	Size       int       `json:"size"`
	SetCount   int       `json:"set_count"`
	Set        []int     `json:"set"`
	Truncated  bool      `json:"set_truncated,omitempty"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	OpenEdX    bool      `json:"openedx_encoding,omitempty"`
	Proof      struct {
		Verified bool     `json:"verified"`
		Signers  []string `json:"signers,omitempty"`
		Error    string   `json:"error,omitempty"`
	} `json:"proof"`
	Entry *statusEntryOutput `json:"entry,omitempty"`
}

type statusEntryOutput struct {
	Index   int    `json:"index"`
	Value   int    `json:"value"`
	Set     bool   `json:"set"`
	Meaning string `json:"meaning"`
}

func newStatusCmd(g *globals) *cobra.Command {
	var index, limit int
	var openedx bool
	var nf netFlags
	var didDocs []string
	cmd := &cobra.Command{
		Use:   "status FILE|URL|-",
		Short: "Inspect a status list credential (size, set entries, one entry); 'status list' shows the store's lists",
		Long: `status reads a status list credential (BitstringStatusListCredential or
StatusList2021Credential) from a file, a URL or stdin and prints its type,
purpose, size, how many entries are set and which (at most --limit of them),
and whether its proof verifies (did:key offline; did:web with --allow-network
or --did-doc). Fetches follow verify's policy: https to public addresses
only, unless --allow-host, --allow-cidr, --allow-http or --ca-file name what
inside your network may be reached. --index N checks one entry. --openedx reads the one-byte-per-
entry encoding Open edX Credentials writes.

Exit status: 0 when the document was read (whatever its entries say); with
--index, 0 when the entry is clear and 2 when it is set; 1 on errors.`,
		Example: `  credshare status https://credentials.example.edu/status/3f9c…
  credshare status --index 94567 list.json
  credshare status list --db sqlite:credshare.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := nf.client()
			if err != nil {
				return err
			}
			b, err := fetchInput(ctx, client, args[0], cmd.InOrStdin(), vc.MaxDocumentSize)
			if err != nil {
				return err
			}
			c, err := vc.ParseCredential(b)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			out := statusOutput{Source: args[0], ID: c.ID, Issuer: c.Issuer.ID, Types: c.Type, Set: []int{}, OpenEdX: openedx}
			out.ValidFrom, out.ValidUntil = c.Validity()
			if len(c.CredentialSubject) != 1 {
				return fmt.Errorf("%s: a status list credential has one subject, this one has %d", args[0], len(c.CredentialSubject))
			}
			subj := c.CredentialSubject[0]
			if len(subj.Type) > 0 {
				out.ListType = subj.Type[0]
			}
			var encoded string
			if err := extraString(subj.Extra, "encodedList", &encoded); err != nil || encoded == "" {
				return fmt.Errorf("%s: no encodedList in the credential subject: not a status list credential", args[0])
			}
			extraString(subj.Extra, "statusPurpose", &out.Purpose)
			out.StatusSize = 1
			if raw, ok := subj.Extra["statusSize"]; ok {
				if err := json.Unmarshal(raw, &out.StatusSize); err != nil || out.StatusSize < 1 || out.StatusSize > status.MaxStatusSize {
					return fmt.Errorf("%s: statusSize %s is not 1…%d", args[0], raw, status.MaxStatusSize)
				}
			}
			var bits *status.Bitstring
			if openedx {
				bits, err = status.DecodeOpenEdX(encoded, 1)
			} else {
				bits, err = status.DecodeBitstring(encoded, out.StatusSize, 0)
			}
			if err != nil {
				return fmt.Errorf("%s: encodedList: %w", args[0], err)
			}
			out.Size, out.SetCount = bits.Len(), bits.Count()
			for i := 0; i < bits.Len() && len(out.Set) < out.SetCount; i++ {
				if v, _ := bits.Get(i); v != 0 {
					if len(out.Set) == limit {
						out.Truncated = true
						break
					}
					out.Set = append(out.Set, i)
				}
			}

			ropts, pinned, err := pinnedDocuments(didDocs)
			if err != nil {
				return err
			}
			ropts = append(ropts, did.WithHTTPClient(client))
			pv := statusproof.Verifier{Resolver: gatedResolver{r: did.NewResolver(ropts...), network: nf.allowNetwork, pinned: pinned}}
			if signers, err := pv.VerifyProof(ctx, b); err != nil {
				out.Proof.Error = err.Error()
			} else {
				out.Proof.Verified, out.Proof.Signers = true, signers
			}

			if cmd.Flags().Changed("index") {
				v, err := bits.Get(index)
				if err != nil {
					return fmt.Errorf("--index %d: the list has entries 0…%d", index, bits.Len()-1)
				}
				out.Entry = &statusEntryOutput{Index: index, Value: v, Set: v != 0, Meaning: entryMeaning(out.Purpose, v)}
			}
			if err := g.emit(out, func(w io.Writer) { printStatus(w, out) }); err != nil {
				return err
			}
			if out.Entry != nil && out.Entry.Set {
				return exitCode(2)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&index, "index", 0, "check this entry")
	f.IntVar(&limit, "limit", 100, "list at most this many set entries")
	f.BoolVar(&openedx, "openedx", false, "the list uses Open edX's one-byte-per-entry encoding")
	nf.register(cmd, "resolve a did:web signer over HTTPS to check the proof")
	f.StringArrayVar(&didDocs, "did-doc", nil, "DID document file to trust for its DID; repeatable")
	cmd.AddCommand(newStatusListCmd(g), newMigrateOpenEdXCmd(g))
	return cmd
}

func entryMeaning(purpose string, v int) string {
	switch {
	case v == 0 && purpose == status.PurposeRevocation:
		return "not revoked"
	case v == 0 && purpose == status.PurposeSuspension:
		return "not suspended"
	case purpose == status.PurposeRevocation:
		return "revoked"
	case purpose == status.PurposeSuspension:
		return "suspended"
	case v == 0:
		return "clear"
	}
	return "set (value " + strconv.Itoa(v) + ")"
}

func extraString(e vc.Extra, key string, dst *string) error {
	raw, ok := e[key]
	if !ok {
		return nil
	}
	return json.Unmarshal(raw, dst)
}

func printStatus(w io.Writer, o statusOutput) {
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-13s %s\n", k+":", v)
		}
	}
	row("list", o.ID)
	row("issuer", o.Issuer)
	row("type", strings.Join(o.Types, ", ")+" / "+o.ListType)
	row("purpose", o.Purpose)
	size := fmt.Sprintf("%d entries", o.Size)
	if o.StatusSize > 1 {
		size += fmt.Sprintf(" of %d bits", o.StatusSize)
	}
	row("size", size)
	if !o.ValidFrom.IsZero() {
		row("valid from", o.ValidFrom.UTC().Format(time.RFC3339))
	}
	if !o.ValidUntil.IsZero() {
		row("valid until", o.ValidUntil.UTC().Format(time.RFC3339))
	}
	if o.Proof.Verified {
		row("proof", "verified, signed by "+strings.Join(o.Proof.Signers, ", "))
	} else {
		row("proof", "NOT verified: "+o.Proof.Error)
	}
	set := fmt.Sprintf("%d", o.SetCount)
	if len(o.Set) > 0 {
		idx := make([]string, len(o.Set))
		for i, v := range o.Set {
			idx[i] = strconv.Itoa(v)
		}
		set += ": " + strings.Join(idx, " ")
		if o.Truncated {
			set += fmt.Sprintf(" … (first %d shown)", len(o.Set))
		}
	}
	row("set entries", set)
	if e := o.Entry; e != nil {
		row(fmt.Sprintf("entry %d", e.Index), fmt.Sprintf("%d (%s)", e.Value, e.Meaning))
	}
}

func newStatusListCmd(g *globals) *cobra.Command {
	var issuer string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the status lists in the store with how full they are",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			lists, err := st.StatusLists().List(ctx, issuer)
			if err != nil {
				return err
			}
			type row struct {
				store.StatusList
				FillRatio float64 `json:"fill_ratio"`
				Set       int     `json:"set"`
			}
			rows := []row{}
			for _, l := range lists {
				entries, _, err := st.StatusLists().Entries(ctx, l.ID)
				if err != nil {
					return fmt.Errorf("list %s: %w", l.ID, err)
				}
				rows = append(rows, row{StatusList: l, FillRatio: status.FillRatio(l), Set: len(entries)})
			}
			return g.emit(rows, func(w io.Writer) {
				if len(rows) == 0 {
					fmt.Fprintln(w, "no status lists")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tISSUER\tPURPOSE\tSIZE\tUSED\tFILL\tSET\tVERSION\tUPDATED")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f%%\t%d\t%d\t%s\n", r.ID, r.Issuer, r.Purpose, r.Size, r.Next,
						100*r.FillRatio, r.Set, r.Version, r.UpdatedAt.UTC().Format(time.RFC3339))
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&issuer, "issuer", "", "only this issuer's lists (a DID)")
	return cmd
}
