package wallet_test

import (
	"testing"

	"github.com/credshare/credshare/vc/wallet"
)

func TestNewInitResponse(t *testing.T) {
	o := wallet.Offer{Wallet: "w", DeepLink: "x://y", QRCodePNG: []byte{1, 2}, AppLinks: map[string]string{"ios": "i", "android": "a"}}
	r := wallet.NewInitResponse(wallet.Info{ID: "w", Kind: wallet.Mobile}, o)
	if r.DeepLink != "x://y" || r.QRCode != "AQI=" || r.AppLinkIOS != "i" || r.AppLinkAndroid != "a" || r.Redirect || r.Offer.QRCodePNG != nil {
		t.Fatalf("mobile: %+v", r)
	}
	if o.QRCodePNG == nil {
		t.Fatal("the caller's offer was modified")
	}
	r = wallet.NewInitResponse(wallet.Info{ID: "w", Kind: wallet.Web}, o)
	if !r.Redirect || r.AppLinkIOS != "" {
		t.Fatalf("web: %+v", r)
	}
}

func TestNewRegistryValidates(t *testing.T) {
	if _, err := wallet.NewRegistry([]wallet.Protocol{nil}); err == nil {
		t.Fatal("nil wallet accepted")
	}
	if _, err := wallet.NewRegistry(nil, wallet.WithAlias("a", "nope")); err == nil {
		t.Fatal("alias of an unknown wallet accepted")
	}
	if _, err := wallet.NewRegistry(nil, wallet.WithMaxBody(0)); err == nil {
		t.Fatal("zero body limit accepted")
	}
}
