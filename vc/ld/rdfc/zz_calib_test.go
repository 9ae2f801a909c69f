package rdfc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/ld/rdfc"
)

func clique(n int, self bool) []rdfc.Quad {
	var qs []rdfc.Quad
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j && !self {
				continue
			}
			qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/p"), Object: rdfc.Blank(fmt.Sprint("e", j))})
		}
	}
	return qs
}

func cycle(n int) []rdfc.Quad {
	var qs []rdfc.Quad
	for i := 0; i < n; i++ {
		qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/p"), Object: rdfc.Blank(fmt.Sprint("e", (i+1)%n))})
	}
	return qs
}

// dense: a clique whose nodes each have many extra mentions, to make each step costly.
func dense(n, extra int) []rdfc.Quad {
	qs := clique(n, false)
	for i := 0; i < n; i++ {
		for k := 0; k < extra; k++ {
			qs = append(qs, rdfc.Quad{Subject: rdfc.Blank(fmt.Sprint("e", i)), Predicate: rdfc.IRI("http://example.com/q"), Object: rdfc.Blank(fmt.Sprint("x", i, "_", k))})
		}
	}
	return qs
}

func TestZZCalib(t *testing.T) {
	big := 1 << 40
	shapes := map[string][]rdfc.Quad{"K10": clique(10, true), "K8": clique(8, false), "K12": clique(12, false), "C100": cycle(100), "C300": cycle(300), "dense6x50": dense(6, 50), "dense10x20": dense(10, 20)}
	for name, qs := range shapes {
		for _, o := range []rdfc.Options{
			{MaxCalls: 4096, MaxPermutations: big, MaxWork: big},
			{MaxCalls: big, MaxPermutations: 16384, MaxWork: big},
			{MaxCalls: big, MaxPermutations: big, MaxWork: 1_000_000},
			{},
		} {
			start := time.Now()
			r, err := rdfc.Label(context.Background(), qs, o)
			el := time.Since(start)
			if err != nil {
				t.Logf("%s %v: %v after %v", name, o, err, el)
			} else {
				t.Logf("%s %v: ok %+v in %v", name, o, r.Stats, el)
			}
		}
	}
}
