package rdfc

import (
	"bytes"
	"context"
	"crypto"
	_ "crypto/sha256" // SHA-256, the default hash
	_ "crypto/sha512" // SHA-384, the other hash RDFC-1.0 requires
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Sentinel errors.
var (
	// ErrTooComplex: canonicalising the dataset would take more work than
	// Options allow (a poison graph, RDFC-1.0 §6.1). The error is a
	// *LimitError naming the limit.
	ErrTooComplex = errors.New("rdfc: dataset too complex to canonicalise")
	// ErrSyntax: ParseNQuads refused its input (a *SyntaxError).
	ErrSyntax = errors.New("rdfc: N-Quads syntax error")
	// ErrInvalid: a quad is not an RDF statement (a literal subject, a
	// malformed language tag, …) or Options are invalid.
	ErrInvalid = errors.New("rdfc: invalid dataset or options")
)

// LimitError is a limit of Options that a dataset exceeded. It matches
// ErrTooComplex. Its text names the limit and its value only.
type LimitError struct {
	// Limit names it: "blank nodes", "Hash N-Degree Quads calls",
	// "permutations" or "work units".
	Limit string
	// Max is the limit's value.
	Max int
}

// Error implements error.
func (e *LimitError) Error() string {
	return "rdfc: dataset too complex to canonicalise: more than " + strconv.Itoa(e.Max) + " " + e.Limit
}

// Is reports whether target is ErrTooComplex.
func (e *LimitError) Is(target error) bool { return target == ErrTooComplex }

// Defaults of Options. A credential, a presentation or a status list
// credential has a few dozen blank nodes, almost all with unique first
// degree hashes: it needs a handful of Hash N-Degree Quads calls, if any.
// The defaults leave room above what the W3C test suite's hardest
// positive tests need (the "evil" poison graphs test044–test046 take 130
// calls and 1,760 permutations: 150 and 14 times less than the limits),
// and stop the suite's 10-node clique (test074), or the like, within tens
// of milliseconds (figures in docs/security.md).
const (
	DefaultMaxBlankNodes   = 4096
	DefaultMaxCalls        = 20_000
	DefaultMaxPermutations = 25_000
	DefaultMaxWork         = 4_000_000
)

// Options set the hash algorithm and the work budget. The zero value is
// SHA-256 with the default budget.
type Options struct {
	// Hash is the hash algorithm: crypto.SHA256 (the default, the one
	// eddsa-rdfc-2022 uses) or crypto.SHA384; any other crypto.Hash linked
	// into the program works too.
	Hash crypto.Hash
	// MaxBlankNodes bounds the distinct blank nodes of the dataset;
	// default DefaultMaxBlankNodes.
	MaxBlankNodes int
	// MaxCalls bounds the runs of the Hash N-Degree Quads algorithm,
	// recursive ones included; default DefaultMaxCalls.
	MaxCalls int
	// MaxPermutations bounds the permutations of related blank nodes
	// examined, over all runs; default DefaultMaxPermutations.
	MaxPermutations int
	// MaxWork bounds the elementary steps inside Hash N-Degree Quads
	// (a quad of a mention set examined, a related hash computed, an
	// identifier placed on a path, looked up or copied), so that calls and
	// permutations on dense nodes cannot be expensive either; default
	// DefaultMaxWork.
	MaxWork int
}

func (o Options) resolve() (Options, error) {
	if o.MaxBlankNodes < 0 || o.MaxCalls < 0 || o.MaxPermutations < 0 || o.MaxWork < 0 {
		return o, fmt.Errorf("%w: a negative limit", ErrInvalid)
	}
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if !o.Hash.Available() {
		return o, fmt.Errorf("%w: hash %v is not available", ErrInvalid, o.Hash)
	}
	if o.MaxBlankNodes == 0 {
		o.MaxBlankNodes = DefaultMaxBlankNodes
	}
	if o.MaxCalls == 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	if o.MaxPermutations == 0 {
		o.MaxPermutations = DefaultMaxPermutations
	}
	if o.MaxWork == 0 {
		o.MaxWork = DefaultMaxWork
	}
	return o, nil
}

// Stats is the work a canonicalisation did, for tuning Options.
type Stats struct {
	// BlankNodes is the number of distinct blank nodes.
	BlankNodes int
	// NonUnique is the number of blank nodes whose first degree hash was
	// shared with another.
	NonUnique int
	// Calls, Permutations and Work are what Options.MaxCalls,
	// MaxPermutations and MaxWork bound.
	Calls, Permutations, Work int
}

// Result is a canonicalised dataset.
type Result struct {
	// NQuads is the serialized canonical form: canonical N-Quads, one
	// statement a line in code point order, duplicates removed.
	NQuads string
	// Issued is the issued identifiers map: every input blank node
	// identifier to its canonical identifier ("c14n0", …).
	Issued map[string]string
	// Stats says how much work it took.
	Stats Stats
}

// Canonicalize returns the RDFC-1.0 serialized canonical form of dataset
// (a set: duplicate quads count once). It fails with a *LimitError
// (ErrTooComplex) as soon as a limit of o is reached, with ctx's error
// when ctx is done (checked before every Hash N-Degree Quads run and every
// few permutations), and with ErrInvalid on a quad that is not an RDF
// statement. It is safe for concurrent use.
func Canonicalize(ctx context.Context, dataset []Quad, o Options) (string, error) {
	r, err := run(ctx, dataset, o, false)
	if err != nil {
		return "", err
	}
	return r.NQuads, nil
}

// AppendCanonical is Canonicalize appending the serialized canonical form
// to dst instead of returning it as a string.
//
// Measured (credshare issue 13, go test -bench Bulk/eddsa -cpu 1
// -memprofile ./vc/issuer, alloc_space): the string Canonicalize copies
// its result into was ~34% of the bytes an eddsa-rdfc-2022 signature
// allocated, only to be hashed and dropped; a caller hashing into a
// reused buffer allocates nothing for it.
func AppendCanonical(ctx context.Context, dst []byte, dataset []Quad, o Options) ([]byte, error) {
	o, err := o.resolve()
	if err != nil {
		return dst, err
	}
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	s := getState(ctx, o)
	defer putState(s)
	if err := s.load(dataset); err != nil {
		return dst, err
	}
	if err := s.label(); err != nil {
		return dst, err
	}
	return append(dst, s.canonicalLines()...), nil
}

// Label is Canonicalize returning the issued identifiers map and the
// work done as well.
func Label(ctx context.Context, dataset []Quad, o Options) (*Result, error) {
	return run(ctx, dataset, o, true)
}

// run canonicalises dataset on a pooled state; the Result's Issued map is
// filled only when issued is set.
func run(ctx context.Context, dataset []Quad, o Options, issued bool) (*Result, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := getState(ctx, o)
	defer putState(s)
	if err := s.load(dataset); err != nil {
		return nil, err
	}
	if err := s.label(); err != nil {
		return nil, err
	}
	return s.result(issued), nil
}

// states holds the states of finished canonicalisations for reuse: their
// buffers, maps and slices keep their capacity, so that a canonicalisation
// of a credential allocates little more than its result and its first
// degree hashes.
//
// Measured (credshare issue 13, go test -bench Sign -cpu 1 ./vc/issuer
// -memprofile, alloc_space and alloc_objects): load's and result's maps,
// serialized terms (a string each), deduplication keys and output lines
// were ~35% of an eddsa-rdfc-2022 signature's allocations and ~35% of its
// bytes; at two cores that garbage was the allocator and GC time
// BenchmarkBulk stopped scaling on.
var states sync.Pool

// maxPooledQuads bounds the size of a state kept in states.
const maxPooledQuads = 4096

func getState(ctx context.Context, o Options) *state {
	s, _ := states.Get().(*state)
	if s == nil || s.o.Hash != o.Hash {
		s = &state{index: map[string]int32{}, seen: map[uint64]int32{}, iris: map[string]span{}, seed: maphash.MakeSeed()}
		s.h = o.Hash.New()
	}
	s.ctx, s.o = ctx, o
	return s
}

func putState(s *state) {
	if len(s.quads) > maxPooledQuads || len(s.nodes) > maxPooledQuads {
		return
	}
	s.ctx = nil
	clear(s.index)
	clear(s.seen)
	clear(s.iris)
	for i := range s.nodes {
		s.nodes[i] = node{mentions: s.nodes[i].mentions[:0]}
	}
	s.nodes = s.nodes[:0]
	clear(s.quads)
	s.quads, s.chain, s.canon = s.quads[:0], s.chain[:0], s.canon[:0]
	s.arena, s.lines, s.spans = s.arena[:0], s.lines[:0], s.spans[:0]
	s.next, s.stats = 0, Stats{}
	states.Put(s)
}

// span is a slice of a state's arena: a serialized term or a
// deduplication key.
type span struct{ off, n int32 }

// iquad is a quad of the dataset: its components serialized in canonical
// N-Quads form (spans of the arena), except blank nodes, which are node
// indexes.
type iquad struct {
	part [4]span  // empty for a blank node or the default graph
	bn   [4]int32 // node index, or -1
	key  span     // the deduplication key
	pred string   // the predicate IRI (Hash Related Blank Node)
}

type node struct {
	label    string
	mentions []int32 // quads mentioning the node, each once
	hf       string  // first degree hash
}

type state struct {
	ctx   context.Context
	o     Options
	h     hash.Hash
	sum   []byte
	buf   []byte
	quads []iquad
	nodes []node
	canon []int32 // canonical identifier number, or -1
	next  int32
	stats Stats

	index map[string]int32 // blank node label → node
	iris  map[string]span  // IRI → its serialized form
	seen  map[uint64]int32 // key hash → the first quad with it
	chain []int32          // per quad: the next quad with its key hash, or -1
	seed  maphash.Seed
	arena []byte // serialized terms and deduplication keys
	lines []byte // output lines being sorted
	spans []span // the lines of lines
}

func (s *state) bytes(sp span) []byte { return s.arena[sp.off : sp.off+sp.n] }

func invalid(i int, msg string) error {
	return fmt.Errorf("%w: quad %d: %s", ErrInvalid, i, msg)
}

// load checks and deduplicates the quads and builds the blank node to
// quads map.
func (s *state) load(dataset []Quad) error {
	// Serialized IRIs are cached by IRI: predicates, types and datatypes
	// repeat (measured: serializing every term afresh was half of load's
	// time and most of rdfc's allocations on a credential). Every
	// serialized term and key is a span of s.arena, not a string.
	s.quads = slices.Grow(s.quads[:0], len(dataset))
	for i, q := range dataset {
		terms := [4]Term{q.Subject, q.Predicate, q.Object, q.Graph}
		switch {
		case q.Subject.Kind != KindIRI && q.Subject.Kind != KindBlank:
			return invalid(i, "the subject is not an IRI or a blank node")
		case q.Predicate.Kind != KindIRI:
			return invalid(i, "the predicate is not an IRI")
		case q.Object.Kind < KindIRI || q.Object.Kind > KindLiteral:
			return invalid(i, "the object is not an IRI, a blank node or a literal")
		case q.Graph.Kind != KindNone && q.Graph.Kind != KindIRI && q.Graph.Kind != KindBlank:
			return invalid(i, "the graph name is not an IRI or a blank node")
		}
		if t := &terms[2]; t.Kind == KindLiteral {
			switch {
			case t.Language != "":
				if !validLanguage(t.Language) {
					return invalid(i, "malformed language tag")
				}
				if t.Datatype != "" && t.Datatype != RDFLangString {
					return invalid(i, "a language-tagged literal with a datatype other than rdf:langString")
				}
				t.Datatype = ""
			case t.Datatype == RDFLangString:
				return invalid(i, "an rdf:langString literal without a language tag")
			case t.Datatype == XSDString:
				t.Datatype = ""
			}
		}
		var iq iquad
		for c, t := range terms {
			iq.bn[c] = -1
			switch t.Kind {
			case KindBlank:
				if t.Value == "" {
					return invalid(i, "an empty blank node identifier")
				}
				n, ok := s.index[t.Value]
				if !ok {
					if len(s.nodes) >= s.o.MaxBlankNodes {
						return &LimitError{Limit: "blank nodes", Max: s.o.MaxBlankNodes}
					}
					n = int32(len(s.nodes))
					s.index[t.Value] = n
					if len(s.nodes) < cap(s.nodes) {
						s.nodes = s.nodes[:n+1]
						s.nodes[n].label = t.Value
					} else {
						s.nodes = append(s.nodes, node{label: t.Value})
					}
				}
				iq.bn[c] = n
			case KindIRI:
				p, ok := s.iris[t.Value]
				if !ok {
					p = s.appendArena(t)
					s.iris[t.Value] = p
				}
				iq.part[c] = p
			case KindLiteral:
				iq.part[c] = s.appendArena(t)
			}
		}
		// The key: per component its kind, then the node index or the
		// serialized term, then a NUL (serialized terms hold no NUL: it
		// is escaped).
		start := len(s.arena)
		for c, t := range terms {
			s.arena = append(s.arena, byte(t.Kind))
			if n := iq.bn[c]; n >= 0 {
				s.arena = append(s.arena, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
			} else if sp := iq.part[c]; sp.n > 0 {
				s.arena = append(s.arena, s.bytes(sp)...)
			}
			s.arena = append(s.arena, 0)
		}
		iq.key = span{int32(start), int32(len(s.arena) - start)}
		key := s.bytes(iq.key)
		h := maphash.Bytes(s.seed, key)
		qi := int32(len(s.quads))
		first, ok := s.seen[h]
		dup := false
		for j := first; ok && j >= 0; j = s.chain[j] {
			if bytes.Equal(s.bytes(s.quads[j].key), key) {
				dup = true
				break
			}
		}
		if dup {
			s.arena = s.arena[:start]
			continue
		}
		if ok {
			s.chain = append(s.chain, first)
		} else {
			s.chain = append(s.chain, -1)
		}
		s.seen[h] = qi
		iq.pred = q.Predicate.Value
		s.quads = append(s.quads, iq)
		for _, n := range iq.bn {
			if n >= 0 {
				if m := s.nodes[n].mentions; len(m) == 0 || m[len(m)-1] != qi {
					s.nodes[n].mentions = append(m, qi)
				}
			}
		}
	}
	s.stats.BlankNodes = len(s.nodes)
	s.canon = slices.Grow(s.canon[:0], len(s.nodes))[:len(s.nodes)]
	for i := range s.canon {
		s.canon[i] = -1
	}
	return nil
}

// appendArena serializes t onto the arena and returns its span.
func (s *state) appendArena(t Term) span {
	start := len(s.arena)
	s.arena = appendTerm(s.arena, t)
	return span{int32(start), int32(len(s.arena) - start)}
}

// hashHex hashes b and returns the lower-case hexadecimal digest.
func (s *state) hashHex(b []byte) string {
	s.h.Reset()
	s.h.Write(b)
	s.sum = s.h.Sum(s.sum[:0])
	return hex.EncodeToString(s.sum)
}

// appendQuadWith appends quad q's canonical N-Quads line, writing each
// blank node with name.
func (s *state) appendQuadWith(b []byte, q *iquad, name func(b []byte, n int32) []byte) []byte {
	for c := 0; c < 4; c++ {
		if c == 3 && q.bn[3] < 0 && q.part[3].n == 0 {
			break
		}
		if c > 0 {
			b = append(b, ' ')
		}
		if n := q.bn[c]; n >= 0 {
			b = append(b, "_:"...)
			b = name(b, n)
		} else {
			b = append(b, s.bytes(q.part[c])...)
		}
	}
	return append(b, " .\n"...)
}

// sortedLines writes the lines of the n quads quad(0), …, quad(n-1)
// (appendQuadWith with name) into s.buf[:0] in code point order, and
// returns it.
func (s *state) sortedLines(n int, quad func(i int) *iquad, name func(b []byte, n int32) []byte) []byte {
	s.lines, s.spans = s.lines[:0], s.spans[:0]
	for i := range n {
		start := len(s.lines)
		s.lines = s.appendQuadWith(s.lines, quad(i), name)
		s.spans = append(s.spans, span{int32(start), int32(len(s.lines) - start)})
	}
	lines := s.lines
	slices.SortFunc(s.spans, func(a, b span) int {
		return bytes.Compare(lines[a.off:a.off+a.n], lines[b.off:b.off+b.n])
	})
	s.buf = s.buf[:0]
	for _, sp := range s.spans {
		s.buf = append(s.buf, lines[sp.off:sp.off+sp.n]...)
	}
	return s.buf
}

// hashFirstDegree is Hash First Degree Quads (RDFC-1.0 §4.6).
func (s *state) hashFirstDegree(n int32) string {
	mentions := s.nodes[n].mentions
	b := s.sortedLines(len(mentions), func(i int) *iquad { return &s.quads[mentions[i]] }, func(b []byte, m int32) []byte {
		if m == n {
			return append(b, 'a')
		}
		return append(b, 'z')
	})
	return s.hashHex(b)
}

func (s *state) issueCanon(n int32) {
	if s.canon[n] < 0 {
		s.canon[n] = s.next
		s.next++
	}
}

// label runs steps 2 to 6 of the Canonicalization Algorithm (§4.4.3).
func (s *state) label() error {
	byHash := map[string][]int32{}
	for i := range s.nodes {
		if i&1023 == 1023 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		h := s.hashFirstDegree(int32(i))
		s.nodes[i].hf = h
		byHash[h] = append(byHash[h], int32(i))
	}
	hashes := make([]string, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	var shared []string
	for _, h := range hashes {
		if ns := byHash[h]; len(ns) == 1 {
			s.issueCanon(ns[0])
		} else {
			shared = append(shared, h)
			s.stats.NonUnique += len(ns)
		}
	}
	type result struct {
		hash string
		iss  *issuer
	}
	for _, h := range shared {
		var results []result
		for _, n := range byHash[h] {
			if s.canon[n] >= 0 {
				continue
			}
			tmp := &issuer{}
			tmp.issue(n)
			hash, iss, err := s.hashNDegree(n, tmp)
			if err != nil {
				return err
			}
			results = append(results, result{hash, iss})
		}
		slices.SortStableFunc(results, func(a, b result) int { return strings.Compare(a.hash, b.hash) })
		for _, r := range results {
			for _, n := range r.iss.ids {
				s.issueCanon(n)
			}
		}
	}
	return nil
}

// canonicalName appends blank node n's canonical identifier.
func (s *state) canonicalName(b []byte, n int32) []byte {
	return strconv.AppendInt(append(b, "c14n"...), int64(s.canon[n]), 10)
}

// canonicalLines returns the canonical N-Quads (the sorted lines, blank
// nodes named canonically) in s's buffer.
func (s *state) canonicalLines() []byte {
	return s.sortedLines(len(s.quads), func(i int) *iquad { return &s.quads[i] }, s.canonicalName)
}

func (s *state) result(withIssued bool) *Result {
	r := &Result{NQuads: string(s.canonicalLines()), Stats: s.stats}
	if withIssued {
		r.Issued = make(map[string]string, len(s.nodes))
		for i, nd := range s.nodes {
			r.Issued[nd.label] = "c14n" + strconv.Itoa(int(s.canon[i]))
		}
	}
	return r
}

// issuer is a temporary identifier issuer (prefix "b"): ids[i] is the
// node issued "b<i>". Paths are short in real data, so lookups scan; the
// work they take is charged to the budget.
type issuer struct {
	ids []int32
}

func (is *issuer) lookup(n int32) int {
	for i, m := range is.ids {
		if m == n {
			return i
		}
	}
	return -1
}

func (is *issuer) issue(n int32) int {
	if i := is.lookup(n); i >= 0 {
		return i
	}
	is.ids = append(is.ids, n)
	return len(is.ids) - 1
}

func (is *issuer) clone() *issuer {
	return &issuer{ids: slices.Clip(slices.Clone(is.ids))}
}

// charge counts work units and fails past the budget.
func (s *state) charge(units int) error {
	s.stats.Work += units
	if s.stats.Work > s.o.MaxWork {
		return &LimitError{Limit: "work units", Max: s.o.MaxWork}
	}
	return nil
}

type related struct {
	hash string
	node int32
}

var positions = [4]string{"s", "p", "o", "g"}

// hashRelated is Hash Related Blank Node (§4.7).
func (s *state) hashRelated(rel int32, q *iquad, iss *issuer, pos int) string {
	b := append(s.buf[:0], positions[pos]...)
	if pos != 3 {
		b = append(b, '<')
		b = append(b, q.pred...)
		b = append(b, '>')
	}
	if c := s.canon[rel]; c >= 0 {
		b = append(b, "_:c14n"...)
		b = strconv.AppendInt(b, int64(c), 10)
	} else if i := iss.lookup(rel); i >= 0 {
		b = append(b, "_:b"...)
		b = strconv.AppendInt(b, int64(i), 10)
	} else {
		b = append(b, s.nodes[rel].hf...)
	}
	s.buf = b
	return s.hashHex(b)
}

// hashNDegree is Hash N-Degree Quads (§4.8): it returns the hash of n and
// the issuer that goes with it. It does not modify iss.
func (s *state) hashNDegree(n int32, iss *issuer) (string, *issuer, error) {
	s.stats.Calls++
	if s.stats.Calls > s.o.MaxCalls {
		return "", nil, &LimitError{Limit: "Hash N-Degree Quads calls", Max: s.o.MaxCalls}
	}
	if err := s.ctx.Err(); err != nil {
		return "", nil, err
	}
	// Steps 1–3: the related hashes of the blank nodes of n's mention set.
	var rel []related
	mentions := s.nodes[n].mentions
	if err := s.charge(len(mentions)); err != nil {
		return "", nil, err
	}
	for _, qi := range mentions {
		q := &s.quads[qi]
		for _, c := range [3]int{0, 2, 3} {
			if m := q.bn[c]; m >= 0 && m != n {
				if err := s.charge(1 + len(iss.ids)); err != nil {
					return "", nil, err
				}
				rel = append(rel, related{s.hashRelated(m, q, iss, c), m})
			}
		}
	}
	slices.SortStableFunc(rel, func(a, b related) int { return strings.Compare(a.hash, b.hash) })
	// Steps 4–5.
	var data []byte
	var path, chosen []byte
	list := make([]int32, 0, 8)
	for start := 0; start < len(rel); {
		end := start + 1
		for end < len(rel) && rel[end].hash == rel[start].hash {
			end++
		}
		data = append(data, rel[start].hash...)
		list = list[:0]
		for _, r := range rel[start:end] {
			list = append(list, r.node)
		}
		start = end
		chosen = chosen[:0]
		var chosenIss *issuer
		err := permute(list, func(p []int32) (bool, error) {
			s.stats.Permutations++
			if s.stats.Permutations > s.o.MaxPermutations {
				return false, &LimitError{Limit: "permutations", Max: s.o.MaxPermutations}
			}
			if s.stats.Permutations&63 == 0 {
				if err := s.ctx.Err(); err != nil {
					return false, err
				}
			}
			if err := s.charge(len(p) * (1 + len(iss.ids))); err != nil {
				return false, err
			}
			cp := iss.clone()
			path = path[:0]
			var recursion []int32
			for _, r := range p {
				if c := s.canon[r]; c >= 0 {
					path = append(path, "_:c14n"...)
					path = strconv.AppendInt(path, int64(c), 10)
				} else {
					if cp.lookup(r) < 0 {
						recursion = append(recursion, r)
					}
					path = append(path, "_:b"...)
					path = strconv.AppendInt(path, int64(cp.issue(r)), 10)
				}
				if len(chosen) > 0 && len(path) >= len(chosen) && bytes.Compare(path, chosen) > 0 {
					return true, nil
				}
			}
			for _, r := range recursion {
				h, res, err := s.hashNDegree(r, cp)
				if err != nil {
					return false, err
				}
				path = append(path, "_:b"...)
				path = strconv.AppendInt(path, int64(cp.issue(r)), 10)
				path = append(path, '<')
				path = append(path, h...)
				path = append(path, '>')
				cp = res
				if len(chosen) > 0 && len(path) >= len(chosen) && bytes.Compare(path, chosen) > 0 {
					return true, nil
				}
			}
			if len(chosen) == 0 || bytes.Compare(path, chosen) < 0 {
				chosen = append(chosen[:0], path...)
				chosenIss = cp
			}
			return true, nil
		})
		if err != nil {
			return "", nil, err
		}
		data = append(data, chosen...)
		iss = chosenIss
	}
	return s.hashHex(data), iss, nil
}

// permute calls f with every permutation of list (Heap's algorithm), in
// place, until f returns false or an error.
func permute(list []int32, f func([]int32) (bool, error)) error {
	k := len(list)
	if ok, err := f(list); !ok || err != nil {
		return err
	}
	c := make([]int, k)
	for i := 1; i < k; {
		if c[i] < i {
			if i%2 == 0 {
				list[0], list[i] = list[i], list[0]
			} else {
				list[c[i]], list[i] = list[i], list[c[i]]
			}
			if ok, err := f(list); !ok || err != nil {
				return err
			}
			c[i]++
			i = 1
		} else {
			c[i] = 0
			i++
		}
	}
	return nil
}

// Validate reports whether o is usable: no negative limit, an available
// hash. Errors match ErrInvalid.
func (o Options) Validate() error {
	_, err := o.resolve()
	return err
}
