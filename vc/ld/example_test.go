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
