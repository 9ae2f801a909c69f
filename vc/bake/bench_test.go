package bake_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/bake"
)

// badgePNG is a 256×256 badge-sized image with a 2 KB credential baked.
func badgePNG(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for x := range 256 {
		for y := range 256 {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: uint8(x ^ y), A: 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	cred := `{"type":["VerifiableCredential","OpenBadgeCredential"],"pad":"` + strings.Repeat("x", 2000) + `"}`
	baked, err := bake.BakePNG(context.Background(), buf.Bytes(), []byte(cred))
	if err != nil {
		b.Fatal(err)
	}
	return baked
}

func BenchmarkUnbakePNG(b *testing.B) {
	img := badgePNG(b)
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := bake.UnbakePNG(b.Context(), img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnbakeSVG(b *testing.B) {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">` + strings.Repeat(`<path d="M10 10 L 200 200 Z" fill="#336"/>`, 500) + `</svg>`
	baked, err := bake.BakeSVG(context.Background(), []byte(svg), []byte(`{"pad":"`+strings.Repeat("x", 2000)+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(baked)))
	for b.Loop() {
		if _, err := bake.UnbakeSVG(b.Context(), baked); err != nil {
			b.Fatal(err)
		}
	}
}
