package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/spf13/cobra"
)

func newMigrateOpenEdXCmd(g *globals) *cobra.Command {
	var keyPath, issuerDID, out string
	var validity time.Duration
	cmd := &cobra.Command{
		Use:   "migrate-openedx FILE|URL|-",
		Short: "Convert an Open edX status list (one byte per entry) into the spec-conformant list verifiers read",
		Long: `migrate-openedx reads the StatusList2021Credential Open edX Credentials serves
(status-list/2021/v1/<issuer did>/), whose encodedList marks one byte per
entry, and writes the equivalent spec-conformant StatusList2021Credential —
the same id, issuer and purpose, every revoked entry set as the bit that
verifiers read — signed with the issuer's key (--key: a keygen key file, or
the bare Ed25519 JWK Open edX keeps as its issuer key). Serve the result at
the same URL so credentials already in wallets show their revocations.`,
		Example: `  credshare status migrate-openedx --key issuer.jwk --out list.json \
    https://credentials.example.edu/verifiable_credentials/api/v1/status-list/2021/v1/did:key:z6Mk…/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if keyPath == "" {
				return fmt.Errorf("--key is required: the list must be signed by its issuer")
			}
			b, err := readInput(ctx, args[0], cmd.InOrStdin(), vc.MaxDocumentSize)
			if err != nil {
				return err
			}
			k, err := loadKey(keyPath, issuerDID)
			if err != nil {
				return err
			}
			s, err := k.Signer()
			if err != nil {
				return err
			}
			ls, err := statusproof.NewSigner(s, statusproof.SignerConfig{})
			if err != nil {
				return err
			}
			doc, err := status.MigrateOpenEdX(ctx, b, ls, time.Now(), validity)
			if err != nil {
				return err
			}
			var w io.Writer = g.out
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if _, err := w.Write(append(doc, '\n')); err != nil {
				return err
			}
			if out != "" && out != "-" {
				fmt.Fprintf(g.errOut, "wrote %s (%d bytes)\n", out, len(doc))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "issuer key file (keygen format or a bare Ed25519 JWK)")
	cmd.Flags().StringVar(&issuerDID, "issuer", "", "issuer DID when the key is a bare JWK of a did:web issuer")
	cmd.Flags().StringVar(&out, "out", "", "write the migrated list here (default stdout)")
	cmd.Flags().DurationVar(&validity, "validity", 0, "validity of the signed list (0: no validUntil)")
	return cmd
}
