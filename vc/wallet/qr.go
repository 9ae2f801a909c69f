package wallet

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultQRSize is the default side of a QR code image, in pixels.
const DefaultQRSize = 320

// QRCodePNG renders text as a QR code PNG of size×size pixels (size <= 0
// means DefaultQRSize) with medium error correction, which phone cameras
// read reliably at deep-link lengths.
func QRCodePNG(text string, size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultQRSize
	}
	png, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("wallet: QR code for a %d-byte link: %w", len(text), err)
	}
	return png, nil
}
