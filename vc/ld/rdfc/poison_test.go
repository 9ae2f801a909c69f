package rdfc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/ld/rdfc"
)

// clique is n blank nodes each linked to every other (and to itself when
// self is set): every node has the same first degree hash, the shape of
// the W3C suite's poison test074.
func clique(n int, self bool) []rdfc.Quad {
	var qs []rdfc.Quad
	for i := range n {
		for j := range n {
			if i == j && !self {
				continue
			}
			qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/p"), Object: rdfc.Blank(fmt.Sprint("e", j))})
		}
	}
	return qs
}

// cycle is a ring of n blank nodes: all first degree hashes equal, each
// N-degree run walks the ring.
func cycle(n int) []rdfc.Quad {
	var qs []rdfc.Quad
	for i := range n {
		qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/p"), Object: rdfc.Blank(fmt.Sprint("e", (i+1)%n))})
	}
	return qs
}

// dense is a clique whose nodes each have many more blank neighbours, so
// that every step of an N-degree run is costly.
func dense(n, extra int) []rdfc.Quad {
	qs := clique(n, false)
	for i := range n {
		for k := range extra {
			qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/q"), Object: rdfc.Blank(fmt.Sprint("x", i, "_", k))})
		}
	}
	return qs
}

// TestPoisonShapesRefused: graphs that make RDFC-1.0 exponential or
// quadratic-times-factorial fail with ErrTooComplex under the default
// budget, whichever limit trips first; each one alone trips too. The
// time each took is logged (figures in docs/security.md).
func TestPoisonShapesRefused(t *testing.T) {
	huge := 1 << 40
	shapes := map[string][]rdfc.Quad{
		"clique10+self": clique(10, true), "clique8": clique(8, false), "clique12": clique(12, false),
		"cycle300": cycle(300), "dense6x50": dense(6, 50), "dense10x20": dense(10, 20),
	}
	budgets := map[string]rdfc.Options{
		"default":      {},
		"calls":        {MaxCalls: 4096, MaxPermutations: huge, MaxWork: huge},
		"permutations": {MaxCalls: huge, MaxPermutations: 16384, MaxWork: huge},
		"work":         {MaxCalls: huge, MaxPermutations: huge, MaxWork: 1_000_000},
	}
	for name, qs := range shapes {
		for bname, o := range budgets {
			t.Run(name+"/"+bname, func(t *testing.T) {
				start := time.Now()
				_, err := rdfc.Label(context.Background(), qs, o)
				var le *rdfc.LimitError
				if !errors.Is(err, rdfc.ErrTooComplex) || !errors.As(err, &le) {
					t.Fatalf("got %v, want a *LimitError matching ErrTooComplex", err)
				}
				t.Logf("refused after %v: %v", time.Since(start), err)
			})
		}
	}
}

// TestLegitimateShapesAccepted: small symmetric graphs canonicalise under
// the default budget. (A blank node with ten indistinguishable blank
// children — dense(3, 10) — does not: its N-degree runs permute the
// children, 10! orders, and Digital Bazaar's verifiers, whose deep
// iteration limit is the number of non-unique nodes, refuse it as well.)
func TestLegitimateShapesAccepted(t *testing.T) {
	for name, qs := range map[string][]rdfc.Quad{"clique4": clique(4, false), "cycle16": cycle(16)} {
		r, err := rdfc.Label(context.Background(), qs, rdfc.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, r.Stats)
	}
}

// TestBlankNodeLimit: the distinct blank nodes are bounded by
// MaxBlankNodes before any hashing.
func TestBlankNodeLimit(t *testing.T) {
	_, err := rdfc.Canonicalize(context.Background(), cycle(100), rdfc.Options{MaxBlankNodes: 99})
	var le *rdfc.LimitError
	if !errors.As(err, &le) || le.Max != 99 || !strings.Contains(le.Limit, "blank") {
		t.Fatalf("got %v", err)
	}
}

// TestCancelledContextStopsPromptly: a cancelled or expiring context stops
// canonicalisation of a poison graph with the context's error, even with
// a budget that would let it run for minutes.
func TestCancelledContextStopsPromptly(t *testing.T) {
	huge := 1 << 40
	unbounded := rdfc.Options{MaxCalls: huge, MaxPermutations: huge, MaxWork: huge}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rdfc.Canonicalize(ctx, clique(10, true), unbounded); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := rdfc.Canonicalize(ctx, clique(12, true), unbounded)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}
	t.Logf("stopped %v after the deadline", time.Since(start)-20*time.Millisecond)
}

// FuzzParseNQuads: the N-Quads parser never panics, and what it accepts
// serialises to N-Quads it parses back to the same quads.
func FuzzParseNQuads(f *testing.F) {
	for _, s := range []string{
		"<http://a/s> <http://a/p> \"o\" .\n",
		"_:b0 <http://a/p> _:b1 _:g .\n",
		"<http://a/s> <http://a/p> \"x\\u00e9\\n\"@en-GB <http://a/g> .\n",
		"<http://a/s> <http://a/p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n# comment\n",
		"<s> <p> <o> .", "_:a <http://a/p> \"unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		qs, err := rdfc.ParseNQuads(s)
		if err != nil {
			if !errors.Is(err, rdfc.ErrSyntax) {
				t.Fatalf("error %v does not match ErrSyntax", err)
			}
			return
		}
		var b []byte
		for _, q := range qs {
			b = rdfc.AppendQuad(b, q)
		}
		again, err := rdfc.ParseNQuads(string(b))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", b, err)
		}
		if len(again) != len(qs) {
			t.Fatalf("%d quads, then %d", len(qs), len(again))
		}
		for i := range qs {
			if qs[i] != again[i] {
				t.Fatalf("quad %d: %#v then %#v", i, qs[i], again[i])
			}
		}
	})
}
