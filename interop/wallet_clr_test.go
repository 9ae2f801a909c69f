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
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// clrIssuer is a wallet service on a memstore that issues program
// transcripts (CLR 2.0) over LCW and OID4VCI and publishes its status
// lists, with learner 42 holding two course certificates (stats, the
// first) and the program certificate (prog).
type clrIssuer struct {
	o           *ours
	st          *memstore.Store
	srv         *httptest.Server
	statuses    *status.Service
	client      *http.Client
	stats, prog credential.Award
}

func newCLRIssuer(t *testing.T, o *ours) *clrIssuer {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	var root http.ServeMux
	srv := httptest.NewServer(&root)
	t.Cleanup(srv.Close)
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
	oid, err := oid4vci.New(oid4vci.Config{Service: svc, BaseURL: srv.URL + "/wallet/oid4vci", Keys: oid4vci.KeysFrom(resolver)})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := wallet.NewRegistry([]wallet.Protocol{l, oid})
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

	e := &clrIssuer{o: o, st: st, srv: srv, statuses: statuses, client: netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})}
	for i, ref := range []credential.AchievementRef{credential.CourseCertificate(courses[0]), credential.CourseCertificate(courses[1]), credential.ProgramCertificate("data-science")} {
		a, _ := credential.NewAward(42, ref, credential.Cause{EventID: ref.String(), EventTime: time.Now().Add(-time.Hour)})
		a.Evidence = map[string]string{"course_name": []string{"Statistics", "Machine Learning", ""}[i], "program_title": "Data Science"}
		stored, _, err := st.Awards().Put(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			e.stats = stored
		case 2:
			e.prog = stored
		}
	}
	return e
}

// initCLR starts an offer of learner 42's program transcript through
// wallet protocol storage, restricted to format when it is not empty.
func (e *clrIssuer) initCLR(t *testing.T, storage, format string) wallet.InitResponse {
	t.Helper()
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: e.prog.UUID.String(), StorageID: storage, DataModel: wallet.DataModelCLR, Format: format})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/wallet/credentials/init/", bytes.NewReader(body))
	req.Header.Set("X-User-Id", "42")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var init wallet.InitResponse
	if err := json.NewDecoder(resp.Body).Decode(&init); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("init %s: %d %v", storage, resp.StatusCode, err)
	}
	return init
}

// revokeStats revokes the Statistics course and its status entries.
func (e *clrIssuer) revokeStats(t *testing.T) {
	t.Helper()
	err := e.st.InTx(context.Background(), func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().GetByUUID(ctx, e.stats.UUID)
		if err != nil {
			return err
		}
		cur.Revoke(credential.Cause{EventID: "revoke-stats", EventTime: time.Now(), Reason: "revoked"})
		revoked, _, err := tx.Awards().Put(ctx, cur)
		if err != nil {
			return err
		}
		return e.statuses.RevokeAward(ctx, tx, revoked)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// peersCheck writes the CLR doc (a JSON credential, or a VC-JWT when name
// ends in .jwt) with the status lists the issuer publishes for it and for
// every embedded credential, runs the node verifiers on it and requires
// each of peers to have checked it and to agree with wantOK.
func (e *clrIssuer) peersCheck(t *testing.T, name string, doc []byte, wantOK bool, peers ...string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		t.Fatal(err)
	}
	cred := doc
	if strings.HasSuffix(name, ".jwt") {
		tok, err := jwt.Parse(string(doc))
		if err != nil {
			t.Fatal(err)
		}
		cred = tok.Credential
	}
	c, err := vc.ParseCredential(cred)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CLR()
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]bool{}
	for _, raw := range append([]json.RawMessage{cred}, s.VerifiableCredential...) {
		ec, err := vc.ParseCredential(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, se := range ec.CredentialStatus {
			urls[se.StatusListCredential] = true
		}
	}
	n := 0
	for u := range urls {
		resp, err := e.client.Get(u)
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
	for _, p := range peers {
		r, ok := rep.Files[name][p]
		switch {
		case !ok || r.Skipped:
			t.Fatalf("%s: %s did not check it (%s)", name, p, r.Error)
		case r.Verified != wantOK:
			t.Fatalf("%s: %s verified=%v (%s), want %v", name, p, r.Verified, r.Error, wantOK)
		}
		t.Logf("%s: %s verified=%v %s (%d status lists)", name, p, r.Verified, clip(r.Error), n)
	}
}

// TestPeersVerifyWalletCLR delivers a program transcript (CLR 2.0) to a
// simulated Learner Credential Wallet through the wallet service and has
// Digital Bazaar verify it as the wallet received it: the CLR's proof, each
// embedded credential's proof, and their status entries against the lists
// the issuer publishes; then again after a course is revoked.
func TestPeersVerifyWalletCLR(t *testing.T) {
	needNode(t)
	const db = "digitalbazaar"
	e := newCLRIssuer(t, newOurs(t))
	holder, _ := wallettest.NewHolder()
	holder.Client = e.client
	doc, err := holder.LCW(context.Background(), e.initCLR(t, lcw.ID, "").DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	e.peersCheck(t, "wallet-clr.json", doc, true, db)
	// A course revoked: Digital Bazaar rejects the transcript too.
	e.revokeStats(t)
	e.peersCheck(t, "wallet-clr-revoked-course.json", doc, false, db)
}
