package status_test

import (
	"context"
	"fmt"
	"github.com/credshare/credshare/vc/netguard"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/google/uuid"
)

func ExampleBitstring() {
	b, _ := status.NewBitstring(status.MinEntries, 1)
	_ = b.Set(0, 1)
	_ = b.Set(9, 1)
	fmt.Printf("byte 0 = %#x, byte 1 = %#x\n", b.Bytes()[0], b.Bytes()[1])
	enc, _ := b.Encode()
	fmt.Println("multibase prefix:", enc[:1])
	d, _ := status.DecodeBitstring(enc, 1, 0)
	v, _ := d.Get(9)
	fmt.Println("entry 9 after a round trip:", v)
	// Output:
	// byte 0 = 0x80, byte 1 = 0x40
	// multibase prefix: u
	// entry 9 after a round trip: 1
}

func ExampleService_Allocate() {
	ctx := context.Background()
	st := memstore.New()
	svc, _ := status.New(status.Config{BaseURL: "https://creds.example.edu/status", Suspension: true})
	_ = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		refs, err := svc.Allocate(ctx, tx, "did:key:z6MkExample")
		if err != nil {
			return err
		}
		for _, r := range refs {
			e, _ := svc.Entry(r, vc.V2)
			fmt.Println(e.Type, e.StatusPurpose, strings.HasPrefix(e.StatusListCredential, "https://creds.example.edu/status/"))
		}
		return nil
	})
	// Output:
	// BitstringStatusListEntry revocation true
	// BitstringStatusListEntry suspension true
}

func ExampleService_RevokeAward() {
	ctx := context.Background()
	st := memstore.New()
	svc, _ := status.New(status.Config{BaseURL: "https://creds.example.edu/status"})
	award := credential.Award{UUID: uuid.New()}
	// The pipeline revokes the award and its credentials in one transaction.
	err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		// … tx.Awards().Put(ctx, revokedAward) …
		return svc.RevokeAward(ctx, tx, award)
	})
	fmt.Println(err)
	// Output: <nil>
}

func ExamplePublisher() {
	ctx := context.Background()
	st := memstore.New()
	priv, issuer, vm, _ := did.GenerateKey()
	key, _ := vc.NewSigner(priv, vm)
	lists, _ := statusproof.NewSigner(key, statusproof.SignerConfig{})
	svc, _ := status.New(status.Config{BaseURL: "https://creds.example.edu/status"})
	refs, _ := svc.Allocate(ctx, st, issuer)

	pub, _ := status.NewPublisher(status.PublisherConfig{
		Store: st, BaseURL: "https://creds.example.edu/status", Signers: []status.ListSigner{lists},
		Validity: 24 * time.Hour, MaxAge: 5 * time.Minute,
	})
	e, _ := svc.Entry(refs[0], vc.V2)
	w := httptest.NewRecorder()
	pub.ServeHTTP(w, httptest.NewRequest(http.MethodGet, e.StatusListCredential, nil))
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), strings.Contains(w.Body.String(), "BitstringStatusListCredential"))
	// Output: 200 public, max-age=300 true
}

func ExampleChecker() {
	ctx := context.Background()
	st := memstore.New()
	priv, issuer, vm, _ := did.GenerateKey()
	key, _ := vc.NewSigner(priv, vm)
	lists, _ := statusproof.NewSigner(key, statusproof.SignerConfig{})
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	svc, _ := status.New(status.Config{BaseURL: srv.URL + "/status"})
	pub, _ := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: srv.URL + "/status", Signers: []status.ListSigner{lists}})
	mux.Handle("/status/", pub)

	refs, _ := svc.Allocate(ctx, st, issuer)
	entry, _ := svc.Entry(refs[0], vc.V2)
	checker, _ := statusproof.NewChecker(nil,
		// The test server is on 127.0.0.1, which the default policy refuses.
		status.WithNetPolicy(netguard.Localhost()),
		status.WithTLSConfig(srv.Client().Transport.(*http.Transport).TLSClientConfig))
	fmt.Println(checker.Check(ctx, issuer, entry).State)
	_, _ = svc.SetStatus(ctx, st, refs[0], 1)
	checker.Flush()
	time.Sleep(status.DefaultBatchWindow) // the publisher batches changes
	fmt.Println(checker.Check(ctx, issuer, entry).State)
	fmt.Println(checker.Check(ctx, "did:key:z6MkSomeoneElse", entry).State)
	// Output:
	// valid
	// revoked
	// unknown
}

func ExampleDecodeOpenEdX() {
	// Open edX marks entry 3 as the byte 0x01 (index 3 of a byte array).
	enc := openEdXList(10000, []int{3}, false)
	b, _ := status.DecodeOpenEdX(enc, 0)
	v, _ := b.Get(3)
	fmt.Println(b.Len(), v, b.Count())
	// Output: 131072 1 1
}
