package wallettest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// A host mounts the three wallet protocols under /wallet; a learner asks
// for their certificate in the Learner Credential Wallet, and the simulated
// wallet follows the deep link.
func Example() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()

	// The issuer: a did:key, vc/issuer to sign, vc/verify for the wallets'
	// presentations, the status service for credentialStatus entries.
	priv, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	key, _ := vc.NewSigner(priv, vm)
	signer, _ := issuer.New(issuer.Config{Signer: key})
	statuses, err := status.New(status.Config{BaseURL: "https://credentials.example.edu/status"})
	if err != nil {
		log.Fatal(err)
	}
	resolver := did.NewResolver()
	presentations, _ := verify.New(verify.Config{Resolver: resolver})
	issue, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{
		Profile: vc.Profile{ID: issuerDID, Name: "Example University"},
		Signer:  signer,
		Achievement: func(_ context.Context, _ store.Repos, aw credential.Award) (vc.Achievement, error) {
			return vc.Achievement{Name: "Demo Course certificate"}, nil // the host knows its course titles
		},
		Status: statuses.Entry,
	})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := wallet.NewService(wallet.Config{
		Store: st, Issuer: issue, Status: statuses, Verifier: presentations, Resolver: resolver,
		IssuerID: issuerDID, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}

	// The HTTP side. BaseURLs must be where each protocol is reachable.
	var root http.ServeMux
	srv := httptest.NewServer(&root)
	defer srv.Close()
	base := srv.URL + "/wallet"
	l, _ := lcw.New(lcw.Config{Service: svc, BaseURL: base + "/lcw"})
	x, _ := vcapi.New(vcapi.Config{Service: svc, BaseURL: base + "/vcapi"})
	o, _ := oid4vci.New(oid4vci.Config{Service: svc, BaseURL: base + "/oid4vci", Keys: oid4vci.KeysFrom(resolver)})
	reg, err := wallet.NewRegistry([]wallet.Protocol{l, x, o}, wallet.WithAlias(lcw.OpenEdXID, lcw.ID))
	if err != nil {
		log.Fatal(err)
	}
	// The host's session says who is signed in (here: a header).
	auth := wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		id, err := strconv.ParseInt(r.Header.Get("X-User-Id"), 10, 64)
		if err != nil {
			return 0, wallet.ErrUnauthenticated
		}
		return id, nil
	})
	root.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(auth)))

	// Learner 42 holds a course certificate.
	aw, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:edX+DemoX+Demo_Course"),
		credential.Cause{EventID: "e1", EventTime: time.Now()})
	aw, _, _ = st.Awards().Put(ctx, aw)

	// The learner's browser asks for an offer…
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: aw.UUID.String(), StorageID: "lc_wallet"})
	req, _ := http.NewRequest(http.MethodPost, base+"/credentials/init/", bytes.NewReader(body))
	req.Header.Set("X-User-Id", "42")
	browser := netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	resp, err := browser.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var init wallet.InitResponse
	_ = json.NewDecoder(resp.Body).Decode(&init)
	resp.Body.Close()
	fmt.Println("init:", resp.StatusCode, init.QRCode != "")

	// …and the wallet follows the deep link.
	holder, _ := wallettest.NewHolder()
	cred, err := holder.LCW(ctx, init.DeepLink)
	if err != nil {
		log.Fatal(err)
	}
	c, _ := vc.ParseCredential(cred)
	fmt.Println("subject is the holder:", c.CredentialSubject[0].ID == holder.DID)
	fmt.Println("status:", c.CredentialStatus[0].Type, c.CredentialStatus[0].StatusPurpose)

	// The link works once.
	_, err = holder.LCW(ctx, init.DeepLink)
	var refused *wallettest.ResponseError
	if errors.As(err, &refused) {
		fmt.Println("again:", refused.Status, refused.Code)
	}
	// Output:
	// init: 200 true
	// subject is the holder: true
	// status: BitstringStatusListEntry revocation
	// again: 409 already_used
}
