package lcw_test

import (
	"fmt"

	"github.com/credshare/credshare/vc/wallet/lcw"
)

// The credential request link the Learner Credential Wallet opens.
func ExampleDeepLinkParams_Link() {
	p := lcw.DeepLinkParams{
		Issuer:       "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		VCRequestURL: "https://credentials.example.edu/wallet/lcw/issue/3f1c0b1e-6d2a-4c55-9d59-3c4a0a2b7e10",
		AuthType:     "bearer",
		Challenge:    "q8R2nV",
		VPVersion:    lcw.DefaultVPVersion,
	}
	fmt.Println(p.Link(lcw.DefaultDeepLink))
	// Output:
	// dccrequest://request?issuer=did%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK&vc_request_url=https%3A%2F%2Fcredentials.example.edu%2Fwallet%2Flcw%2Fissue%2F3f1c0b1e-6d2a-4c55-9d59-3c4a0a2b7e10&auth_type=bearer&challenge=q8R2nV&vp_version=1.1
}

// A wallet reads the link back.
func ExampleParseDeepLink() {
	p, err := lcw.ParseDeepLink("dccrequest://request?issuer=did%3Akey%3Az6Mk&vc_request_url=https%3A%2F%2Fa.example%2Fi%2F1&auth_type=bearer&challenge=c1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.VCRequestURL, p.Challenge)
	_, err = lcw.ParseDeepLink("dccrequest://request?issuer=did%3Akey%3Az6Mk&vc_request_url=https%3A%2F%2Fa.example%2Fi%2F1&auth_type=code&challenge=c1")
	fmt.Println(err)
	// Output:
	// https://a.example/i/1 c1
	// wallet: unsupported: auth_type "code" is not supported (only bearer)
}
