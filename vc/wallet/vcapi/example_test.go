package vcapi_test

import (
	"fmt"

	"github.com/credshare/credshare/vc/wallet/vcapi"
)

// The two messages a wallet posts to an exchange: an empty one to start it,
// then its DID authentication.
func ExampleParseMessage() {
	start, _ := vcapi.ParseMessage([]byte(`{}`))
	fmt.Println(start.VerifiablePresentation == nil)
	answer, _ := vcapi.ParseMessage([]byte(`{"verifiablePresentation":{"type":"VerifiablePresentation","holder":"did:key:z6Mk"}}`))
	fmt.Println(string(answer.VerifiablePresentation))
	_, err := vcapi.ParseMessage([]byte(`{"verifiablePresentation":"eyJ..."}`))
	fmt.Println(err)
	// Output:
	// true
	// {"type":"VerifiablePresentation","holder":"did:key:z6Mk"}
	// wallet: malformed request: "verifiablePresentation" must be an object
}
