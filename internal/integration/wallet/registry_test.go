package wallettest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
)

// The registry's host-facing endpoints with the real protocols behind it.
func TestRegistryEndpoints(t *testing.T) {
	e := newEnv(t, memstore.New())
	ctx := context.Background()
	resp, err := e.srv.Client().Get(e.base + "/storages/")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ ID, Name string }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 3 || list[0].ID != "lcw" || list[1].ID != "vcapi" || list[2].ID != "oid4vci" || list[0].Name != "Learner Credential Wallet" {
		t.Fatalf("storages: %+v", list)
	}
	mine := e.award(21, "course-v1:edX+Reg+1")
	// A learner id in the body is ignored: the session decides.
	body := `{"credential_uuid":"` + mine.UUID.String() + `","storage_id":"lcw","learner_id":21}`
	req, _ := http.NewRequest(http.MethodPost, e.base+"/credentials/init/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(learnerHeader, "22")
	resp, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("init with another learner in the body: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		ct, body string
		code     int
	}{
		{"application/json", `{"credential_uuid":"nope","storage_id":"lcw"}`, 400},
		{"application/json", `{"credential_uuid":"` + mine.UUID.String() + `"}`, 400},
		{"text/plain", `{"credential_uuid":"` + mine.UUID.String() + `","storage_id":"lcw"}`, 400},
		{"application/json", `{"credential_uuid":"` + mine.UUID.String() + `","storage_id":"lcw","pad":"` + strings.Repeat("a", wallet.DefaultMaxBody) + `"}`, 413},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/credentials/init", bytes.NewReader([]byte(c.body)))
		req.Header.Set("Content-Type", c.ct)
		req.Header.Set(learnerHeader, "21")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%.50s (%s): %d, want %d", c.body, c.ct, resp.StatusCode, c.code)
		}
	}
	// Offers made from Go directly (a host with its own front end).
	o, err := e.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: 21, AwardUUID: mine.UUID})
	if err != nil || !strings.HasPrefix(o.DeepLink, lcw.DefaultDeepLink+"?") || len(o.QRCodePNG) == 0 || o.ExpiresAt.IsZero() {
		t.Fatalf("offer: %+v %v", o, err)
	}
	if _, err := e.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: 21, AwardUUID: mine.UUID, Format: vc.FormatJWT}); err == nil {
		t.Fatal("LCW offered a JWT credential")
	}
}
