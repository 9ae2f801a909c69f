package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// TestPeersVerifyWalletCLR delivers a program transcript (CLR 2.0) to a
// simulated Learner Credential Wallet through the wallet service and has
// Digital Bazaar verify it as the wallet received it: the CLR's proof, each
// embedded credential's proof, and their status entries against the lists
// the issuer publishes; then again after a course is revoked.
func TestPeersVerifyWalletCLR(t *testing.T) {
	needNode(t)
	const db = "digitalbazaar"
	ctx := context.Background()
	o := newOurs(t)
	st := memstore.New()
	defer st.Close()
	var root http.ServeMux
	srv := httptest.NewServer(&root)
	defer srv.Close()
	statuses, err := status.New(status.Config{BaseURL: srv.URL + "/status"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := did.NewResolver()
	presentations, _ := verify.New(verify.Config{Resolver: resolver})
	issue, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{
		Profile: vc.Profile{ID: o.did, Name: "Example University"}, Signer: o.is,
		Achievement: wallet.StoreAchievements("Example University", nil), Status: statuses.Entry, Schema: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	courses := []string{"course-v1:X+Stats+2026", "course-v1:X+ML+2026"}
	svc, err := wallet.NewService(wallet.Config{
		Store: st, Issuer: issue, Status: statuses, Verifier: presentations, Resolver: resolver,
		IssuerID: o.did, Logger: slog.New(slog.DiscardHandler),
		Transcript: wallet.ProgramTranscript(func(context.Context, string) ([]string, error) { return courses, nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := lcw.New(lcw.Config{Service: svc, BaseURL: srv.URL + "/wallet/lcw"})
	reg, _ := wallet.NewRegistry([]wallet.Protocol{l})
	root.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		return strconv.ParseInt(r.Header.Get("X-User-Id"), 10, 64)
	}))))
	lists, _ := statusproof.NewSigner(o.signer, statusproof.SignerConfig{})
	pub, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: statuses.BaseURL(),
		Signers: []status.ListSigner{lists}, BatchWindow: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	root.Handle("/status/", pub)

	var stats credential.Award
	for i, ref := range []credential.AchievementRef{credential.CourseCertificate(courses[0]), credential.CourseCertificate(courses[1]), credential.ProgramCertificate("data-science")} {
		a, _ := credential.NewAward(42, ref, credential.Cause{EventID: ref.String(), EventTime: time.Now().Add(-time.Hour)})
		a.Evidence = map[string]string{"course_name": []string{"Statistics", "Machine Learning", ""}[i], "program_title": "Data Science"}
		stored, _, err := st.Awards().Put(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			stats = stored
		}
	}
	prog, err := st.Awards().Get(ctx, 42, credential.ProgramCertificate("data-science"))
	if err != nil {
		t.Fatal(err)
	}
	client := netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: prog.UUID.String(), StorageID: lcw.ID, DataModel: wallet.DataModelCLR})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wallet/credentials/init/", bytes.NewReader(body))
	req.Header.Set("X-User-Id", "42")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var init wallet.InitResponse
	_ = json.NewDecoder(resp.Body).Decode(&init)
	resp.Body.Close()
	holder, _ := wallettest.NewHolder()
	holder.Client = client
	doc, err := holder.LCW(ctx, init.DeepLink)
	if err != nil {
		t.Fatal(err)
	}

	// Digital Bazaar reads the status lists from files: fetch what the
	// issuer publishes for every entry, the CLR's and the embedded ones'.
	check := func(name string, wantOK bool) {
		t.Helper()
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
			t.Fatal(err)
		}
		c, err := vc.ParseCredential(doc)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.CLR()
		if err != nil {
			t.Fatal(err)
		}
		urls := map[string]bool{}
		for _, raw := range append([]json.RawMessage{doc}, s.VerifiableCredential...) {
			e, err := vc.ParseCredential(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, se := range e.CredentialStatus {
				urls[se.StatusListCredential] = true
			}
		}
		n := 0
		for u := range urls {
			resp, err := client.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status list %s: %d", u, resp.StatusCode)
			}
			n++
			if err := os.WriteFile(filepath.Join(dir, "lists", strconv.Itoa(n)+".json"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		var rep report
		out := runNode(t, "verify", dir)
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("report: %v\n%s", err, out)
		}
		r, ok := rep.Files[name][db]
		switch {
		case !ok || r.Skipped:
			t.Fatalf("%s: Digital Bazaar did not check it (%s)", name, r.Error)
		case r.Verified != wantOK:
			t.Fatalf("%s: Digital Bazaar verified=%v (%s), want %v", name, r.Verified, r.Error, wantOK)
		}
		t.Logf("%s: %s verified=%v %s (%d status lists)", name, db, r.Verified, clip(r.Error), n)
	}
	check("wallet-clr.json", true)

	// A course revoked: Digital Bazaar rejects the transcript too.
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().GetByUUID(ctx, stats.UUID)
		if err != nil {
			return err
		}
		cur.Revoke(credential.Cause{EventID: "revoke-stats", EventTime: time.Now(), Reason: "revoked"})
		revoked, _, err := tx.Awards().Put(ctx, cur)
		if err != nil {
			return err
		}
		return statuses.RevokeAward(ctx, tx, revoked)
	})
	if err != nil {
		t.Fatal(err)
	}
	check("wallet-clr-revoked-course.json", false)
}
