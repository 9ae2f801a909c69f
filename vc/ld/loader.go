package ld

import (
	"container/list"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld/rdfc"
	"github.com/credshare/credshare/vc/netguard"
	gold "github.com/piprate/json-gold/ld"
)

//go:embed contexts/*.json contexts/*.jsonld
var files embed.FS

// Defaults of Config.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultMaxSize   = 256 << 10
	DefaultCacheSize = 64
)

// Config configures a Loader. The zero value serves the bundled contexts
// only and refuses every other URL — the right default in production (no
// SSRF, no slow context fetches).
type Config struct {
	// AllowHosts lists host names (exact, lower case) whose https URLs may
	// be fetched when a context is not bundled. They are public hosts: the
	// default client refuses them when they resolve to a loopback, private
	// or other non-public address.
	AllowHosts []string
	// Client fetches allowed URLs. It is used as given — build it with
	// netguard.New (a plain http.Client would dial whatever address an
	// allowed host resolves to) — except that a redirect is followed only
	// to an https URL of an allowed host. Default: a netguard client with
	// the default policy (https, public addresses only), Timeout and
	// MaxSize.
	Client *http.Client
	// Timeout bounds one fetch (through the request's context, whatever
	// the client); default DefaultTimeout.
	Timeout time.Duration
	// MaxSize bounds a fetched document in bytes; default DefaultMaxSize.
	MaxSize int64
	// CacheSize bounds the fetched documents kept; default DefaultCacheSize.
	CacheSize int
	// Contexts adds documents (URL to JSON) served like the bundled ones,
	// taking precedence over them.
	Contexts map[string][]byte
	// Canon is the canonicaliser's budget and hash (package rdfc); the
	// zero value is rdfc's defaults with MaxBlankNodes as its blank node
	// limit. Canonicalize counts blank nodes against MaxBlankNodes (or
	// Canon.MaxBlankNodes when set) before it canonicalises.
	Canon rdfc.Options
}

// Loader is a JSON-LD document loader (it implements json-gold's
// ld.DocumentLoader) and canonicaliser. It is safe for concurrent use.
type Loader struct {
	local   map[string]any
	allow   map[string]bool
	client  *http.Client
	timeout time.Duration
	max     int64
	size    int
	canon   rdfc.Options

	mu    sync.Mutex
	cache map[string]*list.Element
	lru   *list.List

	fast fastState
}

type cached struct {
	url string
	doc any
}

var bundled = sync.OnceValues(func() (map[string]any, error) {
	idx, err := files.ReadFile("contexts/index.json")
	if err != nil {
		return nil, err
	}
	var names map[string]string
	if err := json.Unmarshal(idx, &names); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(names))
	for u, name := range names {
		b, err := files.ReadFile("contexts/" + name)
		if err != nil {
			return nil, err
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("context %s: %w", u, err)
		}
		out[u] = doc
	}
	return out, nil
})

// Bundled returns the URLs of the bundled contexts, sorted.
func Bundled() []string {
	m, _ := bundled()
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// BundledContext returns the bundled document of url as JSON.
func BundledContext(url string) ([]byte, bool) {
	m, _ := bundled()
	doc, ok := m[url]
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(doc)
	return b, err == nil
}

// New returns a Loader.
func New(cfg Config) (*Loader, error) {
	base, err := bundled()
	if err != nil {
		return nil, fmt.Errorf("ld: bundled contexts: %w", err)
	}
	l := &Loader{local: base, allow: map[string]bool{}, client: cfg.Client, max: cfg.MaxSize, size: cfg.CacheSize,
		cache: map[string]*list.Element{}, lru: list.New(),
		fast: fastState{gen: newGeneration(), iris: map[string]bool{}}}
	if len(cfg.Contexts) > 0 {
		l.local = make(map[string]any, len(base)+len(cfg.Contexts))
		for k, v := range base {
			l.local[k] = v
		}
		for u, b := range cfg.Contexts {
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, fmt.Errorf("ld: Config.Contexts[%s]: %w", u, err)
			}
			l.local[u] = doc
		}
	}
	for _, h := range cfg.AllowHosts {
		if h == "" || strings.ContainsAny(h, "/:") {
			return nil, fmt.Errorf("ld: Config.AllowHosts: %q is not a host name", h)
		}
		l.allow[strings.ToLower(h)] = true
	}
	if cfg.Timeout < 0 || cfg.MaxSize < 0 || cfg.CacheSize < 0 {
		return nil, errors.New("ld: Config: negative Timeout, MaxSize or CacheSize")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	l.timeout = cfg.Timeout
	if l.max == 0 {
		l.max = DefaultMaxSize
	}
	if l.size == 0 {
		l.size = DefaultCacheSize
	}
	if cfg.Canon.MaxBlankNodes < 0 {
		return nil, errors.New("ld: Config.Canon: negative MaxBlankNodes")
	}
	l.canon = cfg.Canon
	if l.canon.MaxBlankNodes == 0 {
		l.canon.MaxBlankNodes = MaxBlankNodes
	}
	if err := l.canon.Validate(); err != nil {
		return nil, fmt.Errorf("ld: Config.Canon: %w", err)
	}
	src := cfg.Client // used as given; only redirects are narrowed below
	if src == nil {
		g, err := netguard.New(netguard.Config{Timeout: cfg.Timeout, MaxBytes: l.max + 1})
		if err != nil {
			return nil, fmt.Errorf("ld: %w", err)
		}
		src = g
	}
	c := *src
	// Redirects only to allowed https hosts, then whatever the client's
	// own policy says.
	own := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || req.URL.Scheme != "https" || !l.allow[strings.ToLower(req.URL.Hostname())] {
			return vc.Errorf(vc.ErrContext, "ld: refusing redirect to %s", clip(req.URL.String()))
		}
		if own != nil {
			return own(req, via)
		}
		return nil
	}
	l.client = &c
	return l, nil
}

// Default returns a Loader serving the bundled contexts only.
func Default() *Loader {
	l, err := New(Config{})
	if err != nil {
		panic(err) // the embedded files are part of the build
	}
	return l
}

// LoadDocument implements json-gold's ld.DocumentLoader. A fetch it makes
// is bounded by Config.Timeout but by no context: Canonicalize passes its
// own context to the fetches it causes.
func (l *Loader) LoadDocument(u string) (*gold.RemoteDocument, error) {
	return l.load(context.Background(), u)
}

func (l *Loader) load(ctx context.Context, u string) (*gold.RemoteDocument, error) {
	if err := ctx.Err(); err != nil {
		return nil, gold.NewJsonLdError(gold.LoadingDocumentFailed, err)
	}
	if doc, ok := l.local[u]; ok {
		return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
	}
	doc, err := l.fetch(ctx, u)
	if err != nil {
		return nil, gold.NewJsonLdError(gold.LoadingDocumentFailed, err)
	}
	return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// ctxLoader is the Loader seen by json-gold during one Canonicalize call:
// its fetches use that call's context.
type ctxLoader struct {
	l   *Loader
	ctx context.Context
}

func (c ctxLoader) LoadDocument(u string) (*gold.RemoteDocument, error) { return c.l.load(c.ctx, u) }

func (l *Loader) fetch(ctx context.Context, raw string) (any, error) {
	pu, err := url.Parse(raw)
	if err != nil || pu.Scheme != "https" || !l.allow[strings.ToLower(pu.Hostname())] {
		return nil, vc.Errorf(vc.ErrContext, "ld: context %q is not bundled and its host is not allowed", clip(raw))
	}
	l.mu.Lock()
	if e, ok := l.cache[raw]; ok {
		l.lru.MoveToFront(e)
		doc := e.Value.(*cached).doc
		l.mu.Unlock()
		return doc, nil
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, vc.Wrap(vc.ErrContext, err, "ld: context request")
	}
	req.Header.Set("Accept", "application/ld+json, application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, vc.Wrap(vc.ErrContext, err, "ld: fetching context "+clip(raw))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, vc.Errorf(vc.ErrContext, "ld: fetching context %s: HTTP %d", clip(raw), resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, l.max+1))
	if err != nil {
		return nil, vc.Wrap(vc.ErrContext, err, "ld: reading context "+clip(raw))
	}
	if int64(len(b)) > l.max {
		return nil, vc.Errorf(vc.ErrContext, "ld: context %s is larger than %d bytes", clip(raw), l.max)
	}
	if err := vc.CheckJSONLimits(b, int(l.max), vc.MaxDepth); err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, vc.Wrap(vc.ErrContext, err, "ld: context "+clip(raw)+" is not JSON")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.cache[raw]; !ok {
		l.cache[raw] = l.lru.PushFront(&cached{url: raw, doc: doc})
		for l.lru.Len() > l.size {
			old := l.lru.Remove(l.lru.Back()).(*cached)
			delete(l.cache, old.url)
		}
	}
	return doc, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// Options returns json-gold options using this loader, with URDNA2015
// (RDFC-1.0) and safe mode set, producing N-Quads. Its document loader
// fetches without a context; Canonicalize does not use it.
func (l *Loader) Options() *gold.JsonLdOptions {
	return l.options(l)
}

func (l *Loader) options(dl gold.DocumentLoader) *gold.JsonLdOptions {
	o := gold.NewJsonLdOptions("")
	o.DocumentLoader = dl
	o.Algorithm = gold.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	o.SafeMode = true
	o.ProcessingMode = gold.JsonLd_1_1
	return o
}

// ErrTooComplex is rdfc.ErrTooComplex: a document whose canonicalisation
// would take more work than the budget allows (Config.Canon).
var ErrTooComplex = rdfc.ErrTooComplex

// Canonicalize returns the RDFC-1.0 canonical N-Quads of the JSON-LD
// document doc (a value as decoded by encoding/json).
//
// Safe mode. As in the safe mode of the verifiers that will check what we
// sign, an undefined term, a relative @type or a relative @id is an error
// (ErrContext): json-gold's SafeMode catches the first only (and its
// Normalize does not apply it at all), so the document is expanded in
// safe mode and the expanded form checked for the others.
//
// Bounds. The expanded document's blank nodes — node objects without @id,
// distinct "_:" identifiers, list items — are counted against
// MaxBlankNodes (or Config.Canon.MaxBlankNodes) before anything is
// converted to RDF; then package rdfc canonicalises within the budget of
// Config.Canon. Either bound exceeded is an error matching both
// vc.ErrTooLarge and ErrTooComplex.
//
// Context. ctx is checked between expansion, RDF conversion and
// canonicalisation and inside the canonicaliser, and bounds the fetch of
// any allowed remote context; once it is done Canonicalize returns an
// error matching ctx.Err() (context.Canceled or
// context.DeadlineExceeded).
func (l *Loader) Canonicalize(ctx context.Context, doc any) (string, error) {
	var out string
	_, err := l.canonicalize(ctx, doc, func(quads []rdfc.Quad) error {
		var err error
		out, err = l.canonical(ctx, quads)
		return err
	})
	return out, err
}

// AppendCanonical is Canonicalize appending the canonical N-Quads to dst
// (to hash them in a reused buffer, without the string Canonicalize
// returns).
func (l *Loader) AppendCanonical(ctx context.Context, dst []byte, doc any) ([]byte, error) {
	out := dst
	slow, err := l.canonicalize(ctx, doc, func(quads []rdfc.Quad) error {
		var err error
		out, err = rdfc.AppendCanonical(ctx, dst, quads, l.canon)
		return canonicalError(ctx, err)
	})
	if err != nil {
		return dst, err
	}
	return append(out, slow...), nil
}

// canonicalize takes doc to RDF by the fast path and hands the quads to
// fast, or returns the canonical form by json-gold's path when the fast
// path cannot take doc.
func (l *Loader) canonicalize(ctx context.Context, doc any, fast func([]rdfc.Quad) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("ld: canonicalising: %w", err)
	}
	qp := quadBufs.Get().(*[]rdfc.Quad)
	quads, err := l.fastQuadsWithin(ctx, doc, fastWork, *qp)
	if kept := quads; cap(kept) <= maxPooledQuads {
		if kept == nil {
			kept = *qp
		}
		defer func() {
			clear(kept[:cap(kept)]) // drop the strings
			*qp = kept[:0]
			quadBufs.Put(qp)
		}()
	}
	switch {
	case err == nil:
		return "", fast(quads)
	case !errors.Is(err, errSlow):
		return "", fmt.Errorf("ld: canonicalising: %w", err) // ctx's error
	}
	return l.slowCanonicalize(ctx, doc)
}

// slowCanonicalize is Canonicalize by json-gold's expansion and toRDF.
//
// json-gold panics on some documents (a scalar or a value object as the
// value of an @graph container property, such as "proof": 1.5 in a
// nested object; found by FuzzFastPath): a panic in it is an ErrContext
// error, not a crash of the verifier.
func (l *Loader) slowCanonicalize(ctx context.Context, doc any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", vc.Errorf(vc.ErrContext, "ld: json-gold failed on the document: %v", r)
		}
	}()
	opts := l.options(ctxLoader{l: l, ctx: ctx})
	expanded, err := gold.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("ld: expanding: %w", ctx.Err())
		}
		return "", vc.Wrap(vc.ErrContext, err, "ld: expanding")
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("ld: canonicalising: %w", err)
	}
	bc := blankCount{max: l.canon.MaxBlankNodes, labels: map[string]struct{}{}}
	if err := checkAbsolute(expanded, 0, &bc); err != nil {
		return "", err
	}
	// Straight to RDF from the expanded form: json-gold's Normalize would
	// expand again, and without safe mode.
	dataset, err := gold.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil {
		return "", vc.Wrap(vc.ErrContext, err, "ld: converting to RDF")
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("ld: canonicalising: %w", err)
	}
	quads, err := Quads(dataset)
	if err != nil {
		return "", err
	}
	return l.canonical(ctx, quads)
}

// canonical runs rdfc on quads.
func (l *Loader) canonical(ctx context.Context, quads []rdfc.Quad) (string, error) {
	out, err := rdfc.Canonicalize(ctx, quads, l.canon)
	if err != nil {
		return "", canonicalError(ctx, err)
	}
	return out, nil
}

// canonicalError is the error of rdfc's err (nil for nil).
func canonicalError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rdfc.ErrTooComplex):
		return vc.Wrap(vc.ErrTooLarge, err, "ld: canonicalising")
	case ctx.Err() != nil:
		return fmt.Errorf("ld: canonicalising: %w", err)
	default:
		return vc.Wrap(vc.ErrContext, err, "ld: canonicalising")
	}
}

// Quads converts a json-gold dataset to rdfc's quads (graph names
// sorted, then the quads in json-gold's order).
func Quads(ds *gold.RDFDataset) ([]rdfc.Quad, error) {
	names := make([]string, 0, len(ds.Graphs))
	n := 0
	for g, qs := range ds.Graphs {
		names = append(names, g)
		n += len(qs)
	}
	slices.Sort(names)
	out := make([]rdfc.Quad, 0, n)
	for _, g := range names {
		var graph rdfc.Term
		switch {
		case g == "@default" || g == "":
		case strings.HasPrefix(g, "_:"):
			graph = rdfc.Blank(g[2:])
		default:
			graph = rdfc.IRI(g)
		}
		for _, q := range ds.Graphs[g] {
			s, err1 := term(q.Subject)
			p, err2 := term(q.Predicate)
			o, err3 := term(q.Object)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, err
			}
			out = append(out, rdfc.Quad{Subject: s, Predicate: p, Object: o, Graph: graph})
		}
	}
	return out, nil
}

func term(n gold.Node) (rdfc.Term, error) {
	switch x := n.(type) {
	case gold.IRI:
		return rdfc.IRI(x.Value), nil
	case *gold.IRI:
		return rdfc.IRI(x.Value), nil
	case gold.BlankNode:
		return rdfc.Blank(strings.TrimPrefix(x.Attribute, "_:")), nil
	case *gold.BlankNode:
		return rdfc.Blank(strings.TrimPrefix(x.Attribute, "_:")), nil
	case gold.Literal:
		return rdfc.Literal(x.Value, x.Datatype, x.Language), nil
	case *gold.Literal:
		return rdfc.Literal(x.Value, x.Datatype, x.Language), nil
	}
	return rdfc.Term{}, vc.Errorf(vc.ErrContext, "ld: an RDF term of type %T", n)
}

// MaxBlankNodes bounds the blank nodes of a document Canonicalize accepts
// (unless Config.Canon.MaxBlankNodes says otherwise): node objects without
// @id, distinct "_:" identifiers and list items together. A credential
// has a few dozen.
const MaxBlankNodes = 512

// blankCount counts the blank nodes of an expanded document: node objects
// without @id, list items (an RDF list node each) and distinct "_:"
// identifiers in @id or @type.
type blankCount struct {
	n, max int
	labels map[string]struct{}
}

func (b *blankCount) add(k int) error {
	if b.n += k; b.n > b.max {
		// Blank nodes make RDF canonicalisation expensive (crafted graphs
		// of them are a known denial of service): bound them.
		return vc.Wrap(vc.ErrTooLarge, &rdfc.LimitError{Limit: "blank nodes", Max: b.max}, "ld: the document has too many blank nodes")
	}
	return nil
}

func (b *blankCount) label(s string) error {
	if !strings.HasPrefix(s, "_:") {
		return nil
	}
	if _, ok := b.labels[s]; ok {
		return nil
	}
	b.labels[s] = struct{}{}
	return b.add(1)
}

// checkAbsolute walks an expanded document, counts its blank nodes and
// refuses relative IRIs in @type and @id (what JSON-LD safe mode calls
// "relative @type reference" and "relative @id reference").
func checkAbsolute(v any, depth int, blank *blankCount) error {
	if depth > 4*vc.MaxDepth {
		return vc.Errorf(vc.ErrTooDeep, "ld: expanded document nested too deeply")
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := checkAbsolute(e, depth+1, blank); err != nil {
				return err
			}
		}
	case map[string]any:
		_, isValue := x["@value"]
		list, isList := x["@list"]
		_, isSet := x["@set"]
		if _, hasID := x["@id"]; !hasID && !isValue && !isList && !isSet {
			if err := blank.add(1); err != nil {
				return err
			}
		}
		if items, ok := list.([]any); ok {
			if err := blank.add(len(items)); err != nil {
				return err
			}
		}
		for k, e := range x {
			switch k {
			case "@id":
				if s, ok := e.(string); ok {
					if !absolute(s) {
						return vc.Errorf(vc.ErrContext, "ld: relative @id reference %q (safe mode)", clip(s))
					}
					if err := blank.label(s); err != nil {
						return err
					}
				}
			case "@type":
				if isValue {
					continue // a datatype IRI; expansion made it absolute or dropped it
				}
				ts, _ := e.([]any)
				if s, ok := e.(string); ok {
					ts = []any{s}
				}
				for _, t := range ts {
					s, ok := t.(string)
					if !ok {
						continue
					}
					if !absolute(s) {
						return vc.Errorf(vc.ErrContext, "ld: relative @type reference %q: the term is not defined by the document's contexts (safe mode)", clip(s))
					}
					if err := blank.label(s); err != nil {
						return err
					}
				}
			case "@reverse":
				// A map of properties to node objects, not a node itself.
				if r, ok := e.(map[string]any); ok {
					for _, nodes := range r {
						if err := checkAbsolute(nodes, depth+1, blank); err != nil {
							return err
						}
					}
				}
			default:
				if err := checkAbsolute(e, depth+1, blank); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func absolute(iri string) bool {
	return strings.HasPrefix(iri, "_:") || strings.Contains(iri, ":")
}
