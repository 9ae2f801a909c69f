package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/netguard"
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
	var vf verifyFlags
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

Every fetch — the URL argument, did:web documents, status lists — goes
through one guarded client: https only, public addresses only (no loopback,
private, link-local, CGNAT … checked on the address actually dialled), at
most 3 redirects, each re-checked and never from https to http, a size cap
and a 15 s deadline. --allow-host and --allow-cidr name internal hosts or
ranges you trust; --allow-http permits plain http to exactly those; --ca-file
trusts a private certificate authority.
A status entry that cannot be checked gives the verdict status-unknown, never
valid.

Verdicts: valid, invalid, revoked, suspended, status-unknown.
Exit status: 0 when valid, 2 for any other verdict, 1 on usage errors
(unreadable file, bad flags).`,
		Example: `  credshare verify cred.json
  credshare verify --json - < cred.json
  credshare verify --allow-network https://example.org/credentials/42
  credshare verify --allow-network --allow-host did.internal.example.edu --ca-file corp-ca.pem cred.json
  credshare verify --allow-host localhost --allow-http http://localhost:8080/credentials/42`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := vf.nf.client()
			if err != nil {
				return err
			}
			b, err := fetchInput(ctx, client, args[0], cmd.InOrStdin(), vc.MaxDocumentSize)
			if err != nil {
				return err
			}
			return vf.verify(ctx, g, client, args[0], b)
		},
	}
	vf.register(cmd)
	return cmd
}

// verifyFlags are the flags that say how verify checks a credential;
// unbake --verify takes the same.
type verifyFlags struct {
	nf                 netFlags
	didDocs, listFiles []string
	at                 string
	leeway             time.Duration
}

// register declares the flags on cmd.
func (f *verifyFlags) register(cmd *cobra.Command) {
	f.nf.register(cmd, "resolve did:web issuers and fetch remote status lists over HTTPS")
	cmd.Flags().StringArrayVar(&f.didDocs, "did-doc", nil, "DID document file to trust for its DID (e.g. a did:web document, offline); repeatable")
	cmd.Flags().StringArrayVar(&f.listFiles, "status-list-file", nil, "status list credential file to use for its id (URL) instead of fetching it; repeatable")
	cmd.Flags().StringVar(&f.at, "at", "", "check validity at this time (RFC 3339) instead of now")
	cmd.Flags().DurationVar(&f.leeway, "leeway", 0, "tolerated clock skew on validity dates")
}

// verify checks the credential b, read from source, with client (made
// by f.nf.client) for every fetch, and prints the verdict. A verdict
// other than valid is exitCode(2).
func (f *verifyFlags) verify(ctx context.Context, g *globals, client *http.Client, source string, b []byte) error {
	ropts, pinned, err := pinnedDocuments(f.didDocs)
	if err != nil {
		return err
	}
	ropts = append(ropts, did.WithHTTPClient(client))
	cfg := verify.Config{
		Resolver: gatedResolver{r: did.NewResolver(ropts...), network: f.nf.allowNetwork, pinned: pinned},
		Loader:   ld.Default(),
		Leeway:   f.leeway,
	}
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return fmt.Errorf("--at %q is not RFC 3339", f.at)
		}
		cfg.Now = func() time.Time { return t }
	}
	if cfg.Status, err = statusChecker(cfg, client, f.nf, f.listFiles); err != nil {
		return err
	}
	v, err := verify.New(cfg)
	if err != nil {
		return err
	}
	res := v.VerifyCredential(ctx, b)
	out := verifyOutput{Source: source, Result: res}
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

// readInput reads a file, an https URL or stdin ("-"), at most limit
// bytes, fetching through the default guarded client (public https
// addresses only).
func readInput(ctx context.Context, src string, stdin io.Reader, limit int64) ([]byte, error) {
	return fetchInput(ctx, netguard.Default(), src, stdin, limit)
}

// fetchInput reads a file, an http(s) URL (fetched with client) or stdin
// ("-"), at most limit bytes (a larger input is an error, not a truncated
// document).
func fetchInput(ctx context.Context, client *http.Client, src string, stdin io.Reader, limit int64) ([]byte, error) {
	var r io.Reader
	switch {
	case src == "-":
		r = stdin
	case strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://"):
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/vc+ld+json, application/ld+json, application/json, application/jwt, */*")
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL is named below
			}
			var ua x509.UnknownAuthorityError
			var de *netguard.DeniedError
			switch {
			case errors.As(err, &de) && strings.Contains(de.Reason, "redirect from https"):
				return nil, fmt.Errorf("fetching %s: %w (an https URL is never followed to http, whatever the flags)", src, err)
			case errors.Is(err, netguard.ErrDenied):
				return nil, fmt.Errorf("fetching %s: %w\n%s", src, err, deniedHint)
			case errors.As(err, &ua):
				return nil, fmt.Errorf("fetching %s: %w (a private CA? pass it with --ca-file)", src, err)
			}
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

// deniedHint follows a refused fetch.
const deniedHint = `credshare fetches only https URLs of public addresses; to reach a host inside
your network name it with --allow-host HOST (or its range with --allow-cidr),
add --allow-http for plain http to it, and --ca-file for a private CA`

// fetchTimeout bounds one fetch of verify, redirects and body included.
const fetchTimeout = 15 * time.Second

// netFlags are the flags that govern the fetches of verify and status.
type netFlags struct {
	allowNetwork bool
	hosts, cidrs []string
	allowHTTP    bool
	caFile       string
}

// register declares the flags on cmd; network describes --allow-network.
func (f *netFlags) register(cmd *cobra.Command, network string) {
	cmd.Flags().BoolVar(&f.allowNetwork, "allow-network", false, network)
	cmd.Flags().StringArrayVar(&f.hosts, "allow-host", nil, "let fetches reach this host wherever it resolves (exact name, *.suffix or IP address); repeatable")
	cmd.Flags().StringArrayVar(&f.cidrs, "allow-cidr", nil, "let fetches reach addresses in this range (e.g. 10.20.0.0/16); repeatable")
	cmd.Flags().BoolVar(&f.allowHTTP, "allow-http", false, "allow plain http to the hosts and ranges named by --allow-host/--allow-cidr (never a redirect from https)")
	cmd.Flags().StringVar(&f.caFile, "ca-file", "", "PEM file of certificate authorities to trust besides the system's (a private CA)")
}

// client returns the guarded client of every fetch verify makes: the
// default netguard policy widened by --allow-host, --allow-cidr and
// --allow-http, trusting --ca-file besides the system roots.
func (f netFlags) client() (*http.Client, error) {
	pol := netguard.Policy{AllowHTTP: f.allowHTTP}
	for _, h := range f.hosts {
		if strings.TrimSpace(h) == "" {
			return nil, errors.New("--allow-host needs a host name, *.suffix or IP address")
		}
		pol.AllowHosts = append(pol.AllowHosts, h)
	}
	for _, c := range f.cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(c))
			if aerr != nil {
				return nil, fmt.Errorf("--allow-cidr %q is not an address range like 10.20.0.0/16", c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		pol.AllowPrefixes = append(pol.AllowPrefixes, p)
	}
	if f.allowHTTP && len(pol.AllowHosts) == 0 && len(pol.AllowPrefixes) == 0 {
		return nil, errors.New("--allow-http needs --allow-host or --allow-cidr: plain http is allowed only to the destinations you name")
	}
	cfg := netguard.Config{Policy: pol, Timeout: fetchTimeout}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", f.caFile)
		}
		cfg.TLS = &tls.Config{RootCAs: pool}
	}
	c, err := netguard.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("--allow-host/--allow-cidr: %w", err)
	}
	if f.allowHTTP {
		c.Transport = &namedHTTPOnly{next: c.Transport, hosts: pol.AllowHosts, prefixes: pol.AllowPrefixes}
	}
	return c, nil
}

// namedHTTPOnly lets plain http reach only the hosts of --allow-host and
// the IP addresses in --allow-cidr, not every host the policy admits over
// https (a status list fetched over plain http from anywhere else could be
// replaced by an older signed one). It wraps the guarded transport, which
// still checks every address, redirect and size.
type namedHTTPOnly struct {
	next     http.RoundTripper
	hosts    []string
	prefixes []netip.Prefix
}

// RoundTrip implements http.RoundTripper.
func (t *namedHTTPOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && !t.named(r.URL.Hostname()) {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, &netguard.DeniedError{Target: "http://" + r.URL.Host,
			Reason: "plain http goes only to a host named by --allow-host or an address in --allow-cidr"}
	}
	return t.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// guarded transport.
func (t *namedHTTPOnly) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *namedHTTPOnly) named(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		for _, p := range t.prefixes {
			if p.Contains(a) {
				return true
			}
		}
		for _, h := range t.hosts {
			if b, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(h), "[]")); err == nil && b.Unmap() == a {
				return true
			}
		}
		return false
	}
	for _, h := range t.hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:])) {
			return true
		}
	}
	return false
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
	vm, err := g.r.ResolveVerificationMethod(ctx, id)
	return vm, withDetail(err)
}

// detailedChecker is a status checker whose fetch errors say what failed.
type detailedChecker struct{ c vc.StatusChecker }

func (d detailedChecker) CheckStatus(ctx context.Context, issuerID string, entry vc.StatusEntry) (vc.StatusResult, error) {
	r, err := d.c.CheckStatus(ctx, issuerID, entry)
	return r, withDetail(err)
}

// detailedError shows the Detail of a did:web or status list fetch error
// instead of its generic text. The library keeps the text generic for
// servers answering remote callers; verify runs on the user's machine, so
// the address and the network error help and reveal nothing to anyone
// else.
type detailedError struct {
	err    error
	detail string
}

func (e *detailedError) Error() string { return e.detail }
func (e *detailedError) Unwrap() error { return e.err }

func withDetail(err error) error {
	var de *did.FetchError
	var se *status.FetchError
	detail := ""
	switch {
	case errors.As(err, &de):
		detail = de.Detail()
	case errors.As(err, &se):
		detail = se.Detail()
	default:
		return err
	}
	if errors.Is(err, netguard.ErrDenied) {
		detail += " (to reach a host inside your network, see --allow-host, --allow-cidr, --allow-http and --ca-file)"
	}
	return &detailedError{err: err, detail: detail}
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
// status.Checker verifying list proofs with the same resolver, reading list
// credentials from the --status-list-file documents and, only when the
// network is allowed, fetching the others with the guarded client. A list
// it cannot read makes the verdict status-unknown.
func statusChecker(cfg verify.Config, client *http.Client, nf netFlags, files []string) (vc.StatusChecker, error) {
	t := &listTransport{docs: map[string][]byte{}, network: nf.allowNetwork, allowHTTP: nf.allowHTTP, next: client.Transport}
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
	// The same guarded client, answering pinned lists itself. Plain http
	// URLs are accepted by the checker (its policy's AllowHTTP; the
	// addresses are the client's business) for pinned documents (a local
	// deployment's lists) and, with --allow-http, for the named hosts; the
	// transport refuses every other http URL.
	lc := *client
	lc.Transport = t
	opts := []status.CheckerOption{status.WithHTTPClient(&lc), status.WithNetPolicy(netguard.Policy{AllowHTTP: true})}
	if cfg.Now != nil {
		opts = append(opts, status.WithClock(cfg.Now))
	}
	c, err := statusproof.NewChecker(cfg.Resolver, opts...)
	if err != nil {
		return nil, err
	}
	return detailedChecker{c}, nil
}

// listTransport serves pinned status list credentials by URL and, when the
// network is allowed, fetches the others through next (the guarded
// transport).
type listTransport struct {
	docs      map[string][]byte
	network   bool
	allowHTTP bool
	next      http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *listTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if b, ok := t.docs[r.URL.String()]; ok {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/vc+ld+json"}},
			Body:          io.NopCloser(bytes.NewReader(b)),
			ContentLength: int64(len(b)), Request: r,
		}, nil
	}
	if r.URL.Scheme != "https" && !t.allowHTTP {
		return nil, fmt.Errorf("%s: only https status lists are fetched (or give the list with --status-list-file)", r.URL)
	}
	if !t.network {
		return nil, fmt.Errorf("%s is not fetched offline (pass --allow-network, or the list with --status-list-file)", r.URL)
	}
	return t.next.RoundTrip(r)
}
