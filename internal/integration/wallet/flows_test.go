package wallettest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/netguard"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
	"github.com/credshare/credshare/vc/wallet/wallettest"
	"github.com/google/uuid"
)

// clock is a settable clock shared by the service and the holders.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// env is a running issuer: a store, the service, the three wallet protocols
// in a registry mounted under /wallet on an httptest server, and a host
// authentication that reads the learner from a header (standing in for the
// host's session).
type env struct {
	t     testing.TB
	st    store.Store
	clk   *clock
	svc   *wallet.Service
	srv   *httptest.Server
	lcw   *lcw.Wallet
	vcapi *vcapi.Wallet
	oid   *oid4vci.Wallet
	base  string
	parts *parts
}

const learnerHeader = "X-Test-Learner"

func stores(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memstore": func(t *testing.T) store.Store {
			s := memstore.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
		"mysqlstore": func(t *testing.T) store.Store {
			return mysqltest.Open(t) // skips unless CREDSHARE_MYSQL_DSN is set
		},
		"sqlitestore": func(t *testing.T) store.Store {
			s, err := sqlitestore.Open(context.Background(), t.TempDir()+"/credshare.db")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

func newEnv(t testing.TB, st store.Store, mut ...func(*oid4vci.Config)) *env {
	return newEnvWith(t, st, nil, mut...)
}

// newEnvWith is newEnv with given issuer parts, so two "replicas" can
// share an issuer and a store.
// With nil parts it makes an issuer whose status lists this server
// publishes under /status.
func newEnvWith(t testing.TB, st store.Store, parts *parts, mut ...func(*oid4vci.Config)) *env {
	t.Helper()
	return newEnvConfig(t, st, parts, nil, mut...)
}

// newEnvConfig is newEnvWith with svcMut, when set, changing the service's
// Config (a logger, a request timeout) before NewService.
func newEnvConfig(t testing.TB, st store.Store, parts *parts, svcMut func(*wallet.Config), mut ...func(*oid4vci.Config)) *env {
	t.Helper()
	e := &env{t: t, st: st, clk: &clock{}}
	e.clk.ns.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	var handler atomic.Value
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.base = e.srv.URL + "/wallet"
	if parts == nil {
		_, mem := st.(*memstore.Store)
		parts = newParts(t, e.srv.URL+"/status", !mem)
	}
	e.parts = parts
	sc := wallet.Config{
		Store: st, Resolver: parts.resolver, Issuer: parts.issuer, Status: parts.status, Verifier: parts.verifier,
		IssuerID: parts.issuerID, TTL: 10 * time.Minute, Now: e.clk.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	if svcMut != nil {
		svcMut(&sc)
	}
	svc, err := wallet.NewService(sc)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if e.lcw, err = lcw.New(lcw.Config{Service: svc, BaseURL: e.base + "/lcw"}); err != nil {
		t.Fatal(err)
	}
	if e.vcapi, err = vcapi.New(vcapi.Config{Service: svc, BaseURL: e.base + "/vcapi"}); err != nil {
		t.Fatal(err)
	}
	oc := oid4vci.Config{Service: svc, BaseURL: e.base + "/oid4vci", Keys: parts.keys, IssuerName: "Example University"}
	for _, m := range mut {
		m(&oc)
	}
	if e.oid, err = oid4vci.New(oc); err != nil {
		t.Fatal(err)
	}
	reg, err := wallet.NewRegistry([]wallet.Protocol{e.lcw, e.vcapi, e.oid}, wallet.WithAlias(lcw.OpenEdXID, lcw.ID), wallet.WithLogger(sc.Logger))
	if err != nil {
		t.Fatal(err)
	}
	auth := wallet.LearnerAuthFunc(func(r *http.Request) (int64, error) {
		id, err := strconv.ParseInt(r.Header.Get(learnerHeader), 10, 64)
		if err != nil {
			return 0, wallet.ErrUnauthenticated
		}
		return id, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(auth)))
	lists, err := statusproof.NewSigner(parts.signer, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := status.NewPublisher(status.PublisherConfig{
		Store: st, BaseURL: parts.statuses.BaseURL(), Signers: []status.ListSigner{lists},
		BatchWindow: time.Nanosecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/status/", pub)
	handler.Store(http.Handler(mux))
	return e
}

// award stores a learner and an awarded course certificate.
func (e *env) award(learner int64, course string) credential.Award {
	e.t.Helper()
	ctx := context.Background()
	if _, _, err := e.st.Learners().Upsert(ctx, credential.Learner{UserID: learner, Username: "l" + strconv.FormatInt(learner, 10), FullName: "Ada Lovelace", Email: "ada@example.org", IsActive: true}); err != nil {
		e.t.Fatal(err)
	}
	a, err := credential.NewAward(learner, credential.CourseCertificate(course), credential.Cause{EventID: uuid.NewString(), EventTime: e.clk.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	stored, _, err := e.st.Awards().Put(ctx, a)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored
}

// initOffer calls the host-facing init endpoint as learner.
func (e *env) initOffer(learner int64, award uuid.UUID, storage, format string) (wallet.InitResponse, int, []byte) {
	e.t.Helper()
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: award.String(), StorageID: storage, Format: format})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/credentials/init/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if learner != 0 {
		req.Header.Set(learnerHeader, strconv.FormatInt(learner, 10))
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	var out wallet.InitResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			e.t.Fatal(err)
		}
	}
	return out, resp.StatusCode, buf.Bytes()
}

func (e *env) mustInit(learner int64, award uuid.UUID, storage, format string) wallet.InitResponse {
	e.t.Helper()
	out, code, body := e.initOffer(learner, award, storage, format)
	if code != http.StatusOK {
		e.t.Fatalf("init %s: %d %s", storage, code, body)
	}
	return out
}

func (e *env) holder() *wallettest.Holder {
	e.t.Helper()
	h, err := wallettest.NewHolder()
	if err != nil {
		e.t.Fatal(err)
	}
	h.Client, h.Now = e.srv.Client(), e.clk.Now
	return h
}

// issued returns the issued records of an award.
func (e *env) issued(award uuid.UUID) []store.IssuanceRecord {
	e.t.Helper()
	recs, err := e.st.Issuance().ListByAward(context.Background(), award)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.IssuanceRecord
	for _, r := range recs {
		if r.State == store.IssuanceIssued {
			out = append(out, r)
		}
	}
	return out
}

// wantRefused checks that err is a 4xx answer with a reason, with the given
// status (and code when non-empty).
func wantRefused(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *wallettest.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a %d answer, got %v", status, err)
	}
	if re.Status != status || (code != "" && re.Code != code) || re.Description == "" {
		t.Fatalf("got %d %q (%q), want %d %q with a reason", re.Status, re.Code, re.Description, status, code)
	}
}

func subjectID(t *testing.T, cred json.RawMessage) string {
	t.Helper()
	doc := cred
	var jwt string
	if json.Unmarshal(cred, &jwt) == nil {
		doc = decodeJWTPayload(t, jwt)
	}
	var c struct {
		VC *struct {
			Subject json.RawMessage `json:"credentialSubject"`
		} `json:"vc"`
		Subject json.RawMessage `json:"credentialSubject"`
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		t.Fatalf("credential is not JSON: %v: %s", err, doc)
	}
	subj := c.Subject
	if subj == nil && c.VC != nil {
		subj = c.VC.Subject
	}
	var s struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(subj, &s)
	return s.ID
}

func TestFlows(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // the stores are independent; SQL ones wait on I/O
			t.Run("LCW", func(t *testing.T) { testLCW(t, newEnv(t, mk(t))) })
			t.Run("LCWEd25519Signature2020", func(t *testing.T) { testLCWEd25519Signature2020(t, newEnv(t, mk(t))) })
			t.Run("VCAPI", func(t *testing.T) { testVCAPI(t, newEnv(t, mk(t))) })
			t.Run("OID4VCI", func(t *testing.T) { testOID4VCI(t, newEnv(t, mk(t))) })
			t.Run("OID4VCIByValue", func(t *testing.T) {
				testOID4VCIByValue(t, newEnv(t, mk(t), func(c *oid4vci.Config) { c.OfferByValue = true }))
			})
			t.Run("Negative", func(t *testing.T) { testNegative(t, newEnv(t, mk(t))) })
			t.Run("OID4VCINegative", func(t *testing.T) { testOID4VCINegative(t, newEnv(t, mk(t))) })
			t.Run("Badge", func(t *testing.T) { testBadge(t, newEnv(t, mk(t))) })
			t.Run("Revocation", func(t *testing.T) { testRevocation(t, newEnv(t, mk(t))) })
			t.Run("Replicas", func(t *testing.T) { testReplicas(t, mk(t)) })
			t.Run("ConcurrentReplay", func(t *testing.T) { testConcurrentReplay(t, newEnv(t, mk(t))) })
		})
	}
}

func testLCW(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(7, "course-v1:edX+DemoX+Demo_Course")
	// Open edX's storage id works through the alias.
	in := e.mustInit(7, aw.UUID, lcw.OpenEdXID, "")
	if !strings.HasPrefix(in.DeepLink, "dccrequest://request?issuer=") || in.QRCode == "" ||
		in.AppLinkAndroid != lcw.DefaultAppLinkAndroid || in.AppLinkIOS != lcw.DefaultAppLinkIOS {
		t.Fatalf("init response %+v", in)
	}
	p, err := lcw.ParseDeepLink(in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != e.svc.IssuerID() || p.AuthType != "bearer" || p.VPVersion != "1.1" ||
		p.VCRequestURL != e.base+"/lcw/issue/"+in.Offer.IssuanceID.String() {
		t.Fatalf("deep link params %+v", p)
	}
	h := e.holder()
	cred, err := h.LCW(ctx, in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	if got := subjectID(t, cred); got != h.DID {
		t.Fatalf("credential subject %q, want the holder %q", got, h.DID)
	}
	recs := e.issued(aw.UUID)
	if len(recs) != 1 || recs[0].HolderDID != h.DID || len(recs[0].Status) == 0 {
		t.Fatalf("records %+v", recs)
	}
	verifyLDP(t, e, cred)
	// The same link again: the challenge is spent.
	_, err = h.LCW(ctx, in.DeepLink)
	wantRefused(t, err, http.StatusConflict, "already_used")

	// A second offer for the same award to the same holder reuses the
	// status entry; another holder gets a fresh one.
	in2 := e.mustInit(7, aw.UUID, lcw.ID, "")
	if _, err := h.LCW(ctx, in2.DeepLink); err != nil {
		t.Fatal(err)
	}
	in3 := e.mustInit(7, aw.UUID, lcw.ID, "")
	if _, err := e.holder().LCW(ctx, in3.DeepLink); err != nil {
		t.Fatal(err)
	}
	recs = e.issued(aw.UUID)
	if len(recs) != 3 {
		t.Fatalf("%d issued records, want 3", len(recs))
	}
	if !sameStatus(recs[0].Status, recs[1].Status) {
		t.Fatalf("re-issue to the same holder allocated a new status entry: %+v vs %+v", recs[0].Status, recs[1].Status)
	}
	if sameStatus(recs[0].Status, recs[2].Status) {
		t.Fatalf("another holder shares the status entry %+v", recs[2].Status)
	}
}

func sameStatus(a, b []store.StatusRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// verifyLDP checks an issued ldp_vc credential's proof with vc/proof.
func verifyLDP(t *testing.T, e *env, cred json.RawMessage) {
	t.Helper()
	vs, err := proof.Verify(context.Background(), cred, proof.Expect{Resolver: did.NewResolver()})
	if err != nil || len(vs) != 1 || vs[0].Method.Controller != e.svc.IssuerID() {
		t.Fatalf("issued credential does not verify: %v %+v\n%s", err, vs, cred)
	}
}

// testLCWEd25519Signature2020 is the LCW flow with the presentation the
// Learner Credential Wallet actually sends: VC 1.1, Ed25519Signature2020.
func testLCWEd25519Signature2020(t *testing.T, e *env) {
	aw := e.award(15, "course-v1:edX+LCW+2020")
	in := e.mustInit(15, aw.UUID, lcw.ID, "")
	p, _ := lcw.ParseDeepLink(in.DeepLink)
	h := e.holder()
	vp, err := h.Present(wallettest.PresentOptions{Challenge: p.Challenge, Suite: proof.SuiteEd25519Signature2020})
	if err != nil {
		t.Fatal(err)
	}
	b, status, err := h.Do(context.Background(), http.MethodPost, p.VCRequestURL, "application/json", vp, nil)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("%d %v", status, err)
	}
	verifyLDP(t, e, b)
	// Tampered after signing: refused.
	in = e.mustInit(15, aw.UUID, lcw.ID, "")
	p, _ = lcw.ParseDeepLink(in.DeepLink)
	vp, _ = h.Present(wallettest.PresentOptions{Challenge: p.Challenge, Suite: proof.SuiteEd25519Signature2020, TamperAfterSigning: true})
	wantRefused(t, post(t, e, p.VCRequestURL, vp), http.StatusBadRequest, "invalid_proof")
}

func testVCAPI(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(8, "course-v1:edX+CS50+2026")
	in := e.mustInit(8, aw.UUID, vcapi.ID, "")
	exURL, err := wallettest.VCAPIExchangeURL(in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	if exURL != in.Offer.URL || !strings.HasPrefix(exURL, e.base+"/vcapi/exchanges/") {
		t.Fatalf("exchange URL %q, offer %q", exURL, in.Offer.URL)
	}
	h := e.holder()
	cred, err := h.VCAPI(ctx, exURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := subjectID(t, cred); got != h.DID {
		t.Fatalf("subject %q, want %q", got, h.DID)
	}
	verifyLDP(t, e, cred)
	// The exchange is one-time.
	_, err = h.VCAPI(ctx, exURL)
	wantRefused(t, err, http.StatusConflict, "already_used")
	if n := len(e.issued(aw.UUID)); n != 1 {
		t.Fatalf("%d credentials issued", n)
	}
}

func testOID4VCI(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(9, "course-v1:MITx+6.001x+2026")
	for _, cfg := range []string{"OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"} {
		in := e.mustInit(9, aw.UUID, oid4vci.ID, "")
		if !strings.HasPrefix(in.DeepLink, "openid-credential-offer://?credential_offer_uri=") {
			t.Fatalf("deep link %q", in.DeepLink)
		}
		h := e.holder()
		cred, err := h.OID4VCI(ctx, in.DeepLink, cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if got := subjectID(t, cred); got != h.DID {
			t.Fatalf("%s: subject %q, want %q", cfg, got, h.DID)
		}
		isJWT := cred[0] == '"'
		if isJWT != strings.HasSuffix(cfg, "jwt_vc_json") {
			t.Fatalf("%s: got %s", cfg, cred)
		}
		if !isJWT {
			verifyLDP(t, e, cred)
		} else {
			var tok string
			_ = json.Unmarshal(cred, &tok)
			if _, m, err := jwt.Verify(ctx, tok, did.NewResolver()); err != nil || m.Controller != e.svc.IssuerID() {
				t.Fatalf("issued VC-JWT does not verify: %v", err)
			}
		}
		// The offer is spent.
		_, err = h.OID4VCI(ctx, in.DeepLink, cfg)
		wantRefused(t, err, http.StatusConflict, "already_used")
	}
	if n := len(e.issued(aw.UUID)); n != 2 {
		t.Fatalf("%d credentials issued, want 2", n)
	}
	// A format-restricted offer lists one configuration.
	in := e.mustInit(9, aw.UUID, oid4vci.ID, vc.FormatJWT)
	var offer oid4vci.CredentialOffer
	if err := json.Unmarshal(in.Offer.Message, &offer); err != nil || len(offer.CredentialConfigurationIDs) != 1 ||
		offer.CredentialConfigurationIDs[0] != "OpenBadgeCredential_jwt_vc_json" {
		t.Fatalf("offer %s", in.Offer.Message)
	}
	// Metadata at the well-known path.
	resp, err := e.srv.Client().Get(e.base + "/oid4vci/.well-known/openid-credential-issuer")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&md)
	if md["credential_issuer"] != e.base+"/oid4vci" || md["credential_endpoint"] != e.base+"/oid4vci/credential" {
		t.Fatalf("metadata %v", md)
	}
}

func testOID4VCIByValue(t *testing.T, e *env) {
	aw := e.award(10, "course-v1:HarvardX+PH125+2026")
	in := e.mustInit(10, aw.UUID, oid4vci.ID, "")
	if !strings.HasPrefix(in.DeepLink, "openid-credential-offer://?credential_offer=") {
		t.Fatalf("deep link %q", in.DeepLink)
	}
	h := e.holder()
	cred, err := h.OID4VCI(context.Background(), in.DeepLink, "")
	if err != nil {
		t.Fatal(err)
	}
	if subjectID(t, cred) != h.DID {
		t.Fatal("subject is not the holder")
	}
}

// post sends a raw body and returns the refusal.
func post(t *testing.T, e *env, u string, body []byte) error {
	t.Helper()
	_, _, err := e.holder().Do(context.Background(), http.MethodPost, u, "application/json", body, nil)
	return err
}

func testNegative(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(11, "course-v1:edX+Neg+1")
	other := e.award(12, "course-v1:edX+Neg+1")
	h := e.holder()

	t.Run("unauthenticated init", func(t *testing.T) {
		_, code, body := e.initOffer(0, aw.UUID, lcw.ID, "")
		if code != http.StatusUnauthorized || !bytes.Contains(body, []byte("error_description")) {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("another learner's award", func(t *testing.T) {
		_, code, body := e.initOffer(11, other.UUID, lcw.ID, "")
		if code != http.StatusForbidden || !bytes.Contains(body, []byte("does not belong")) {
			t.Fatalf("%d %s", code, body)
		}
		recs, _ := e.st.Issuance().ListByAward(ctx, other.UUID)
		if len(recs) != 0 {
			t.Fatalf("a record was created for another learner's award: %+v", recs)
		}
	})
	t.Run("unknown award and wallet", func(t *testing.T) {
		if _, code, _ := e.initOffer(11, uuid.New(), lcw.ID, ""); code != http.StatusNotFound {
			t.Fatalf("unknown award: %d", code)
		}
		if _, code, _ := e.initOffer(11, aw.UUID, "nope", ""); code != http.StatusNotFound {
			t.Fatalf("unknown wallet: %d", code)
		}
	})

	in := e.mustInit(11, aw.UUID, lcw.ID, "")
	p, _ := lcw.ParseDeepLink(in.DeepLink)
	postVP := func(o wallettest.PresentOptions) error {
		vp, err := h.Present(o)
		if err != nil {
			t.Fatal(err)
		}
		return post(t, e, p.VCRequestURL, vp)
	}
	t.Run("wrong challenge", func(t *testing.T) {
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: wallet.NewToken()}), http.StatusBadRequest, "invalid_challenge")
	})
	t.Run("challenge of another request", func(t *testing.T) {
		in2 := e.mustInit(11, aw.UUID, lcw.ID, "")
		p2, _ := lcw.ParseDeepLink(in2.DeepLink)
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: p2.Challenge}), http.StatusBadRequest, "invalid_challenge")
	})
	t.Run("wrong proof purpose", func(t *testing.T) {
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: p.Challenge, ProofPurpose: "assertionMethod"}), http.StatusBadRequest, "invalid_proof")
	})
	t.Run("holder does not control the verification method", func(t *testing.T) {
		mallory := e.holder()
		// Signed by Mallory's key, naming Mallory's method, claiming h as holder.
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: p.Challenge, VerificationMethod: mallory.VM, SignWith: mallory.Key}),
			http.StatusBadRequest, "invalid_proof")
		// Naming h's method but signed by Mallory's key.
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: p.Challenge, SignWith: mallory.Key}),
			http.StatusBadRequest, "invalid_proof")
	})
	t.Run("tampered presentation", func(t *testing.T) {
		wantRefused(t, postVP(wallettest.PresentOptions{Challenge: p.Challenge, TamperAfterSigning: true}), http.StatusBadRequest, "invalid_proof")
		vp, _ := h.Present(wallettest.PresentOptions{Challenge: p.Challenge})
		vp = bytes.Replace(vp, []byte(`"proofValue":"z`), []byte(`"proofValue":"z2`), 1)
		wantRefused(t, post(t, e, p.VCRequestURL, vp), http.StatusBadRequest, "invalid_proof")
	})
	t.Run("malformed JSON", func(t *testing.T) {
		wantRefused(t, post(t, e, p.VCRequestURL, []byte(`{"type":["VerifiablePresentation"],`)), http.StatusBadRequest, "invalid_request")
	})
	t.Run("oversized body", func(t *testing.T) {
		big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), wallet.DefaultMaxBody)...)
		wantRefused(t, post(t, e, p.VCRequestURL, append(big, '"', '}')), http.StatusRequestEntityTooLarge, "request_too_large")
	})
	t.Run("unknown request", func(t *testing.T) {
		wantRefused(t, post(t, e, e.base+"/lcw/issue/"+uuid.NewString(), []byte(`{}`)), http.StatusNotFound, "not_found")
	})
	if n := len(e.issued(aw.UUID)); n != 0 {
		t.Fatalf("a refused request issued %d credentials", n)
	}
	// After all that the honest wallet still gets its credential: refusals
	// do not burn the challenge.
	if _, err := h.LCW(ctx, in.DeepLink); err != nil {
		t.Fatal(err)
	}

	t.Run("expired challenge", func(t *testing.T) {
		in := e.mustInit(11, aw.UUID, lcw.ID, "")
		e.clk.Advance(11 * time.Minute)
		_, err := h.LCW(ctx, in.DeepLink)
		wantRefused(t, err, http.StatusGone, "expired")
	})
	t.Run("expired exchange", func(t *testing.T) {
		in := e.mustInit(11, aw.UUID, vcapi.ID, "")
		e.clk.Advance(11 * time.Minute)
		_, err := h.VCAPI(ctx, in.Offer.URL)
		wantRefused(t, err, http.StatusGone, "expired")
	})
	t.Run("VC-API wrong domain and challenge", func(t *testing.T) {
		in := e.mustInit(11, aw.UUID, vcapi.ID, "")
		b, _, err := h.Do(ctx, http.MethodPost, in.Offer.URL, "application/json", []byte(`{}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		var m vcapi.Message
		_ = json.Unmarshal(b, &m)
		for _, o := range []wallettest.PresentOptions{
			{Challenge: m.VerifiablePresentationRequest.Challenge, Domain: "https://evil.example"},
			{Challenge: "nope", Domain: m.VerifiablePresentationRequest.Domain},
		} {
			vp, _ := h.Present(o)
			body, _ := json.Marshal(map[string]json.RawMessage{"verifiablePresentation": vp})
			wantRefused(t, post(t, e, in.Offer.URL, body), http.StatusBadRequest, "invalid_challenge")
		}
		wantRefused(t, post(t, e, in.Offer.URL, []byte(`{"verifiablePresentation":"x"}`)), http.StatusBadRequest, "invalid_request")
		wantRefused(t, post(t, e, e.base+"/vcapi/exchanges/nope", []byte(`{}`)), http.StatusNotFound, "not_found")
	})
	t.Run("revoked award", func(t *testing.T) {
		in := e.mustInit(11, aw.UUID, lcw.ID, "")
		rev := aw
		rev.Revoke(credential.Cause{EventTime: e.clk.Now(), Reason: "test"})
		if _, _, err := e.st.Awards().Put(ctx, rev); err != nil {
			t.Fatal(err)
		}
		_, err := h.LCW(ctx, in.DeepLink)
		wantRefused(t, err, http.StatusConflict, "award_revoked")
		if _, code, _ := e.initOffer(11, aw.UUID, lcw.ID, ""); code != http.StatusConflict {
			t.Fatalf("init for a revoked award: %d", code)
		}
	})
	if n := len(e.issued(aw.UUID)); n != 1 {
		t.Fatalf("%d credentials issued, want 1", n)
	}
}

func testOID4VCINegative(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(13, "course-v1:edX+OID+1")
	h := e.holder()
	iss := e.base + "/oid4vci"
	md := wallettest.IssuerMetadata{CredentialIssuer: iss, CredentialEndpoint: iss + "/credential", NonceEndpoint: iss + "/nonce", TokenEndpoint: iss + "/token"}
	token := func(code string) (oid4vci.TokenResponse, error) {
		form := url.Values{"grant_type": {oid4vci.GrantPreAuthorized}, "pre-authorized_code": {code}}
		b, _, err := h.Do(ctx, http.MethodPost, md.TokenEndpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		var tr oid4vci.TokenResponse
		if err == nil {
			err = json.Unmarshal(b, &tr)
		}
		return tr, err
	}
	credential := func(tok string, body any) error {
		b, _ := json.Marshal(body)
		_, _, err := h.Do(ctx, http.MethodPost, md.CredentialEndpoint, "application/json", b, http.Header{"Authorization": {"Bearer " + tok}})
		return err
	}
	req := func(jwt string) map[string]any {
		return map[string]any{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proof": map[string]string{"proof_type": "jwt", "jwt": jwt}}
	}
	in := e.mustInit(13, aw.UUID, oid4vci.ID, "")
	var offer oid4vci.CredentialOffer
	_ = json.Unmarshal(in.Offer.Message, &offer)
	code := offer.Grants[oid4vci.GrantPreAuthorized].(map[string]any)["pre-authorized_code"].(string)

	t.Run("bad code", func(t *testing.T) {
		_, err := token(code + "x")
		wantRefused(t, err, http.StatusBadRequest, "invalid_grant")
		_, err = token("nodot")
		wantRefused(t, err, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("bad grant", func(t *testing.T) {
		_, _, err := h.Do(ctx, http.MethodPost, md.TokenEndpoint, "application/x-www-form-urlencoded", []byte("grant_type=authorization_code&code=x"), nil)
		wantRefused(t, err, http.StatusBadRequest, "unsupported_grant_type")
	})
	tr, err := token(code)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("code replay", func(t *testing.T) {
		_, err := token(code)
		wantRefused(t, err, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("no token", func(t *testing.T) {
		wantRefused(t, credential("", req("x")), http.StatusUnauthorized, "invalid_token")
		wantRefused(t, credential(tr.AccessToken+"x", req("x")), http.StatusUnauthorized, "invalid_token")
	})
	nonce, _ := h.Nonce(ctx, md)
	jwt := func(o wallettest.ProofOptions) string {
		if o.Audience == "" {
			o.Audience = iss
		}
		if o.Nonce == "" {
			o.Nonce = nonce
		}
		s, err := h.ProofJWT(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mallory := e.holder()
	for name, c := range map[string]struct {
		body         any
		status       int
		code         string
		rawBody      []byte
		rawBodyValid bool
	}{
		"wrong audience":     {body: req(jwt(wallettest.ProofOptions{Audience: "https://evil.example"})), status: 400, code: "invalid_proof"},
		"wrong typ":          {body: req(jwt(wallettest.ProofOptions{Typ: "JWT"})), status: 400, code: "invalid_proof"},
		"stale iat":          {body: req(jwt(wallettest.ProofOptions{IssuedAt: e.clk.Now().Add(-time.Hour)})), status: 400, code: "invalid_proof"},
		"key not holder's":   {body: req(jwt(wallettest.ProofOptions{SignWith: mallory.Key})), status: 400, code: "invalid_proof"},
		"unknown nonce":      {body: req(jwt(wallettest.ProofOptions{Nonce: "made-up"})), status: 400, code: "invalid_nonce"},
		"tampered":           {body: req(jwt(wallettest.ProofOptions{}) + "A"), status: 400, code: "invalid_proof"},
		"not offered":        {body: map[string]any{"credential_configuration_id": "Nope", "proof": map[string]string{"proof_type": "jwt", "jwt": "x"}}, status: 400, code: "unsupported_credential_type"},
		"no proof":           {body: map[string]any{"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}, status: 400, code: "invalid_proof"},
		"malformed JSON":     {rawBody: []byte(`{"credential_configuration_id":`), status: 400, code: "invalid_credential_request"},
		"oversized":          {rawBody: append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), wallet.DefaultMaxBody)...), '"', '}'), status: 413, code: "request_too_large"},
		"proof_type not jwt": {body: map[string]any{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proof": map[string]string{"proof_type": "ldp_vp"}}, status: 400, code: "invalid_proof"},
	} {
		t.Run(name, func(t *testing.T) {
			if c.rawBody != nil {
				_, _, err := h.Do(ctx, http.MethodPost, md.CredentialEndpoint, "application/json", c.rawBody, http.Header{"Authorization": {"Bearer " + tr.AccessToken}})
				wantRefused(t, err, c.status, c.code)
				return
			}
			wantRefused(t, credential(tr.AccessToken, c.body), c.status, c.code)
		})
	}
	if n := len(e.issued(aw.UUID)); n != 0 {
		t.Fatalf("refused requests issued %d credentials", n)
	}
	// The honest request succeeds; then the nonce and token are spent.
	good := req(jwt(wallettest.ProofOptions{}))
	if err := credential(tr.AccessToken, good); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, credential(tr.AccessToken, good), http.StatusUnauthorized, "invalid_token")
	t.Run("nonce replay", func(t *testing.T) {
		in := e.mustInit(13, aw.UUID, oid4vci.ID, "")
		var offer oid4vci.CredentialOffer
		_ = json.Unmarshal(in.Offer.Message, &offer)
		tr2, err := token(offer.Grants[oid4vci.GrantPreAuthorized].(map[string]any)["pre-authorized_code"].(string))
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, credential(tr2.AccessToken, good), http.StatusBadRequest, "invalid_nonce")
	})
	t.Run("expired offer", func(t *testing.T) {
		in := e.mustInit(13, aw.UUID, oid4vci.ID, "")
		e.clk.Advance(11 * time.Minute)
		_, err := h.OID4VCI(ctx, in.DeepLink, "")
		wantRefused(t, err, http.StatusGone, "expired")
	})
	if n := len(e.issued(aw.UUID)); n != 1 {
		t.Fatalf("%d credentials issued, want 1", n)
	}
}

// testConcurrentReplay posts the same valid presentation from many
// goroutines: exactly one gets the credential.
func testConcurrentReplay(t *testing.T, e *env) {
	aw := e.award(14, "course-v1:edX+Race+1")
	in := e.mustInit(14, aw.UUID, lcw.ID, "")
	p, _ := lcw.ParseDeepLink(in.DeepLink)
	h := e.holder()
	vp, err := h.Present(wallettest.PresentOptions{Challenge: p.Challenge})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, status, err := h.Do(context.Background(), http.MethodPost, p.VCRequestURL, "application/json", vp, nil)
			switch {
			case err == nil && status == http.StatusCreated:
				ok.Add(1)
			case status == http.StatusConflict:
				refused.Add(1)
			default:
				t.Errorf("status %d: %v", status, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != n-1 {
		t.Fatalf("%d succeeded, %d refused; want 1 and %d", ok.Load(), refused.Load(), n-1)
	}
	if got := len(e.issued(aw.UUID)); got != 1 {
		t.Fatalf("%d credentials issued", got)
	}
}

// testReplicas runs each step of each protocol on another "replica" (an
// issuer with no state but the shared store): the offer is made on A, the
// wallet's requests alternate between A and B.
func testReplicas(t *testing.T, st store.Store) {
	ctx := context.Background()
	a := newEnv(t, st)
	b := newEnvWith(t, st, a.parts)
	aw := a.award(16, "course-v1:edX+Replica+1")
	// A client that sends every other request to the other replica.
	var n atomic.Int32
	aURL, _ := url.Parse(a.srv.URL)
	bURL, _ := url.Parse(b.srv.URL)
	flip := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if n.Add(1)%2 == 0 && r.URL.Host == aURL.Host {
			r = r.Clone(r.Context())
			r.URL.Host, r.Host = bURL.Host, bURL.Host
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	h := a.holder()
	h.Client = flip
	in := a.mustInit(16, aw.UUID, lcw.ID, "")
	if _, err := h.LCW(ctx, in.DeepLink); err != nil {
		t.Fatal(err)
	}
	in = a.mustInit(16, aw.UUID, vcapi.ID, "")
	if _, err := h.VCAPI(ctx, in.Offer.URL); err != nil {
		t.Fatal(err)
	}
	in = a.mustInit(16, aw.UUID, oid4vci.ID, "")
	if _, err := h.OID4VCI(ctx, in.DeepLink, ""); err != nil {
		t.Fatal(err)
	}
	if n.Load() < 6 {
		t.Fatalf("only %d requests", n.Load())
	}
	if got := len(a.issued(aw.UUID)); got != 3 {
		t.Fatalf("%d issued, want 3", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testRevocation closes the loop with the status lists: a credential
// delivered to a wallet verifies as valid, as revoked once its award is
// revoked; after a re-award, a new credential for the same holder gets
// fresh status entries (the old bits are permanent) and verifies as valid.
func testRevocation(t *testing.T, e *env) {
	ctx := context.Background()
	aw := e.award(17, "course-v1:edX+Revoke+1")
	h := e.holder()
	checker, err := statusproof.NewChecker(e.parts.resolver, status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Resolver: e.parts.resolver, Status: checker})
	if err != nil {
		t.Fatal(err)
	}
	get := func() json.RawMessage {
		in := e.mustInit(17, aw.UUID, lcw.ID, "")
		cred, err := h.LCW(ctx, in.DeepLink)
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	first := get()
	if r := ver.VerifyCredential(ctx, first); r.Verdict != vc.VerdictValid {
		t.Fatalf("fresh credential: %s %+v", r.Verdict, r.Reasons)
	}
	var revoked credential.Award
	err = e.st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().GetByUUID(ctx, aw.UUID)
		if err != nil {
			return err
		}
		cur.Revoke(credential.Cause{EventID: "revoke-1", EventTime: e.clk.Now(), Reason: "certificate revoked"})
		if revoked, _, err = tx.Awards().Put(ctx, cur); err != nil {
			return err
		}
		return e.parts.statuses.RevokeAward(ctx, tx, revoked)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := ver.VerifyCredential(ctx, first); r.Verdict != vc.VerdictRevoked {
		t.Fatalf("after revocation: %s %+v", r.Verdict, r.Reasons)
	}
	// Re-awarded later: a new credential for the same holder is valid.
	e.clk.Advance(time.Hour)
	if _, err := revoked.Grant(credential.Cause{EventID: "regrant-1", EventTime: e.clk.Now()}, false, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.Awards().Put(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	second := get()
	if r := ver.VerifyCredential(ctx, second); r.Verdict != vc.VerdictValid {
		t.Fatalf("credential issued after the re-award: %s %+v", r.Verdict, r.Reasons)
	}
	recs := e.issued(aw.UUID)
	if len(recs) != 2 || sameStatus(recs[0].Status, recs[1].Status) {
		t.Fatalf("re-award reused revoked status entries: %+v", recs)
	}
}

// testBadge delivers a badge (which Open edX cannot issue as a VC), its
// achievement described by the stored template.
func testBadge(t *testing.T, e *env) {
	ctx := context.Background()
	tpl, err := e.st.Config().PutTemplate(ctx, store.Template{UUID: uuid.New(), Name: "Python Pro", Description: "Passed three Python courses.",
		ImageURL: "https://badges.example.edu/python.png", Provider: "obv3", State: store.TemplateActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.Learners().Upsert(ctx, credential.Learner{UserID: 18, Email: "b@example.org"}); err != nil {
		t.Fatal(err)
	}
	a, _ := credential.NewAward(18, credential.Badge(tpl.UUID.String()), credential.Cause{EventID: "b1", EventTime: e.clk.Now()})
	aw, _, err := e.st.Awards().Put(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	in := e.mustInit(18, aw.UUID, oid4vci.ID, "")
	cred, err := e.holder().OID4VCI(ctx, in.DeepLink, "OpenBadgeCredential_ldp_vc")
	if err != nil {
		t.Fatal(err)
	}
	c, err := vc.ParseCredential(cred)
	if err != nil {
		t.Fatal(err)
	}
	ach := c.CredentialSubject[0].Achievement
	if ach == nil || ach.Name != "Python Pro" || ach.Image == nil || ach.Image.ID != tpl.ImageURL || ach.AchievementType != "Badge" {
		t.Fatalf("achievement %+v", ach)
	}
	verifyLDP(t, e, cred)
}
