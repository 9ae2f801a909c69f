package did_test

import (
	"crypto/ed25519"
	"fmt"
	"net/http"

	"github.com/credshare/credshare/vc/did"
)

func ExampleKeyDID() {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	d, vm := did.KeyDID(pub)
	fmt.Println(d)
	fmt.Println(vm == d+"#"+d[len("did:key:"):])
	// Output:
	// did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp
	// true
}

// An institution's did:web with two keys (the second for rotation), served
// at https://example.edu/.well-known/did.json.
func ExampleWebHandler() {
	k1 := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	k2 := ed25519.NewKeyFromSeed([]byte("01234567890123456789012345678901")).Public().(ed25519.PublicKey)
	id := did.WebDID("example.edu")
	doc, _ := did.NewDocument(id, []ed25519.PublicKey{k1, k2})
	h, _ := did.NewWebHandler(doc)
	mux := http.NewServeMux()
	mux.Handle("/.well-known/did.json", h)
	u, _ := did.WebURL(id)
	fmt.Println(id, u, len(doc.AssertionMethod.Refs))
	// Output: did:web:example.edu https://example.edu/.well-known/did.json 2
}
