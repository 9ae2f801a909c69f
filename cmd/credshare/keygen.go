package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/credshare/credshare/vc/did"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newKeygenCmd) }

// keygenOutput is what keygen prints with --json.
type keygenOutput struct {
	DID                 string        `json:"did"`
	VerificationMethod  string        `json:"verification_method"`
	PublicKeyMultibase  string        `json:"public_key_multibase"`
	PublicKeyJWK        did.JWK       `json:"public_key_jwk"`
	KeyFile             string        `json:"key_file,omitempty"`
	DocumentURL         string        `json:"did_document_url,omitempty"`
	Document            *did.Document `json:"did_document,omitempty"`
	PrivateKeyJWK       *did.JWK      `json:"private_key_jwk,omitempty"`
	PrivateKeyMultibase string        `json:"private_key_multibase,omitempty"`
}

func newKeygenCmd(g *globals) *cobra.Command {
	var out, web string
	var force, showPrivate bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Generate an Ed25519 issuer key: a did:key, or a did:web with its DID document",
		Long: `keygen generates a new Ed25519 issuer key and writes it, with its DID and
verification method, to a key file readable only by you (mode 0600). The
private key is never printed unless --show-private is given.

Without --did-web the issuer is a did:key. With --did-web HOST[:PATH...] it is
a did:web, and the DID document to publish at the printed URL is printed (and
kept in the key file).`,
		Example: `  credshare keygen --out issuer.json
  credshare keygen --did-web example.org:issuers:1 --out web-issuer.json > did.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" && !showPrivate {
				return fmt.Errorf("--out is empty: the private key would be lost (pass --show-private to print it instead)")
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			kf := keyFile{PublicKeyMultibase: did.EncodeMultikey(pub)}
			jwk := did.PrivateJWK(priv)
			kf.PrivateKeyJWK = &jwk
			kf.PrivateKeyMultibase = did.EncodePrivateMultikey(priv)
			res := keygenOutput{PublicKeyMultibase: kf.PublicKeyMultibase, PublicKeyJWK: did.PublicJWK(pub)}
			if web == "" {
				kf.DID, kf.VerificationMethod = did.KeyDID(pub)
			} else {
				id, err := parseWebDID(web)
				if err != nil {
					return err
				}
				doc, err := did.NewDocument(id, []ed25519.PublicKey{pub})
				if err != nil {
					return err
				}
				u, err := did.WebURL(id)
				if err != nil {
					return err
				}
				kf.DID, kf.VerificationMethod, kf.Document = id, doc.VerificationMethod[0].ID, doc
				res.Document, res.DocumentURL = doc, u
			}
			kf.PrivateKeyJWK.Kid = kf.VerificationMethod
			res.PublicKeyJWK.Kid = kf.VerificationMethod
			res.DID, res.VerificationMethod = kf.DID, kf.VerificationMethod
			if out != "" {
				if err := writeKeyFile(out, kf, force); err != nil {
					return err
				}
				res.KeyFile = out
			}
			if showPrivate {
				res.PrivateKeyJWK, res.PrivateKeyMultibase = kf.PrivateKeyJWK, kf.PrivateKeyMultibase
			}
			return g.emit(res, func(w io.Writer) {
				if res.Document != nil {
					// stdout carries the document alone, ready to publish;
					// the rest goes to stderr.
					b, _ := json.MarshalIndent(res.Document, "", "  ")
					fmt.Fprintln(w, string(b))
					w = g.errOut
				}
				fmt.Fprintf(w, "DID:                 %s\n", res.DID)
				fmt.Fprintf(w, "verification method: %s\n", res.VerificationMethod)
				fmt.Fprintf(w, "public key:          %s\n", res.PublicKeyMultibase)
				if res.DocumentURL != "" {
					fmt.Fprintf(w, "publish the DID document (printed on stdout) at %s\n", res.DocumentURL)
				}
				if res.KeyFile != "" {
					fmt.Fprintf(w, "private key written to %s (mode 0600)\n", res.KeyFile)
				}
				if showPrivate {
					fmt.Fprintf(w, "private key:         %s\n", res.PrivateKeyMultibase)
					b, _ := json.Marshal(res.PrivateKeyJWK)
					fmt.Fprintf(w, "private key (JWK):   %s\n", b)
				}
			})
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "issuer-key.json", "key file to write (mode 0600)")
	cmd.Flags().StringVar(&web, "did-web", "", "make a did:web issuer for HOST[:PATH...] (e.g. example.org:issuers:1) and print its DID document")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key file")
	cmd.Flags().BoolVar(&showPrivate, "show-private", false, "also print the private key (JWK and multibase)")
	return cmd
}

// parseWebDID turns "example.org[:path...]" (or a full did:web) into a
// did:web. A port is written percent-encoded (example.org%3A8443:path), as
// in the DID itself.
func parseWebDID(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), did.WebPrefix)
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return "", fmt.Errorf("--did-web needs a host, e.g. example.org or example.org:issuers:1")
	}
	parts := strings.Split(strings.ReplaceAll(s, "/", ":"), ":")
	host := strings.ReplaceAll(strings.ReplaceAll(parts[0], "%3A", ":"), "%3a", ":")
	id := did.WebDID(host, parts[1:]...)
	if _, err := did.WebURL(id); err != nil {
		return "", fmt.Errorf("--did-web %q: %w", s, err)
	}
	return id, nil
}
