package did

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
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

// WithHTTPClient sets the client that fetches did:web documents (its
// Timeout is lowered to the resolver's when larger or unset).
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

// Resolver resolves did:key (locally) and did:web (over HTTPS) DIDs and
// verification methods. It implements vc.Resolver and is safe for
// concurrent use.
type Resolver struct {
	client  *http.Client
	timeout time.Duration
	max     int64
	ttl     time.Duration
	pinned  map[string]*Document

	mu    sync.Mutex
	cache map[string]cachedDoc
}

type cachedDoc struct {
	doc *Document
	exp time.Time
}

var _ vc.Resolver = (*Resolver)(nil)

// NewResolver returns a Resolver.
func NewResolver(opts ...ResolverOption) *Resolver {
	r := &Resolver{timeout: DefaultTimeout, max: DefaultMaxSize, pinned: map[string]*Document{}, cache: map[string]cachedDoc{}}
	for _, o := range opts {
		o(r)
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.max <= 0 {
		r.max = DefaultMaxSize
	}
	c := http.Client{}
	if r.client != nil {
		c = *r.client
	}
	if c.Timeout == 0 || c.Timeout > r.timeout {
		c.Timeout = r.timeout
	}
	// A did:web document lives at one URL: a redirect to another host
	// would let that host speak for the DID (and reach internal ones).
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || req.URL.Scheme != "https" || req.URL.Host != via[0].URL.Host {
			return vc.Errorf(vc.ErrResolve, "did: refusing redirect to %s", clip(req.URL.String()))
		}
		return nil
	}
	r.client = &c
	return r
}

// Resolve returns the DID document of did (did:key or did:web). Errors
// match vc.ErrResolve, vc.ErrMalformed or vc.ErrUnsupported.
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
		r.mu.Lock()
		c, ok := r.cache[did]
		r.mu.Unlock()
		if ok && time.Now().Before(c.exp) {
			return c.doc, nil
		}
	}
	u, err := WebURL(did)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, vc.Wrap(vc.ErrResolve, err, "did: "+clip(did))
	}
	req.Header.Set("Accept", "application/did+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, vc.Wrap(vc.ErrResolve, err, "did: fetching "+clip(did))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, vc.Errorf(vc.ErrResolve, "did: fetching %s: HTTP %d", clip(did), resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, r.max+1))
	if err != nil {
		return nil, vc.Wrap(vc.ErrResolve, err, "did: reading "+clip(did))
	}
	if int64(len(b)) > r.max {
		return nil, vc.Errorf(vc.ErrTooLarge, "did: document of %s is over %d bytes", clip(did), r.max)
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
		r.mu.Lock()
		r.cache[did] = cachedDoc{doc: d, exp: time.Now().Add(r.ttl)}
		r.mu.Unlock()
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
