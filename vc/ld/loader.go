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
	// be fetched when a context is not bundled.
	AllowHosts []string
	// Client fetches allowed URLs; default a client with Timeout.
	Client *http.Client
	// Timeout bounds one fetch; default DefaultTimeout.
	Timeout time.Duration
	// MaxSize bounds a fetched document in bytes; default DefaultMaxSize.
	MaxSize int64
	// CacheSize bounds the fetched documents kept; default DefaultCacheSize.
	CacheSize int
	// Contexts adds documents (URL to JSON) served like the bundled ones,
	// taking precedence over them.
	Contexts map[string][]byte
}

// Loader is a JSON-LD document loader (it implements json-gold's
// ld.DocumentLoader) and canonicaliser. It is safe for concurrent use.
type Loader struct {
	local  map[string]any
	allow  map[string]bool
	client *http.Client
	max    int64
	size   int

	mu    sync.Mutex
	cache map[string]*list.Element
	lru   *list.List
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
		cache: map[string]*list.Element{}, lru: list.New()}
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
	c := http.Client{}
	if l.client != nil {
		c = *l.client
	}
	if c.Timeout == 0 || c.Timeout > cfg.Timeout {
		c.Timeout = cfg.Timeout
	}
	// Redirects only to allowed https hosts.
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || req.URL.Scheme != "https" || !l.allow[strings.ToLower(req.URL.Hostname())] {
			return vc.Errorf(vc.ErrContext, "ld: refusing redirect to %s", clip(req.URL.String()))
		}
		return nil
	}
	l.client = &c
	if l.max == 0 {
		l.max = DefaultMaxSize
	}
	if l.size == 0 {
		l.size = DefaultCacheSize
	}
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

// LoadDocument implements json-gold's ld.DocumentLoader.
func (l *Loader) LoadDocument(u string) (*gold.RemoteDocument, error) {
	if doc, ok := l.local[u]; ok {
		return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
	}
	doc, err := l.fetch(u)
	if err != nil {
		return nil, gold.NewJsonLdError(gold.LoadingDocumentFailed, err)
	}
	return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func (l *Loader) fetch(raw string) (any, error) {
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
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, raw, nil)
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
// (RDFC-1.0) and safe mode set, producing N-Quads.
func (l *Loader) Options() *gold.JsonLdOptions {
	o := gold.NewJsonLdOptions("")
	o.DocumentLoader = l
	o.Algorithm = gold.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	o.SafeMode = true
	o.ProcessingMode = gold.JsonLd_1_1
	return o
}

// Canonicalize returns the RDFC-1.0 (URDNA2015) canonical N-Quads of the
// JSON-LD document doc (a value as decoded by encoding/json). As in the
// safe mode of the verifiers that will check what we sign, an undefined
// term, a relative @type or a relative @id is an error (ErrContext):
// json-gold's SafeMode catches the first only (and its Normalize does not
// apply it at all), so the document is expanded in safe mode and the
// expanded form checked for the others before it is canonicalised.
func (l *Loader) Canonicalize(doc any) (string, error) {
	proc := gold.NewJsonLdProcessor()
	opts := l.Options()
	expanded, err := proc.Expand(doc, opts)
	if err != nil {
		return "", vc.Wrap(vc.ErrContext, err, "ld: expanding")
	}
	blank := 0
	if err := checkAbsolute(expanded, 0, &blank); err != nil {
		return "", err
	}
	// Straight to RDF from the expanded form: json-gold's Normalize would
	// expand again, and without safe mode.
	api := gold.NewJsonLdApi()
	dataset, err := api.ToRDF(expanded, opts)
	if err != nil {
		return "", vc.Wrap(vc.ErrContext, err, "ld: converting to RDF")
	}
	out, err := api.Normalize(dataset, opts)
	if err != nil {
		return "", vc.Wrap(vc.ErrContext, err, "ld: canonicalising")
	}
	s, ok := out.(string)
	if !ok {
		return "", vc.Errorf(vc.ErrContext, "ld: canonicalising gave %T", out)
	}
	return s, nil
}

// MaxBlankNodes bounds the blank nodes (objects without an id) of a
// document Canonicalize accepts; a credential has a few dozen.
const MaxBlankNodes = 512

// checkAbsolute walks an expanded document and refuses relative IRIs in
// @type and @id (what JSON-LD safe mode calls "relative @type reference"
// and "relative @id reference").
func checkAbsolute(v any, depth int, blank *int) error {
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
		_, isList := x["@list"]
		_, isSet := x["@set"]
		if _, hasID := x["@id"]; !hasID && !isValue && !isList && !isSet {
			// Blank nodes make RDF canonicalisation expensive (crafted
			// graphs of them are a known denial of service): bound them.
			if *blank++; *blank > MaxBlankNodes {
				return vc.Errorf(vc.ErrTooLarge, "ld: more than %d blank nodes", MaxBlankNodes)
			}
		}
		for k, e := range x {
			switch k {
			case "@id":
				if s, ok := e.(string); ok && !absolute(s) {
					return vc.Errorf(vc.ErrContext, "ld: relative @id reference %q (safe mode)", clip(s))
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
					if s, ok := t.(string); ok && !absolute(s) {
						return vc.Errorf(vc.ErrContext, "ld: relative @type reference %q: the term is not defined by the document's contexts (safe mode)", clip(s))
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
