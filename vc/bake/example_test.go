package bake_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"

	"github.com/credshare/credshare/vc/bake"
)

// Bake a credential into a PNG badge and read it back.
func Example() {
	ctx := context.Background()
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewGray(image.Rect(0, 0, 4, 4)))

	cred := []byte(`{"type":["VerifiableCredential","OpenBadgeCredential"],"proof":{"type":"DataIntegrityProof"}}`)
	baked, err := bake.Bake(ctx, img.Bytes(), cred)
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := bake.Unbake(ctx, baked)
	fmt.Println(bytes.Equal(got, cred), err)

	_, err = bake.Unbake(ctx, img.Bytes())
	fmt.Println(err)
	// Output:
	// true <nil>
	// bake: the image holds no Open Badges 3.0 credential
}

// A VC-JWT goes into an SVG image's verify attribute.
func ExampleBakeSVG() {
	ctx := context.Background()
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>`)
	baked, _ := bake.BakeSVG(ctx, svg, []byte("eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5In0.c2ln"))
	fmt.Println(string(baked))
	// Output:
	// <svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">
	// <openbadges:credential verify="eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5In0.c2ln"></openbadges:credential><rect width="8" height="8"/></svg>
}
