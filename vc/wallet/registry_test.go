package wallet_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

// fixed is a wallet protocol with a fixed offer, to test the registry's
// routing on its own (the protocols are tested end to end in wallettest).
type fixed struct {
	info vc.WalletInfo
	got  *vc.WalletOfferRequest
}

func (f fixed) Info() vc.WalletInfo { return f.info }
func (f fixed) Offer(_ context.Context, r vc.WalletOfferRequest) (vc.WalletOffer, error) {
	*f.got = r
	return vc.WalletOffer{Wallet: f.info.ID, DeepLink: "x://y", QRCodePNG: []byte{1, 2}, AppLinks: map[string]string{"ios": "i"}}, nil
}
func (f fixed) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(f.info.ID + r.URL.Path)) })
}

func TestRegistry(t *testing.T) {
	var got vc.WalletOfferRequest
	mob := fixed{info: vc.WalletInfo{ID: "mob", Name: "Mobile", Kind: vc.WalletMobile}, got: &got}
	web := fixed{info: vc.WalletInfo{ID: "web", Name: "Web", Kind: vc.WalletWeb}, got: &got}
	if _, err := wallet.NewRegistry([]vc.Wallet{mob, mob}); err == nil {
		t.Fatal("duplicate ids accepted")
	}
	if _, err := wallet.NewRegistry([]vc.Wallet{mob}, wallet.WithAlias("a", "nope")); err == nil {
		t.Fatal("alias of an unknown wallet accepted")
	}
	reg, err := wallet.NewRegistry([]vc.Wallet{mob, web}, wallet.WithAlias("m", "mob"))
	if err != nil {
		t.Fatal(err)
	}
	auth := wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		if r.Header.Get("X-User") == "" {
			return 0, wallet.ErrUnauthenticated
		}
		return 5, nil
	})
	h := reg.Handler(auth)
	do := func(method, path, body string, user bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if user {
			r.Header.Set("X-User", "5")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do("GET", "/storages/", "", false); w.Code != 200 || w.Body.String() != `[{"id":"mob","name":"Mobile"},{"id":"web","name":"Web"}]` {
		t.Fatalf("storages: %d %s", w.Code, w.Body)
	}
	award := uuid.New()
	// The learner id comes from auth, whatever the body says.
	w := do("POST", "/credentials/init/", `{"credential_uuid":"`+award.String()+`","storage_id":"m","learner_id":99}`, true)
	var resp wallet.InitResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
		t.Fatalf("init: %d %s", w.Code, w.Body)
	}
	if got.LearnerID != 5 || got.AwardUUID != award || resp.QRCode != "AQI=" || resp.AppLinkIOS != "i" || resp.Redirect || resp.Offer.QRCodePNG != nil {
		t.Fatalf("init: %+v %+v", got, resp)
	}
	w = do("POST", "/credentials/init", `{"credential_uuid":"`+award.String()+`","storage_id":"web"}`, true)
	resp = wallet.InitResponse{}
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if !resp.Redirect || resp.AppLinkIOS != "" {
		t.Fatalf("web wallet: %+v", resp)
	}
	for _, c := range []struct {
		body string
		user bool
		code int
	}{
		{`{"credential_uuid":"` + award.String() + `","storage_id":"mob"}`, false, 401},
		{`{"credential_uuid":"nope","storage_id":"mob"}`, true, 400},
		{`{"credential_uuid":"` + award.String() + `","storage_id":"nope"}`, true, 404},
		{`{`, true, 400},
		{`{"credential_uuid":"` + award.String() + `","storage_id":"mob","pad":"` + strings.Repeat("a", wallet.DefaultMaxBody) + `"}`, true, 413},
	} {
		if w := do("POST", "/credentials/init/", c.body, c.user); w.Code != c.code {
			t.Errorf("%.60s: %d, want %d (%s)", c.body, w.Code, c.code, w.Body)
		}
	}
	if w := do("POST", "/mob/anything", "", false); w.Body.String() != "mob/anything" {
		t.Fatalf("wallet mount: %s", w.Body)
	}
}
