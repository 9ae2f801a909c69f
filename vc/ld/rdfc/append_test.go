package rdfc_test

import (
	"context"
	"testing"

	"github.com/credshare/credshare/vc/ld/rdfc"
)

// AppendCanonical appends what Canonicalize returns.
func TestAppendCanonicalIsCanonicalize(t *testing.T) {
	ctx := context.Background()
	ds := []rdfc.Quad{
		{Subject: rdfc.Blank("b0"), Predicate: rdfc.IRI("http://example.org/p"), Object: rdfc.Blank("b1")},
		{Subject: rdfc.Blank("b1"), Predicate: rdfc.IRI("http://example.org/q"), Object: rdfc.Literal("x\n\"y\"", "", "en")},
		{Subject: rdfc.IRI("http://example.org/s"), Predicate: rdfc.IRI("http://example.org/p"), Object: rdfc.Blank("b0")},
	}
	want, err := rdfc.Canonicalize(ctx, ds, rdfc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time on a pooled state
		got, err := rdfc.AppendCanonical(ctx, []byte("prefix:"), ds, rdfc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "prefix:"+want {
			t.Fatalf("got %q, want prefix:%q", got, want)
		}
	}
}
