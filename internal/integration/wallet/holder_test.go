package wallettest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// A holder without a Client uses a guarded client with the Localhost
// policy: it reaches a plain-http test server on loopback and nothing
// outside this machine.
func TestHolderDefaultClientIsLocalhostOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	h, err := wallettest.NewHolder()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if b, code, err := h.Do(ctx, http.MethodGet, srv.URL+"/", "", nil, nil); err != nil || code != 200 || string(b) != `{"ok":true}` {
		t.Fatalf("loopback test server: %d %q %v", code, b, err)
	}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[fd00::1]/"} {
		if _, _, err := h.Do(ctx, http.MethodGet, u, "", nil, nil); !errors.Is(err, netguard.ErrDenied) {
			t.Errorf("%s: want refused by the policy, got %v", u, err)
		}
	}
}
