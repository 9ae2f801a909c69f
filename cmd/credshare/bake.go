package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/bake"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newBakeCmd, newUnbakeCmd) }

// bakeOutput is what bake prints with --json.
type bakeOutput struct {
	Image  string      `json:"image"`
	Out    string      `json:"out"`
	Format bake.Format `json:"format"`
	Bytes  int         `json:"bytes"`
}

func newBakeCmd(g *globals) *cobra.Command {
	var image, credFile, out string
	cmd := &cobra.Command{
		Use:   "bake --image BADGE --credential CRED --out BAKED",
		Short: "Bake an Open Badges 3.0 credential into a PNG or SVG badge image",
		Long: `bake embeds a signed credential in a badge image, as the Open Badges 3.0
specification describes: in a PNG, an iTXt chunk of keyword
openbadgecredential before IEND; in an SVG, an openbadges:credential element,
the first child of the root (a VC-JWT in its verify attribute, a credential
with an embedded proof in CDATA). An existing baked credential is replaced.

The credential is what credshare issue prints: a JSON credential with an
embedded proof, or a VC-JWT (the compact JWS, or a JSON string holding it).
It is not verified; unbake --verify does that. Images over 10 MiB are refused.
--out - writes the image to stdout.`,
		Example: `  credshare bake --image badge.png --credential cred.json --out baked.png
  credshare issue --key issuer.json ... --proof vc-jwt | credshare bake --image badge.svg --credential - --out baked.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if image == "" || credFile == "" || out == "" {
				return errors.New("bake needs --image, --credential and --out")
			}
			if image == "-" && credFile == "-" {
				return errors.New("only one of --image and --credential can be stdin (-)")
			}
			ctx := cmd.Context()
			img, err := readInput(ctx, image, cmd.InOrStdin(), bake.DefaultMaxImage)
			if err != nil {
				return err
			}
			cred, err := readInput(ctx, credFile, cmd.InOrStdin(), vc.MaxDocumentSize)
			if err != nil {
				return err
			}
			baked, err := bake.Bake(ctx, img, cred)
			if err != nil {
				return fmt.Errorf("baking %s into %s: %w", credFile, image, err)
			}
			if out == "-" {
				_, err := g.out.Write(baked)
				return err
			}
			if err := os.WriteFile(out, baked, 0o644); err != nil {
				return err
			}
			f, _ := bake.Sniff(baked)
			o := bakeOutput{Image: image, Out: out, Format: f, Bytes: len(baked)}
			return g.emit(o, func(w io.Writer) {
				fmt.Fprintf(w, "baked %s into %s (%s, %d bytes)\n", credFile, out, f, len(baked))
			})
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "badge image to bake into: a PNG or SVG file, an https URL or - for stdin")
	cmd.Flags().StringVar(&credFile, "credential", "", "signed credential to bake: a file, an https URL or - for stdin")
	cmd.Flags().StringVar(&out, "out", "", "file to write the baked image to (- for stdout)")
	return cmd
}

// unbakeOutput is what unbake prints with --json (without --verify).
type unbakeOutput struct {
	Source     string          `json:"source"`
	Format     bake.Format     `json:"format"`
	Credential json.RawMessage `json:"credential"`
}

func newUnbakeCmd(g *globals) *cobra.Command {
	var vf verifyFlags
	var doVerify bool
	var out string
	cmd := &cobra.Command{
		Use:   "unbake FILE|URL|-",
		Short: "Print the Open Badges 3.0 credential baked into a PNG or SVG image (--verify: check it)",
		Long: `unbake reads the credential baked into a PNG or SVG badge image and prints it
(a JSON credential, or a VC-JWT's compact JWS), or writes it to --out.

The image is checked whole before anything is read from it: the PNG signature
and every chunk's CRC and length, well-formed XML for an SVG (a DOCTYPE with
entity declarations is refused and nothing is fetched), 10 MiB at most.

--verify checks the credential as credshare verify does, with the same flags
(--allow-network, --did-doc, --status-list-file, --at, --leeway, --allow-host,
--allow-cidr, --allow-http, --ca-file), and prints the verdict instead of the
credential. Exit status: 0 when valid, 2 for any other verdict, 1 when the
image holds no credential or cannot be read.`,
		Example: `  credshare unbake baked.png
  credshare unbake --verify baked.svg
  credshare unbake --verify --out cred.json --allow-network https://example.edu/badges/42.png`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := vf.nf.client()
			if err != nil {
				return err
			}
			img, err := fetchInput(ctx, client, args[0], cmd.InOrStdin(), bake.DefaultMaxImage)
			if err != nil {
				return err
			}
			cred, err := bake.Unbake(ctx, img)
			if err != nil {
				return fmt.Errorf("unbaking %s: %w", args[0], err)
			}
			if out != "" {
				if err := os.WriteFile(out, append(cred, '\n'), 0o644); err != nil {
					return err
				}
			}
			if doVerify {
				return vf.verify(ctx, g, client, args[0], cred)
			}
			if out != "" {
				return nil
			}
			f, _ := bake.Sniff(img)
			raw := json.RawMessage(cred)
			if cred[0] != '{' {
				raw, _ = json.Marshal(string(cred))
			}
			return g.emit(unbakeOutput{Source: args[0], Format: f, Credential: raw}, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n", cred)
			})
		},
	}
	vf.register(cmd)
	cmd.Flags().BoolVar(&doVerify, "verify", false, "verify the credential (as credshare verify does) and print the verdict")
	cmd.Flags().StringVar(&out, "out", "", "write the credential to this file")
	return cmd
}
