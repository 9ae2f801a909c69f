package qr_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/wallet/qr"
)

func TestPNG(t *testing.T) {
	b, err := qr.PNG("dccrequest://request?issuer=did%3Akey%3Az6Mk&challenge=abc", 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != qr.DefaultSize {
		t.Fatalf("size %v", img.Bounds())
	}
}

// A deep link of realistic length (issuer did:key, request URL, challenge).
var benchLink = "dccrequest://request?issuer=did%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK&vc_request_url=https%3A%2F%2Fcredentials.example.edu%2Fwallet%2Flcw%2Fissue%2F3f1c0b1e-6d2a-4c55-9d59-3c4a0a2b7e10&auth_type=bearer&challenge=" + strings.Repeat("q", 43) + "&vp_version=1.1"

func BenchmarkQRCodePNG(b *testing.B) {
	for b.Loop() {
		if _, err := qr.PNG(benchLink, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func ExamplePNG() {
	b, err := qr.PNG("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.edu%2Fo%2F1", 0)
	if err != nil {
		panic(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	fmt.Println(img.Bounds().Dx(), "×", img.Bounds().Dy())
	// Output: 320 × 320
}
