package wallettest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// A learner who completed a program asks for its CLR 2.0 transcript in the
// Learner Credential Wallet: the offer names the program certificate
// (data_model "clr"), and the service bundles, from the store, the
// learner's certificates of the program's courses, issuing each course
// credential to the wallet's DID, and signs the ClrCredential.
func Example_clr() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	var root http.ServeMux
	srv := httptest.NewServer(&root)
	defer srv.Close()

	priv, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	key, _ := vc.NewSigner(priv, vm)
	signer, _ := issuer.New(issuer.Config{Signer: key})
	statuses, err := status.New(status.Config{BaseURL: srv.URL + "/status"})
	if err != nil {
		log.Fatal(err)
	}
	resolver := did.NewResolver()
	presentations, _ := verify.New(verify.Config{Resolver: resolver})
	issue, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{
		Profile: vc.Profile{ID: issuerDID, Name: "Example University"}, Signer: signer,
		Achievement: wallet.StoreAchievements("Example University", nil), Status: statuses.Entry,
	})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := wallet.NewService(wallet.Config{
		Store: st, Issuer: issue, Status: statuses, Verifier: presentations, Resolver: resolver,
		IssuerID: issuerDID, Logger: slog.New(slog.DiscardHandler),
		// The host's catalogue says which courses make the program.
		Transcript: wallet.ProgramTranscript(func(_ context.Context, program string) ([]string, error) {
			return []string{"course-v1:X+Stats+2026", "course-v1:X+ML+2026"}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	l, _ := lcw.New(lcw.Config{Service: svc, BaseURL: srv.URL + "/wallet/lcw"})
	reg, _ := wallet.NewRegistry([]wallet.Protocol{l})
	auth := wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		return strconv.ParseInt(r.Header.Get("X-User-Id"), 10, 64)
	})
	root.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(auth)))
	lists, _ := statusproof.NewSigner(key, statusproof.SignerConfig{})
	pub, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: statuses.BaseURL(),
		Signers: []status.ListSigner{lists}, BatchWindow: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	root.Handle("/status/", pub)

	// Learner 42 passed both courses and holds the program certificate.
	put := func(ref credential.AchievementRef, evidence map[string]string) {
		aw, _ := credential.NewAward(42, ref, credential.Cause{EventID: ref.String(), EventTime: time.Now()})
		aw.Evidence = evidence
		if _, _, err := st.Awards().Put(ctx, aw); err != nil {
			log.Fatal(err)
		}
	}
	put(credential.CourseCertificate("course-v1:X+Stats+2026"), map[string]string{"course_name": "Statistics"})
	put(credential.CourseCertificate("course-v1:X+ML+2026"), map[string]string{"course_name": "Machine Learning"})
	put(credential.ProgramCertificate("data-science"), map[string]string{"program_title": "Data Science"})
	prog, _ := st.Awards().Get(ctx, 42, credential.ProgramCertificate("data-science"))

	// The learner's browser asks for the transcript…
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: prog.UUID.String(), StorageID: lcw.ID, DataModel: wallet.DataModelCLR})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wallet/credentials/init/", bytes.NewReader(body))
	req.Header.Set("X-User-Id", "42")
	client := netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var init wallet.InitResponse
	_ = json.NewDecoder(resp.Body).Decode(&init)
	resp.Body.Close()

	// …the wallet follows the deep link, and anyone can verify the record
	// and the credentials it embeds.
	holder, _ := wallettest.NewHolder()
	doc, err := holder.LCW(ctx, init.DeepLink)
	if err != nil {
		log.Fatal(err)
	}
	checker, _ := statusproof.NewChecker(resolver, status.WithNetPolicy(netguard.Localhost()))
	v, _ := verify.New(verify.Config{Resolver: resolver, Status: checker})
	r := v.VerifyCredential(ctx, doc)
	fmt.Println(r.Credential.Type, r.Credential.Name, r.Verdict)
	for _, e := range r.Embedded {
		fmt.Println(" embeds", e.Credential.CredentialSubject[0].Achievement.Name, e.Verdict)
	}
	s, _ := r.Credential.CLR()
	fmt.Println("about the holder:", s.ID == holder.DID, "associations:", len(s.Association))
	// Output:
	// [VerifiableCredential ClrCredential] Transcript: Data Science valid
	//  embeds Data Science valid
	//  embeds Statistics valid
	//  embeds Machine Learning valid
	// about the holder: true associations: 2
}
