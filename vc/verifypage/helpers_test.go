package verifypage_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet"
)

// fixture is a whole issuer on 127.0.0.1: a memstore, an issuer key, the
// native OBv3 provider with revocation and suspension lists, the status
// list Publisher at /status/ and the verification page at /credentials/,
// whose Verifier reads the published lists over HTTP through the status
// Checker, as a remote verifier would.
type fixture struct {
	st      store.Store
	srv     *httptest.Server
	mux     *http.ServeMux
	status  *status.Service
	signer  *issuer.Issuer
	profile vc.Profile
	p       *obv3.Provider
	page    *verifypage.Handler
	ver     *verify.Verifier
	checker vc.StatusChecker
	logs    *syncBuffer
	next    int64
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{st: memstore.New(), logs: &syncBuffer{}}
	mux := http.NewServeMux()
	f.mux = mux
	f.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(f.srv.Close)
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	if f.signer, err = issuer.New(issuer.Config{Signer: key}); err != nil {
		t.Fatal(err)
	}
	base := f.srv.URL + "/status"
	if f.status, err = status.New(status.Config{BaseURL: base, Suspension: true}); err != nil {
		t.Fatal(err)
	}
	listSigner, err := statusproof.NewSigner(key, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	// A 1ns batch window: the published list follows the store at once.
	pub, err := status.NewPublisher(status.PublisherConfig{Store: f.st, BaseURL: base, Signers: []status.ListSigner{listSigner},
		BatchWindow: time.Nanosecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/status/", pub)
	// The status checker fetches the lists from 127.0.0.1 over plain http
	// (the Localhost policy) and keeps nothing (every request is live).
	checker, err := statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Status: checker})
	if err != nil {
		t.Fatal(err)
	}
	f.ver, f.checker = ver, checker
	f.profile = vc.Profile{ID: didKey, Type: vc.Types{"Profile"}, Name: "Example Academy", URL: "https://academy.example.org",
		Email: "registrar@academy.example.org", Image: &vc.Image{ID: "https://academy.example.org/logo.png", Type: "Image"}}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: f.profile, Signer: f.signer,
		Achievement: wallet.StoreAchievements("Example Academy", nil), Status: f.status.Entry, IncludeName: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.p, err = obv3.New(obv3.Config{Store: f.st, Issuer: vci, IssuerID: didKey, Status: f.status, Revoker: f.status,
		IDKey: bytes.Repeat([]byte{7}, obv3.MinIDKeySize)}); err != nil {
		t.Fatal(err)
	}
	if f.page, err = verifypage.New(verifypage.Config{Store: f.st, Verifier: ver, Status: checker,
		BaseURL: f.srv.URL + "/credentials", CacheTTL: -1, Logger: log, Public: obv3.PublicRecord}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/credentials/", http.StripPrefix("/credentials", f.page))
	return f
}

// issue awards a badge named name to a new learner and issues its
// credential through the OBv3 provider; it returns the award and the
// issuance record id.
func (f *fixture) issue(t testing.TB, name, imageURL string) (credential.Award, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	f.next++
	tpl := store.Template{UUID: uuid.New(), Name: name, Description: "Wrote a working interpreter.", ImageURL: imageURL,
		Provider: obv3.ID, State: store.TemplateActive}
	if _, err := f.st.Config().PutTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Learners().Upsert(ctx, credential.Learner{UserID: f.next, Email: "ada@example.org", FullName: "Ada Lovelace", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	a, err := credential.NewAward(f.next, credential.Badge(tpl.UUID.String()), credential.Cause{EventID: uuid.NewString(), EventTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if a, _, err = f.st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	key := "issue-" + a.UUID.String()
	if _, err := f.p.Issue(ctx, badge.IssueRequest{IdempotencyKey: key, AwardUUID: a.UUID}); err != nil {
		t.Fatal(err)
	}
	return a, f.p.RecordID(key)
}

// put stores a signed credential as an issued record of its own.
func (f *fixture) put(t testing.TB, cred []byte) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	now := time.Now().UTC()
	rec := store.IssuanceRecord{ID: id, AwardUUID: uuid.New(), IssuerID: f.profile.ID, Wallet: "test", Format: vc.FormatLDP,
		Challenge: wallet.NewToken(), ChallengeExpires: now, State: store.IssuancePending, CreatedAt: now}
	if err := f.st.Issuance().Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Issuance().MarkIssued(ctx, id, "", nil, "urn:uuid:"+id.String(), cred, now); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) record(t testing.TB, id uuid.UUID) store.IssuanceRecord {
	t.Helper()
	rec, err := f.st.Issuance().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// get requests path from the running server with the Accept header
// accept (none when empty).
func (f *fixture) get(t testing.TB, method, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func mustContain(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q:\n%s", s, body)
		}
	}
}

func mustNotContain(t testing.TB, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Errorf("body contains %q:\n%s", s, body)
		}
	}
}

func (f *fixture) pageVerifier(testing.TB) *verify.Verifier { return f.ver }

// verifierFunc adapts a function to verifypage.Verifier.
type verifierFunc func(ctx context.Context, b []byte) vc.Result

func (v verifierFunc) VerifyCredential(ctx context.Context, b []byte) vc.Result { return v(ctx, b) }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
