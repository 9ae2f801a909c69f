package wallet_test

import (
	"testing"

	"github.com/credshare/credshare/vc/wallet"
)

func BenchmarkParsePresentation(b *testing.B) {
	vp := []byte(goodVP)
	for b.Loop() {
		if _, err := wallet.ParsePresentation(vp); err != nil {
			b.Fatal(err)
		}
	}
}
