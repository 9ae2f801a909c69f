// Package qr renders the QR codes of wallet offers: a deep link as a PNG a
// phone camera reads. It is the only package of the module that imports a
// QR-code encoder (github.com/skip2/go-qrcode), so that vc/wallet and the
// protocols' users who never render a code do not depend on it.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultSize is the default side of a QR code image, in pixels.
const DefaultSize = 320

// PNG renders text as a QR code PNG of size×size pixels (size <= 0
// means DefaultSize; never smaller than one pixel per module) with medium
// error correction, which phone cameras read reliably at deep-link lengths.
// The image is a two-colour paletted PNG with the standard quiet zone;
// every module is a whole number of pixels, centred.
func PNG(text string, size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultSize
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: QR code for a %d-byte link: %w", len(text), err)
	}
	bits := q.Bitmap() // includes the quiet zone
	n := len(bits)
	scale := max(size/n, 1)
	size = max(size, n*scale)
	off := (size - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range scale {
				i := img.PixOffset(off+x*scale, off+y*scale+dy)
				for dx := range scale {
					img.Pix[i+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
