package rdfc_test

import (
	"context"
	"fmt"

	"github.com/credshare/credshare/vc/ld/rdfc"
)

// Canonicalize relabels the blank nodes so that the same graph gives the
// same N-Quads, whatever labels it came with.
func ExampleCanonicalize() {
	ds, err := rdfc.ParseNQuads("_:x <http://example.org/p> \"a\" .\n_:x <http://example.org/q> _:y .\n")
	if err != nil {
		panic(err)
	}
	out, err := rdfc.Canonicalize(context.Background(), ds, rdfc.Options{})
	fmt.Print(out, err, "\n")
	// Output:
	// _:c14n0 <http://example.org/p> "a" .
	// _:c14n0 <http://example.org/q> _:c14n1 .
	// <nil>
}

// AppendCanonical writes the canonical form into a buffer the caller
// reuses (to hash it, say) instead of returning a new string.
func ExampleAppendCanonical() {
	var buf []byte
	for _, label := range []string{"x", "other"} {
		ds, err := rdfc.ParseNQuads("_:" + label + " <http://example.org/p> \"a\" .\n")
		if err != nil {
			panic(err)
		}
		buf, err = rdfc.AppendCanonical(context.Background(), buf[:0], ds, rdfc.Options{})
		fmt.Print(string(buf), err, "\n")
	}
	// Output:
	// _:c14n0 <http://example.org/p> "a" .
	// <nil>
	// _:c14n0 <http://example.org/p> "a" .
	// <nil>
}
