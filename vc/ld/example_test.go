package ld_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credshare/credshare/vc/ld"
)

// The default loader serves the bundled contexts and nothing else.
func ExampleLoader_Canonicalize() {
	var doc any
	_ = json.Unmarshal([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],
	  "type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}`), &doc)
	nq, err := ld.Default().Canonicalize(context.Background(), doc)
	fmt.Println(err, strings.Count(nq, "\n"))
	_, err = ld.Default().LoadDocument("https://example.org/unknown-context.jsonld")
	fmt.Println(err != nil)
	// Output:
	// <nil> 3
	// true
}

// AppendCanonical canonicalises into a buffer the caller reuses, here to
// hash several documents without a string per document.
func ExampleLoader_AppendCanonical() {
	var buf []byte
	for _, issuer := range []string{"did:example:1", "did:example:3"} {
		var doc any
		_ = json.Unmarshal([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],
		  "type":["VerifiableCredential"],"issuer":"`+issuer+`","credentialSubject":{"id":"did:example:2"}}`), &doc)
		var err error
		buf, err = ld.Default().AppendCanonical(context.Background(), buf[:0], doc)
		fmt.Println(err, strings.Contains(string(buf), "<"+issuer+">"), strings.Count(string(buf), "\n"))
	}
	// Output:
	// <nil> true 3
	// <nil> true 3
}
