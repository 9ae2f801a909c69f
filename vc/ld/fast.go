package ld

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld/rdfc"
	gold "github.com/piprate/json-gold/ld"
)

// The fast path.
//
// Measured (BenchmarkSign/eddsa-rdfc-2022, -cpu 1, ~2 KB OBv3
// credential): json-gold spent ~45% of a signature re-processing the same
// bundled contexts for every document (Context.parse, CopyContext,
// createTermDefinition for each type- and property-scoped context met on
// the way) and ~35% in ToRDF, mostly the IsURL regular expression run on
// every http(s) IRI of every statement. Canonicalize therefore first tries
// fastQuads: a direct JSON-LD → RDF conversion for the common case — every
// context of the document bundled (or given in Config.Contexts, which are
// fixed when the Loader is made), no embedded contexts, none of the
// keywords and containers it does not implement — with the processed
// contexts compiled once per Loader and the IRI checks remembered.
//
// It is deliberately partial. Whenever it meets anything it does not
// implement exactly as json-gold does — and whenever the document would be
// an error (an undefined term, a relative IRI, a protected term redefined,
// too many blank nodes, an IRI json-gold would drop) — it gives up with
// errSlow and Canonicalize runs the json-gold path, which then produces the
// result or the error it always did. So the fast path only has to be right
// on documents it accepts; FuzzFastPath and TestFastPathMatchesGold compare
// it with json-gold's expand + toRDF on the test credentials and variants.
//
// Bounds. Contexts come from the Loader's own fixed documents only (never
// from an allowed remote host, never inline in the document), so nothing
// a document says can enter the caches — it can only choose which of the
// Loader's own contexts are compiled: the compiled top-level contexts
// (keyed by the exact list of context URLs) and the contexts derived from
// them by type- and property-scoped contexts (keyed by the parent context
// and the term definition they come from) are bounded in number (maxTop,
// maxDerived; see generation), and so is the IRI check cache
// (maxIRICache), which only holds results of a pure function. Work on one
// document — values visited, context terms copied — is counted against
// fastWork, and ctx is checked every ctxEvery units.

// errSlow says: use the json-gold path.
var errSlow = errors.New("ld: fast path not applicable")

const (
	maxTop      = 64  // compiled top-level contexts in one generation
	maxDerived  = 512 // contexts derived from them (type- and property-scoped) in one generation
	maxIRICache = 4096
	fastWork    = 1 << 20
	ctxEvery    = 1024
	maxCtxDepth = 16
)

// tdef is a term definition.
type tdef struct {
	iri       string // IRI mapping, or a keyword for an alias
	null      bool   // {"@id": null}: the term is explicitly undefined
	typ       string // type mapping: "", "@id", "@vocab", "@json", "@none" or an IRI
	list      bool   // @container @list
	graph     bool   // @container @graph
	prefix    bool   // may be used as the prefix of a compact IRI
	protected bool
	scoped    any // the scoped context, raw; nil if none
	hasScoped bool
}

func (d *tdef) same(o *tdef) bool {
	if d.iri != o.iri || d.null != o.null || d.typ != o.typ || d.list != o.list || d.graph != o.graph ||
		d.prefix != o.prefix || d.hasScoped != o.hasScoped {
		return false
	}
	return !d.hasScoped || reflect.DeepEqual(d.scoped, o.scoped)
}

// actx is a compiled active context. Once published (cached or returned)
// it is never modified, except its memo of derived contexts.
type actx struct {
	terms    map[string]*tdef
	vocab    string
	hasVocab bool
	prev     *actx // the context before a non-propagated (type-scoped) one

	gen     *generation // the cache generation holding a; nil if a is not cached
	mu      sync.RWMutex
	derived map[deriveKey]*actx
}

// generation is one filling of the context caches. When a limit is
// reached the Loader starts a new generation and the old one is dropped
// with everything derived from it: a flood of unusual context lists costs
// recompilation, never unbounded memory, and cannot keep a template's
// contexts out of the cache for good.
type generation struct {
	top     map[string]*actx // by the document's context URLs, joined by "\n"
	derived int              // contexts in the derived memos of this generation
}

// deriveKey names a derived context: the scoped context of term
// definition d (type-scoped or property-scoped), or, with d nil, the
// embedded @context of a node object listing the Loader's own context
// URLs (joined by "\n").
type deriveKey struct {
	d         *tdef
	typeScope bool
	urls      string
}

// fastState is the per-Loader state of the fast path.
type fastState struct {
	mu  sync.Mutex
	gen *generation

	iriMu sync.RWMutex
	iris  map[string]bool // http(s) IRI → json-gold keeps it (gold.IsURL)
}

// work is one document's budget.
type work struct {
	ctx  context.Context
	left int
	tick int
}

func (w *work) charge(n int) error {
	w.left -= n
	if w.left < 0 {
		return errSlow
	}
	if w.tick += n; w.tick >= ctxEvery {
		w.tick = 0
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// localURLs returns an @context value's URLs when it is a URL or a list
// of URLs all served by the Loader itself (and free of the newline that
// joins them into cache keys); ok is false otherwise.
func (l *Loader) localURLs(c any) (urls []string, ok bool) {
	switch x := c.(type) {
	case string:
		urls = []string{x}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			urls = append(urls, s)
		}
	default:
		return nil, false
	}
	for _, u := range urls {
		if _, ok := l.local[u]; !ok || strings.Contains(u, "\n") {
			return nil, false
		}
	}
	return urls, true
}

// topContext returns the compiled context of a document's @context value
// when it is a URL or a list of URLs all served by the Loader itself.
func (l *Loader) topContext(w *work, c any) (*actx, error) {
	urls, ok := l.localURLs(c)
	if !ok {
		return nil, errSlow // not URLs, or an allowed remote context: never cached
	}
	key := strings.Join(urls, "\n")
	l.fast.mu.Lock()
	a, ok := l.fast.gen.top[key]
	l.fast.mu.Unlock()
	if ok {
		return a, nil
	}
	a = &actx{terms: map[string]*tdef{}}
	var err error
	for _, u := range urls {
		if a, err = l.process(w, a, u, false, true, 0); err != nil {
			return nil, err
		}
	}
	l.fast.mu.Lock()
	defer l.fast.mu.Unlock()
	if old, ok := l.fast.gen.top[key]; ok {
		return old, nil
	}
	if len(l.fast.gen.top) >= maxTop {
		l.fast.gen = newGeneration()
	}
	a.gen = l.fast.gen
	l.fast.gen.top[key] = a
	return a, nil
}

func newGeneration() *generation { return &generation{top: map[string]*actx{}} }

// derive returns the context d's scoped context makes of a: type-scoped
// (not propagated) or property-scoped (overriding protected terms).
func (l *Loader) derive(w *work, a *actx, d *tdef, typeScope bool) (*actx, error) {
	return l.memo(a, deriveKey{d: d, typeScope: typeScope}, func() (*actx, error) {
		r, err := l.process(w, a, d.scoped, !typeScope, true, 0)
		if err != nil {
			return nil, err
		}
		if typeScope && r != a && r.prev == nil {
			r.prev = a
		}
		return r, nil
	})
}

// embed returns the context a node object's embedded @context value c
// makes of a, when c is a URL or a list of URLs all served by the Loader
// itself (as in a credential embedded in another, a CLR's say); anything
// else is errSlow.
func (l *Loader) embed(w *work, a *actx, c any) (*actx, error) {
	urls, ok := l.localURLs(c)
	if !ok || len(urls) == 0 {
		return nil, errSlow
	}
	return l.memo(a, deriveKey{urls: strings.Join(urls, "\n")}, func() (*actx, error) {
		r := a
		var err error
		for _, u := range urls {
			if r, err = l.process(w, r, u, false, true, 0); err != nil {
				return nil, err
			}
		}
		return r, nil
	})
}

// memo returns the context k names derived from a, computing it with
// derive and remembering it (bounded by maxDerived) when a is cached.
func (l *Loader) memo(a *actx, k deriveKey, derive func() (*actx, error)) (*actx, error) {
	a.mu.RLock()
	r, ok := a.derived[k]
	a.mu.RUnlock()
	if ok {
		return r, nil
	}
	r, err := derive()
	if err != nil {
		return nil, err
	}
	l.fast.mu.Lock()
	keep := a.gen != nil && a.gen == l.fast.gen
	if keep && a.gen.derived >= maxDerived {
		l.fast.gen, keep = newGeneration(), false
	}
	if keep {
		a.gen.derived++
		r.gen = a.gen
	}
	l.fast.mu.Unlock()
	if keep {
		a.mu.Lock()
		if old, ok := a.derived[k]; ok {
			r = old
		} else {
			if a.derived == nil {
				a.derived = map[deriveKey]*actx{}
			}
			a.derived[k] = r
		}
		a.mu.Unlock()
	}
	return r, nil
}

// clone copies a for modification, keeping its previous context.
func (w *work) clone(a *actx) (*actx, error) {
	if err := w.charge(len(a.terms) + 1); err != nil {
		return nil, err
	}
	n := &actx{terms: make(map[string]*tdef, len(a.terms)+8), vocab: a.vocab, hasVocab: a.hasVocab, prev: a.prev}
	for k, v := range a.terms {
		n.terms[k] = v
	}
	return n, nil
}

// process is the JSON-LD context processing algorithm for the subset the
// bundled contexts use; local is a URL the Loader serves, a context map or
// a list of them.
func (l *Loader) process(w *work, a *actx, local any, override, propagate bool, depth int) (*actx, error) {
	if depth > maxCtxDepth {
		return nil, errSlow
	}
	switch x := local.(type) {
	case []any:
		var err error
		for _, e := range x {
			if a, err = l.process(w, a, e, override, propagate, depth+1); err != nil {
				return nil, err
			}
		}
		return a, nil
	case string:
		doc, ok := l.local[x]
		if !ok {
			return nil, errSlow
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, errSlow
		}
		c, ok := m["@context"]
		if !ok {
			return nil, errSlow
		}
		return l.process(w, a, c, override, propagate, depth+1)
	case map[string]any:
		return l.processMap(w, a, x, override)
	}
	return nil, errSlow // null (a reset) and anything else
}

func (l *Loader) processMap(w *work, a *actx, m map[string]any, override bool) (*actx, error) {
	r, err := w.clone(a)
	if err != nil {
		return nil, err
	}
	protected := false
	for k, v := range m {
		switch k {
		case "@version":
			if f, ok := v.(float64); !ok || f != 1.1 {
				return nil, errSlow
			}
		case "@protected":
			b, ok := v.(bool)
			if !ok {
				return nil, errSlow
			}
			protected = b
		case "@vocab":
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, errSlow // null or "" (a reset or document-relative vocab)
			}
		default:
			if strings.HasPrefix(k, "@") {
				return nil, errSlow // @import, @base, @language, @direction, @propagate, ...
			}
		}
	}
	if v, ok := m["@vocab"]; ok {
		iri, err := r.expandIRI(w, l, v.(string), true, m, nil, protected, override)
		if err != nil {
			return nil, err
		}
		if !absoluteIRI(iri) {
			return nil, errSlow
		}
		r.vocab, r.hasVocab = iri, true
	}
	defined := map[string]bool{}
	for k := range m {
		if strings.HasPrefix(k, "@") {
			continue
		}
		if err := r.define(w, l, m, k, defined, protected, override, a); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// define is the create term definition algorithm (subset). old is the
// context being extended, whose protected terms may not change.
func (r *actx) define(w *work, l *Loader, m map[string]any, term string, defined map[string]bool, protected, override bool, old *actx) error {
	if done, ok := defined[term]; ok {
		if done {
			return nil
		}
		return errSlow // cyclic
	}
	if err := w.charge(1); err != nil {
		return err
	}
	defined[term] = false
	if strings.ContainsAny(term, ":/") || term == "" {
		return errSlow // compact IRI or IRI terms are not implemented
	}
	d := &tdef{protected: protected}
	simple := false
	var idv any
	hasID := false
	switch x := m[term].(type) {
	case nil:
		d.null = true
	case string:
		simple, idv, hasID = true, x, true
	case map[string]any:
		for k, v := range x {
			switch k {
			case "@id":
				idv, hasID = v, true
			case "@type":
				s, ok := v.(string)
				if !ok {
					return errSlow
				}
				t, err := r.expandIRI(w, l, s, true, m, defined, protected, override)
				if err != nil {
					return err
				}
				switch {
				case t == "@id" || t == "@vocab" || t == "@json" || t == "@none":
				case strings.HasPrefix(t, "@") || !absoluteIRI(t):
					return errSlow
				}
				d.typ = t
			case "@container":
				cs, ok := v.([]any)
				if s, isStr := v.(string); isStr {
					cs, ok = []any{s}, true
				}
				if !ok {
					return errSlow
				}
				for _, c := range cs {
					switch c {
					case "@set":
					case "@list":
						d.list = true
					case "@graph":
						d.graph = true
					default:
						return errSlow
					}
				}
			case "@context":
				d.scoped, d.hasScoped = v, true
			case "@protected":
				b, ok := v.(bool)
				if !ok {
					return errSlow
				}
				d.protected = b
			default:
				return errSlow // @reverse, @language, @direction, @nest, @prefix, @index
			}
		}
	default:
		return errSlow
	}
	if !d.null {
		if hasID {
			s, ok := idv.(string)
			if !ok {
				return errSlow // null @id and others
			}
			iri, err := r.expandIRI(w, l, s, true, m, defined, protected, override)
			if err != nil {
				return err
			}
			s = iri
			switch {
			case s == "@type" || s == "@id":
				if d.typ != "" || d.list || d.graph || d.hasScoped {
					return errSlow
				}
			case strings.HasPrefix(s, "@") || !absoluteIRI(s):
				return errSlow
			default:
				if simple && s != "" && strings.ContainsRune(":/?#[]@", rune(s[len(s)-1])) {
					d.prefix = true
				}
			}
			d.iri = s
		} else if r.hasVocab {
			d.iri = r.vocab + term
		} else {
			return errSlow
		}
	}
	if prev, ok := old.terms[term]; ok && prev.protected && !override {
		if !prev.same(d) {
			return errSlow // json-gold: protected term redefinition
		}
		d = prev
	}
	r.terms[term] = d
	defined[term] = true
	return nil
}

// expandIRI is IRI expansion with vocab (terms) or document-relative
// (compact IRIs and IRIs only); m and defined, when m is not nil, are the
// local context being processed. It returns "" (never errSlow) for a
// value that does not expand to an absolute IRI, a blank node or a
// keyword.
func (r *actx) expandIRI(w *work, l *Loader, v string, vocab bool, m map[string]any, defined map[string]bool, protected, override bool) (string, error) {
	if strings.HasPrefix(v, "@") {
		return v, nil
	}
	if m != nil {
		if _, ok := m[v]; ok && !defined[v] {
			if err := r.define(w, l, m, v, defined, protected, override, r); err != nil {
				return "", err
			}
		}
	}
	if vocab {
		if d, ok := r.terms[v]; ok {
			if d.null {
				return "", nil
			}
			return d.iri, nil
		}
	}
	if i := strings.IndexByte(v, ':'); i > 0 {
		prefix, suffix := v[:i], v[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return v, nil
		}
		if m != nil {
			if _, ok := m[prefix]; ok && !defined[prefix] {
				if err := r.define(w, l, m, prefix, defined, protected, override, r); err != nil {
					return "", err
				}
			}
		}
		if d, ok := r.terms[prefix]; ok && !d.null && d.iri != "" && d.prefix {
			return d.iri + suffix, nil
		}
		if absoluteIRI(v) {
			return v, nil
		}
	}
	if vocab && r.hasVocab {
		return r.vocab + v, nil
	}
	return "", nil
}

// absoluteIRI reports whether s is an absolute IRI as json-gold decides
// it (url.Parse and IsAbs), and also free of the characters N-Quads
// cannot carry in an IRI.
func absoluteIRI(s string) bool {
	if s == "" || strings.HasPrefix(s, "_:") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ', c == '<', c == '>', c == '"', c == '{', c == '}', c == '|', c == '\\', c == '^', c == '`', c == 0x7f:
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.IsAbs()
}

// keepIRI reports whether s is an absolute IRI (absoluteIRI) and one
// json-gold's toRDF keeps: it drops statements with http and https IRIs
// its IsURL (a large regular expression) refuses. Results are remembered
// (bounded): the profile showed these checks at a third of json-gold's
// toRDF and a sixth of the fast path, and a template's IRIs repeat.
func (l *Loader) keepIRI(s string) bool {
	l.fast.iriMu.RLock()
	ok, seen := l.fast.iris[s]
	l.fast.iriMu.RUnlock()
	if seen {
		return ok
	}
	ok = absoluteIRI(s) && (!strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") || gold.IsURL(s))
	l.fast.iriMu.Lock()
	if len(l.fast.iris) >= maxIRICache {
		l.fast.iris = make(map[string]bool, maxIRICache) // start again: the results are pure
	}
	l.fast.iris[s] = ok
	l.fast.iriMu.Unlock()
	return ok
}

// emitter collects one document's quads.
type emitter struct {
	l      *Loader
	w      *work
	quads  []rdfc.Quad
	blanks int
	max    int
	buf    []byte
	graph  rdfc.Term // the graph the statements go into: the zero Term (default) or a blank node
}

const rdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

func (e *emitter) iri(s string) (rdfc.Term, error) {
	if !e.l.keepIRI(s) {
		return rdfc.Term{}, errSlow
	}
	return rdfc.IRI(s), nil
}

func (e *emitter) blank() (rdfc.Term, error) {
	if e.blanks++; e.blanks > e.max {
		return rdfc.Term{}, errSlow // json-gold's path reports the limit
	}
	e.buf = strconv.AppendInt(append(e.buf[:0], 'f'), int64(e.blanks), 10)
	return rdfc.Blank(string(e.buf)), nil
}

// fastQuads converts doc to RDF by the fast path, or fails with errSlow
// (or ctx's error).
func (l *Loader) fastQuads(ctx context.Context, doc any) ([]rdfc.Quad, error) {
	return l.fastQuadsWithin(ctx, doc, fastWork, nil)
}

// quadBufs holds the quad slices Canonicalize's fast path emits into; one
// lives for one call (the quads are dead once rdfc has serialized them).
//
// Measured (credshare issue 13, go test -bench Sign -cpu 1 ./vc/issuer
// -memprofile, alloc_space): allocating and growing the emitter's slice
// (224-byte quads) was ~30% of the bytes an eddsa-rdfc-2022 signature
// allocated.
var quadBufs = sync.Pool{New: func() any { q := make([]rdfc.Quad, 0, 128); return &q }}

// maxPooledQuads bounds the slices quadBufs keeps.
const maxPooledQuads = 4096

// fastQuadsWithin is fastQuads with a work budget, appending to buf[:0]
// (a fresh slice when buf is nil).
func (l *Loader) fastQuadsWithin(ctx context.Context, doc any, budget int, buf []rdfc.Quad) ([]rdfc.Quad, error) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, errSlow
	}
	c, ok := m["@context"]
	if !ok {
		return nil, errSlow
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &work{ctx: ctx, left: budget}
	a, err := l.topContext(w, c)
	if err != nil {
		return nil, err
	}
	if buf == nil {
		buf = make([]rdfc.Quad, 0, 64)
	}
	e := &emitter{l: l, w: w, max: l.canon.MaxBlankNodes, quads: buf[:0]}
	if _, err := e.node(a, nil, m, true, 1); err != nil {
		return nil, err
	}
	return e.quads, nil
}

// node emits the statements of node object m met as the value of a
// property with definition pd (nil at the top) in active context a, and
// returns its subject.
//
// depth is the nesting depth m has in the expanded document (1 at the
// top, 2 more for each property value, 4 more in a graph container: the
// graph object and its @graph array); the values of m's properties lie
// up to 3 deeper (array, value object, its entries), and checkAbsolute
// refuses an expanded document deeper than 4*vc.MaxDepth.
func (e *emitter) node(a *actx, pd *tdef, m map[string]any, top bool, depth int) (rdfc.Term, error) {
	if depth+3 > 4*vc.MaxDepth {
		return rdfc.Term{}, errSlow
	}
	if err := e.w.charge(len(m) + 1); err != nil {
		return rdfc.Term{}, err
	}
	if a.prev != nil && !(len(m) == 1 && e.isID(a, m)) {
		a = a.prev
	}
	if pd != nil && pd.hasScoped {
		var err error
		if a, err = e.l.derive(e.w, a, pd, false); err != nil {
			return rdfc.Term{}, err
		}
	}
	if c, ok := m["@context"]; ok && !top {
		// An embedded context (expansion step 9: after the property-scoped
		// context, before the type-scoped ones).
		var err error
		if a, err = e.l.embed(e.w, a, c); err != nil {
			return rdfc.Term{}, err
		}
	}
	// Type-scoped contexts, in lexicographical order of the types. Each
	// key is expanded once here (and again only if a type-scoped context
	// applies): the profile showed the repeated lookups.
	ts := a
	var types, typeKeys []string
	var stack [24]entry
	ents := stack[:0]
	for k, v := range m {
		if k == "@context" {
			continue
		}
		x, err := ts.expandIRI(e.w, e.l, k, true, nil, nil, false, false)
		if err != nil {
			return rdfc.Term{}, err
		}
		ents = append(ents, entry{k, v, x})
		if x != "@type" {
			continue
		}
		typeKeys = append(typeKeys, k)
		switch t := v.(type) {
		case string:
			types = append(types, t)
		case []any:
			for _, s := range t {
				str, ok := s.(string)
				if !ok {
					return rdfc.Term{}, errSlow
				}
				types = append(types, str)
			}
		default:
			return rdfc.Term{}, errSlow
		}
	}
	if len(typeKeys) > 1 {
		return rdfc.Term{}, errSlow // "type" and "@type": json-gold keeps one
	}
	if err := e.w.charge(len(types)); err != nil {
		return rdfc.Term{}, err
	}
	slices.Sort(types)
	for _, t := range types {
		if d, ok := ts.terms[t]; ok && d.hasScoped {
			var err error
			if a, err = e.l.derive(e.w, a, d, true); err != nil {
				return rdfc.Term{}, err
			}
		}
	}
	if a != ts {
		for i := range ents {
			x, err := a.expandIRI(e.w, e.l, ents[i].k, true, nil, nil, false, false)
			if err != nil {
				return rdfc.Term{}, err
			}
			if (x == "@type") != (ents[i].x == "@type") {
				return rdfc.Term{}, errSlow // a type-scoped context redefined what is @type
			}
			ents[i].x = x
		}
	}
	var subject rdfc.Term
	for _, en := range ents {
		if x, v := en.x, en.v; x == "@id" {
			s, ok := v.(string)
			if !ok || subject.Kind != rdfc.KindNone {
				return rdfc.Term{}, errSlow
			}
			id, err := a.expandIRI(e.w, e.l, s, false, nil, nil, false, false)
			if err != nil {
				return rdfc.Term{}, err
			}
			if subject, err = e.iri(id); err != nil {
				return rdfc.Term{}, err
			}
		}
	}
	if subject.Kind == rdfc.KindNone {
		var err error
		if subject, err = e.blank(); err != nil {
			return rdfc.Term{}, err
		}
	}
	for _, t := range types {
		x, err := ts.expandIRI(e.w, e.l, t, true, nil, nil, false, false)
		if err != nil {
			return rdfc.Term{}, err
		}
		o, err := e.iri(x)
		if err != nil {
			return rdfc.Term{}, err
		}
		e.quads = append(e.quads, rdfc.Quad{Subject: subject, Predicate: rdfc.IRI(rdfType), Object: o, Graph: e.graph})
	}
	for _, en := range ents {
		k, v, x := en.k, en.v, en.x
		if x == "@id" || x == "@type" {
			continue
		}
		if k == "" || x == "" || strings.HasPrefix(x, "@") {
			return rdfc.Term{}, errSlow // undefined term (safe mode), other keywords
		}
		p, err := e.iri(x)
		if err != nil {
			return rdfc.Term{}, err
		}
		d := a.terms[k]
		if d != nil && (d.list || d.typ == "@json" || d.typ == "@none") {
			return rdfc.Term{}, errSlow
		}
		items, isArr := v.([]any)
		if !isArr {
			items = []any{v}
		}
		if err := e.w.charge(len(items)); err != nil {
			return rdfc.Term{}, err
		}
		if d != nil && d.graph {
			if err := e.graphs(a, d, subject, p, items, depth); err != nil {
				return rdfc.Term{}, err
			}
			continue
		}
		for _, it := range items {
			var o rdfc.Term
			switch y := it.(type) {
			case map[string]any:
				if o, err = e.node(a, d, y, false, depth+2); err != nil {
					return rdfc.Term{}, err
				}
			case []any, nil:
				return rdfc.Term{}, errSlow
			default:
				if o, err = e.value(a, d, k, y); err != nil {
					return rdfc.Term{}, err
				}
			}
			e.quads = append(e.quads, rdfc.Quad{Subject: subject, Predicate: p, Object: o, Graph: e.graph})
		}
	}
	return subject, nil
}

// graphs emits the values of a property whose definition d (in a) has
// "@container": "@graph" (and neither @id nor @index, which the context
// compiler refuses): JSON-LD expansion makes each value a simple graph
// object {"@graph": [value]}, and toRDF names each such graph with a
// fresh blank node, the object of the statement subject p _:g in the
// current graph, and puts the value's own statements (and those of the
// nodes within it) into _:g. Only node objects are taken — json-gold
// panics on a scalar there (see slowCanonicalize), and an empty array
// or a value object is left to it too.
func (e *emitter) graphs(a *actx, d *tdef, subject, p rdfc.Term, items []any, depth int) error {
	if len(items) == 0 {
		return errSlow
	}
	outer := e.graph
	defer func() { e.graph = outer }()
	for _, it := range items {
		y, ok := it.(map[string]any)
		if !ok {
			return errSlow
		}
		g, err := e.blank()
		if err != nil {
			return err
		}
		e.quads = append(e.quads, rdfc.Quad{Subject: subject, Predicate: p, Object: g, Graph: outer})
		e.graph = g
		if _, err := e.node(a, d, y, false, depth+4); err != nil {
			return err
		}
	}
	return nil
}

// entry is a key of a node object, its value and its expansion.
type entry struct {
	k string
	v any
	x string
}

// isID reports whether m's one key expands to @id.
func (e *emitter) isID(a *actx, m map[string]any) bool {
	for k := range m {
		x, err := a.expandIRI(e.w, e.l, k, true, nil, nil, false, false)
		return err == nil && x == "@id"
	}
	return false
}

// value converts a scalar value of property key (definition d in a).
func (e *emitter) value(a *actx, d *tdef, key string, v any) (rdfc.Term, error) {
	if d != nil && d.hasScoped {
		sa, err := e.l.derive(e.w, a, d, false)
		if err != nil {
			return rdfc.Term{}, err
		}
		a, d = sa, sa.terms[key]
		if d != nil && (d.list || d.graph || d.typ == "@json" || d.typ == "@none") {
			return rdfc.Term{}, errSlow
		}
	}
	typ := ""
	if d != nil {
		typ = d.typ
	}
	switch x := v.(type) {
	case string:
		switch typ {
		case "@id", "@vocab":
			if strings.HasPrefix(x, "@") {
				return rdfc.Term{}, errSlow
			}
			iri, err := a.expandIRI(e.w, e.l, x, typ == "@vocab", nil, nil, false, false)
			if err != nil {
				return rdfc.Term{}, err
			}
			return e.iri(iri)
		case "":
			return rdfc.Literal(x, "", ""), nil
		}
		if _, err := e.iri(typ); err != nil {
			return rdfc.Term{}, err
		}
		return rdfc.Literal(x, typ, ""), nil
	case bool:
		if typ == "@id" || typ == "@vocab" {
			return rdfc.Term{}, errSlow
		}
		dt := "http://www.w3.org/2001/XMLSchema#boolean"
		if typ != "" {
			if _, err := e.iri(typ); err != nil {
				return rdfc.Term{}, err
			}
			dt = typ
		}
		return rdfc.Literal(strconv.FormatBool(x), dt, ""), nil
	case float64:
		if typ == "@id" || typ == "@vocab" || typ == "http://www.w3.org/2001/XMLSchema#double" || x != float64(int64(x)) {
			return rdfc.Term{}, errSlow // doubles: json-gold's canonical form is not reproduced here
		}
		dt := "http://www.w3.org/2001/XMLSchema#integer"
		if typ != "" {
			if _, err := e.iri(typ); err != nil {
				return rdfc.Term{}, err
			}
			dt = typ
		}
		return rdfc.Literal(strconv.FormatInt(int64(x), 10), dt, ""), nil
	}
	return rdfc.Term{}, errSlow
}
