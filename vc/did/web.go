package did

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/netguard"
)

// WebPrefix starts every did:web.
const WebPrefix = "did:web:"

// WebDID returns the did:web of a host (with an optional port) and an
// optional path: WebDID("example.edu") is did:web:example.edu,
// WebDID("example.edu:8443", "issuers", "1") is
// did:web:example.edu%3A8443:issuers:1.
func WebDID(host string, path ...string) string {
	parts := []string{strings.ReplaceAll(host, ":", "%3A")}
	for _, p := range path {
		parts = append(parts, url.PathEscape(p))
	}
	return WebPrefix + strings.Join(parts, ":")
}

// WebURL returns the https URL of a did:web's document:
// https://host/.well-known/did.json, or https://host/path/did.json when
// the DID has a path. Errors match vc.ErrMalformed.
func WebURL(did string) (string, error) {
	if !strings.HasPrefix(did, WebPrefix) || strings.ContainsAny(did, "#?/") {
		return "", vc.Errorf(vc.ErrMalformed, "did: %q is not a did:web", clip(did))
	}
	parts := strings.Split(did[len(WebPrefix):], ":")
	host, err := url.PathUnescape(parts[0])
	if err != nil || host == "" || strings.ContainsAny(host, "/@ ") {
		return "", vc.Errorf(vc.ErrMalformed, "did: %q has no valid host", clip(did))
	}
	if len(parts) == 1 {
		return "https://" + host + "/.well-known/did.json", nil
	}
	segs := make([]string, 0, len(parts)-1)
	for _, p := range parts[1:] {
		s, err := url.PathUnescape(p)
		if err != nil || s == "" || s == "." || s == ".." || strings.Contains(s, "/") {
			return "", vc.Errorf(vc.ErrMalformed, "did: %q has an invalid path segment", clip(did))
		}
		segs = append(segs, url.PathEscape(s))
	}
	return "https://" + host + "/" + strings.Join(segs, "/") + "/did.json", nil
}

// WebHandler serves did:web documents: /.well-known/did.json for a DID
// without a path, /<path>/did.json for the others. Mount it at the root of
// the DID's host. Documents can be replaced at any time (key rotation).
type WebHandler struct {
	mu   sync.RWMutex
	docs map[string][]byte // URL path -> JSON
}

// NewWebHandler returns a handler serving docs (each a did:web document).
func NewWebHandler(docs ...*Document) (*WebHandler, error) {
	h := &WebHandler{docs: map[string][]byte{}}
	for _, d := range docs {
		if err := h.Set(d); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Set adds or replaces a document.
func (h *WebHandler) Set(d *Document) error {
	u, err := WebURL(d.ID)
	if err != nil {
		return err
	}
	pu, _ := url.Parse(u)
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.docs[pu.EscapedPath()] = b
	h.mu.Unlock()
	return nil
}

// ServeHTTP implements http.Handler.
func (h *WebHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mu.RLock()
	b, ok := h.docs[r.URL.EscapedPath()]
	h.mu.RUnlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/did+json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// Defaults of the Resolver.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMaxSize = 64 << 10
)

// ResolverOption configures a Resolver.
type ResolverOption func(*Resolver)

// WithNetPolicy sets where did:web fetches may go. The default, the zero
// netguard.Policy, fetches over https from public unicast addresses only,
// checked on the address dialled. netguard.Localhost() allows loopback
// and plain http (programs and tests on one machine); Policy.AllowHosts
// and AllowPrefixes name internal hosts and ranges a deployment trusts.
// An invalid policy makes every did:web resolution fail.
func WithNetPolicy(p netguard.Policy) ResolverOption {
	return func(r *Resolver) { r.policy = p }
}

// WithTLSConfig sets the TLS configuration of did:web fetches (the root
// CAs of a private authority or of a test server); default the system
// roots.
func WithTLSConfig(c *tls.Config) ResolverOption { return func(r *Resolver) { r.tls = c } }

// WithHTTPClient replaces the guarded client built from WithNetPolicy:
// did:web documents are fetched with a copy of c, which then decides
// where a fetch may go — pass a client made by netguard.New, never one
// without its policy. Its Timeout is lowered to the resolver's when larger
// or unset, and redirects are limited to the DID's https host.
func WithHTTPClient(c *http.Client) ResolverOption { return func(r *Resolver) { r.client = c } }

// WithTimeout bounds one did:web fetch; default DefaultTimeout.
func WithTimeout(d time.Duration) ResolverOption { return func(r *Resolver) { r.timeout = d } }

// WithMaxSize bounds a did:web document; default DefaultMaxSize.
func WithMaxSize(n int64) ResolverOption { return func(r *Resolver) { r.max = n } }

// WithDocument makes the resolver answer did with d without fetching
// (pinned documents, tests, offline verification).
func WithDocument(d *Document) ResolverOption {
	return func(r *Resolver) { r.pinned[d.ID] = d }
}

// WithCacheTTL caches fetched did:web documents for ttl (default 0: no
// cache).
func WithCacheTTL(ttl time.Duration) ResolverOption { return func(r *Resolver) { r.ttl = ttl } }

// WithCacheSize bounds the did:web document cache to entries documents
// and about bytes bytes of memory (the documents' size plus a fixed
// overhead per entry); the least recently used go first, expired ones
// before them. Zero or negative values keep the defaults,
// DefaultCacheEntries and DefaultCacheBytes.
func WithCacheSize(entries int, bytes int64) ResolverOption {
	return func(r *Resolver) { r.cacheN, r.cacheBytes = entries, bytes }
}

// WithClock sets the clock of cache expiry; default time.Now.
func WithClock(now func() time.Time) ResolverOption { return func(r *Resolver) { r.now = now } }

// FetchError reports a did:web document that could not be fetched: the
// policy refused the destination, the connection or the request failed,
// the host answered other than 200 OK, or the document is over the size
// limit. Its Error text is generic, fit for a remote caller; Detail names
// the DID, the URL and the cause, for logs. It matches vc.ErrResolve (and
// Kind, vc.ErrTooLarge for a document over the limit) and unwraps to the
// cause: a *netguard.DeniedError when the policy refused.
type FetchError struct {
	// DID is the DID being resolved, URL its document's URL.
	DID, URL string
	// Kind is vc.ErrResolve or vc.ErrTooLarge.
	Kind error
	// Err is the cause.
	Err error
}

// Error implements error with a text that names no address or cause.
func (e *FetchError) Error() string { return "did:web document could not be fetched" }

// Detail says what failed, for logs (not for remote callers: it can name
// internal addresses and network errors).
func (e *FetchError) Detail() string {
	s := "did: fetching " + clip(e.DID)
	if e.URL != "" {
		s += " from " + clip(e.URL)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is vc.ErrResolve or e's Kind.
func (e *FetchError) Is(target error) bool { return target == vc.ErrResolve || target == e.Kind }

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Resolver resolves did:key (locally) and did:web (over HTTPS) DIDs and
// verification methods. It implements vc.Resolver and is safe for
// concurrent use.
//
// did:web documents are fetched through a vc/netguard client: by default
// https only, from public unicast addresses only (loopback, private,
// link-local, CGNAT, multicast, unspecified, broadcast, documentation and
// IPv4-mapped addresses are refused on the address dialled, redirects
// included); WithNetPolicy widens that for internal hosts or local
// development. Fetched documents are cached (WithCacheTTL) within
// WithCacheSize's bounds.
type Resolver struct {
	client     *http.Client
	policy     netguard.Policy
	tls        *tls.Config
	err        error // an invalid policy
	timeout    time.Duration
	max        int64
	ttl        time.Duration
	cacheN     int
	cacheBytes int64
	now        func() time.Time
	pinned     map[string]*Document
	cache      *docCache
}

var _ vc.Resolver = (*Resolver)(nil)

// NewResolver returns a Resolver.
func NewResolver(opts ...ResolverOption) *Resolver {
	r := &Resolver{timeout: DefaultTimeout, max: DefaultMaxSize, pinned: map[string]*Document{}, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.max <= 0 {
		r.max = DefaultMaxSize
	}
	if r.cacheN <= 0 {
		r.cacheN = DefaultCacheEntries
	}
	if r.cacheBytes <= 0 {
		r.cacheBytes = DefaultCacheBytes
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.cache = newDocCache(r.cacheN, r.cacheBytes)
	base := r.client
	if base == nil {
		// One byte over the limit passes the client, so that the size
		// check below reports it.
		g, err := netguard.New(netguard.Config{Policy: r.policy, Timeout: r.timeout, MaxBytes: r.max + 1, TLS: r.tls})
		if err != nil {
			r.err = err
			g = netguard.Default()
		}
		base = g
	}
	c := *base
	if c.Timeout == 0 || c.Timeout > r.timeout {
		c.Timeout = r.timeout
	}
	// A did:web document lives at one URL: a redirect to another host
	// would let that host speak for the DID (and reach internal ones).
	// The guarded client's transport re-checks each hop's address too.
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || req.URL.Scheme != "https" || req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("refusing a redirect to %s", clip(req.URL.String()))
		}
		return nil
	}
	r.client = &c
	return r
}

// Resolve returns the DID document of did (did:key or did:web). Errors
// match vc.ErrResolve, vc.ErrMalformed or vc.ErrUnsupported; a did:web
// document that could not be fetched is a *FetchError.
func (r *Resolver) Resolve(ctx context.Context, did string) (*Document, error) {
	if d, ok := r.pinned[did]; ok {
		return d, nil
	}
	switch {
	case strings.HasPrefix(did, KeyPrefix):
		return KeyDocument(did)
	case strings.HasPrefix(did, WebPrefix):
		return r.resolveWeb(ctx, did)
	}
	return nil, vc.Errorf(vc.ErrUnsupported, "did: method of %q is not supported (did:key, did:web)", clip(did))
}

func (r *Resolver) resolveWeb(ctx context.Context, did string) (*Document, error) {
	if r.ttl > 0 {
		if d, ok := r.cache.Get(did, r.now()); ok {
			return d, nil
		}
	}
	u, err := WebURL(did)
	if err != nil {
		return nil, err
	}
	fail := func(kind, cause error) error { return &FetchError{DID: did, URL: u, Kind: kind, Err: cause} }
	if r.err != nil {
		return nil, fail(vc.ErrResolve, r.err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail(vc.ErrResolve, err)
	}
	req.Header.Set("Accept", "application/did+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if errors.Is(err, netguard.ErrTooLarge) {
			return nil, fail(vc.ErrTooLarge, err)
		}
		return nil, fail(vc.ErrResolve, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(vc.ErrResolve, fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, r.max+1))
	if err != nil {
		if errors.Is(err, netguard.ErrTooLarge) {
			return nil, fail(vc.ErrTooLarge, err)
		}
		return nil, fail(vc.ErrResolve, err)
	}
	if int64(len(b)) > r.max {
		return nil, fail(vc.ErrTooLarge, fmt.Errorf("the document is over %d bytes", r.max))
	}
	d, err := ParseDocument(b)
	if err != nil {
		// What the host served is no DID document: the DID cannot be
		// resolved (the cause says why).
		return nil, vc.Wrap(vc.ErrResolve, err, "did: document of "+clip(did))
	}
	if d.ID != did {
		return nil, vc.Errorf(vc.ErrResolve, "did: document at %s is for %s, not %s", u, clip(d.ID), clip(did))
	}
	if r.ttl > 0 {
		now := r.now()
		// The parsed document takes about twice its JSON.
		r.cache.Put(did, d, 2*int64(len(b)), now.Add(r.ttl), now)
	}
	return d, nil
}

// ResolveVerificationMethod implements vc.Resolver: it resolves the DID of
// id and returns the method with its relationships.
func (r *Resolver) ResolveVerificationMethod(ctx context.Context, id string) (vc.VerificationMethod, error) {
	if !strings.Contains(id, "#") {
		return vc.VerificationMethod{}, vc.Errorf(vc.ErrResolve, "did: verification method %q has no fragment", clip(id))
	}
	d, err := r.Resolve(ctx, vc.DIDOf(id))
	if err != nil {
		return vc.VerificationMethod{}, err
	}
	return d.Method(id)
}
