package wallet_test

import (
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/wallet"
)

// A deep link of realistic length (issuer did:key, request URL, challenge).
var benchLink = "dccrequest://request?issuer=did%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK&vc_request_url=https%3A%2F%2Fcredentials.example.edu%2Fwallet%2Flcw%2Fissue%2F3f1c0b1e-6d2a-4c55-9d59-3c4a0a2b7e10&auth_type=bearer&challenge=" + strings.Repeat("q", 43) + "&vp_version=1.1"

func BenchmarkQRCodePNG(b *testing.B) {
	for b.Loop() {
		if _, err := wallet.QRCodePNG(benchLink, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePresentation(b *testing.B) {
	vp := []byte(goodVP)
	for b.Loop() {
		if _, err := wallet.ParsePresentation(vp); err != nil {
			b.Fatal(err)
		}
	}
}
