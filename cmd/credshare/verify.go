package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/verify"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newVerifyCmd) }

// verifyOutput is what verify prints with --json.
type verifyOutput struct {
	Source string `json:"source"`
	vc.Result
	ID         string    `json:"id,omitempty"`
	Name       string    `json:"name,omitempty"`
	Types      []string  `json:"types,omitempty"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Status     []string  `json:"status_entries,omitempty"`
}

func newVerifyCmd(g *globals) *cobra.Command {
	var allowNetwork bool
	var didDocs, listFiles []string
	var at string
	var leeway time.Duration
	cmd := &cobra.Command{
		Use:   "verify FILE|URL|-",
		Short: "Verify a credential (JSON-LD proof or VC-JWT) and print a verdict with reasons",
		Long: `verify checks a credential read from a file, a URL or stdin (-): every proof
(eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020 or a VC-JWT), that the
signing key belongs to the issuer, the validity period and, when the credential
has a credentialStatus, its revocation or suspension status.

It works offline by default: JSON-LD contexts come from the bundled set, did:key
issuers resolve locally, did:web documents are read only from --did-doc files
and status list credentials only from --status-list-file files (each used for
the URL in its id). --allow-network lets it fetch did:web documents and remote
status lists over HTTPS.
A status entry that cannot be checked gives the verdict status-unknown, never
valid.

Verdicts: valid, invalid, revoked, suspended, status-unknown.
Exit status: 0 when valid, 2 for any other verdict, 1 on usage errors
(unreadable file, bad flags).`,
		Example: `  credshare verify cred.json
  credshare verify --json - < cred.json
  credshare verify --allow-network https://example.org/credentials/42`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			b, err := readInput(ctx, args[0], cmd.InOrStdin(), vc.MaxDocumentSize)
			if err != nil {
				return err
			}
			ropts, pinned, err := pinnedDocuments(didDocs)
			if err != nil {
				return err
			}
			cfg := verify.Config{
				Resolver: gatedResolver{r: did.NewResolver(ropts...), network: allowNetwork, pinned: pinned},
				Loader:   ld.Default(),
				Leeway:   leeway,
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at %q is not RFC 3339", at)
				}
				cfg.Now = func() time.Time { return t }
			}
			if cfg.Status, err = statusChecker(cfg, allowNetwork, listFiles); err != nil {
				return err
			}
			v, err := verify.New(cfg)
			if err != nil {
				return err
			}
			res := v.VerifyCredential(ctx, b)
			out := verifyOutput{Source: args[0], Result: res}
			if c := res.Credential; c != nil {
				out.ID, out.Name, out.Types = c.ID, c.Name, c.Type
				out.ValidFrom, out.ValidUntil = c.Validity()
				for _, e := range c.CredentialStatus {
					out.Status = append(out.Status, fmt.Sprintf("%s %s[%s]", e.StatusPurpose, e.StatusListCredential, e.StatusListIndex))
				}
			}
			if err := g.emit(out, func(w io.Writer) { printVerdict(w, out) }); err != nil {
				return err
			}
			if !res.Valid() {
				return exitCode(2)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowNetwork, "allow-network", false, "resolve did:web issuers and fetch remote status lists over HTTPS")
	cmd.Flags().StringArrayVar(&didDocs, "did-doc", nil, "DID document file to trust for its DID (e.g. a did:web document, offline); repeatable")
	cmd.Flags().StringArrayVar(&listFiles, "status-list-file", nil, "status list credential file to use for its id (URL) instead of fetching it; repeatable")
	cmd.Flags().StringVar(&at, "at", "", "check validity at this time (RFC 3339) instead of now")
	cmd.Flags().DurationVar(&leeway, "leeway", 0, "tolerated clock skew on validity dates")
	return cmd
}

func printVerdict(w io.Writer, o verifyOutput) {
	mark := "✗"
	if o.Valid() {
		mark = "✓"
	}
	fmt.Fprintf(w, "%s %s: %s\n", mark, o.Source, strings.ToUpper(string(o.Verdict)))
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-12s %s\n", k+":", v)
		}
	}
	row("credential", o.ID)
	row("name", o.Name)
	row("issuer", o.Issuer)
	format := o.Format
	if len(o.ProofTypes) > 0 {
		format += " (" + strings.Join(o.ProofTypes, ", ") + ")"
	}
	row("format", format)
	row("signed by", strings.Join(o.VerificationMethods, ", "))
	if !o.ValidFrom.IsZero() {
		row("valid from", o.ValidFrom.UTC().Format(time.RFC3339))
	}
	if !o.ValidUntil.IsZero() {
		row("valid until", o.ValidUntil.UTC().Format(time.RFC3339))
	}
	for _, s := range o.Status {
		row("status", s)
	}
	if len(o.Reasons) > 0 {
		fmt.Fprintln(w, "  reasons:")
		for _, r := range o.Reasons {
			fmt.Fprintf(w, "    - [%s] %s\n", r.Code, r.Message)
		}
	}
}

// readInput reads a file, an http(s) URL or stdin ("-"), at most limit
// bytes (a larger input is an error, not a truncated document).
func readInput(ctx context.Context, src string, stdin io.Reader, limit int64) ([]byte, error) {
	var r io.Reader
	switch {
	case src == "-":
		r = stdin
	case strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://"):
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/vc+ld+json, application/ld+json, application/json, application/jwt, */*")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetching %s: %w", src, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetching %s: HTTP %s", src, resp.Status)
		}
		r = resp.Body
	default:
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", src, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", src, limit)
	}
	return b, nil
}

// gatedResolver resolves did:key locally and did:web only from pinned
// documents, unless the network is allowed.
type gatedResolver struct {
	r       *did.Resolver
	network bool
	pinned  map[string]bool
}

func (g gatedResolver) ResolveVerificationMethod(ctx context.Context, id string) (vc.VerificationMethod, error) {
	d := vc.DIDOf(id)
	if !g.network && !strings.HasPrefix(d, did.KeyPrefix) && !g.pinned[d] {
		return vc.VerificationMethod{}, vc.Errorf(vc.ErrResolve,
			"%s is not resolved offline: pass --allow-network to fetch its DID document, or --did-doc FILE", d)
	}
	return g.r.ResolveVerificationMethod(ctx, id)
}

// pinnedDocuments reads --did-doc files: resolver options answering their
// DIDs without fetching, and the set of those DIDs.
func pinnedDocuments(files []string) ([]did.ResolverOption, map[string]bool, error) {
	var opts []did.ResolverOption
	pinned := map[string]bool{}
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		d, err := did.ParseDocument(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("--did-doc %s: %w", p, err)
		}
		opts = append(opts, did.WithDocument(d))
		pinned[d.ID] = true
	}
	return opts, pinned, nil
}

// statusChecker returns the checker of credentialStatus entries: a
// status.Checker verifying list proofs with the same resolver, fetching list
// credentials only from the --status-list-file documents unless the network
// is allowed. A list it cannot read makes the verdict status-unknown.
func statusChecker(cfg verify.Config, allowNetwork bool, files []string) (vc.StatusChecker, error) {
	t := &listTransport{docs: map[string][]byte{}, network: allowNetwork}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.ID == "" {
			return nil, fmt.Errorf("--status-list-file %s: not a status list credential with an id", p)
		}
		t.docs[head.ID] = b
	}
	// Plain http is allowed for pinned documents only (a local
	// deployment's lists); the transport refuses every other http URL.
	opts := []status.CheckerOption{status.WithHTTPClient(&http.Client{Transport: t}), status.WithAllowHTTP()}
	if cfg.Now != nil {
		opts = append(opts, status.WithClock(cfg.Now))
	}
	return statusproof.NewChecker(cfg.Resolver, opts...)
}

// listTransport serves pinned status list credentials by URL and, when the
// network is allowed, fetches the others.
type listTransport struct {
	docs    map[string][]byte
	network bool
}

func (t *listTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if b, ok := t.docs[r.URL.String()]; ok {
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/vc+ld+json"}},
			Body:          io.NopCloser(bytes.NewReader(b)),
			ContentLength: int64(len(b)), Request: r,
		}, nil
	}
	if r.URL.Scheme != "https" {
		return nil, fmt.Errorf("%s: only https status lists are fetched (or give the list with --status-list-file)", r.URL)
	}
	if !t.network {
		return nil, fmt.Errorf("%s is not fetched offline (pass --allow-network, or the list with --status-list-file)", r.URL)
	}
	return http.DefaultTransport.RoundTrip(r)
}
