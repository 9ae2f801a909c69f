package wallettest_test

// Regression tests of issue 16: refusals sent to wallets are generic (the
// detail is logged with the request id), requests have a deadline and end
// when the wallet goes away, and proof times are bounded by the clock.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// logBuf collects the JSON log lines of a test's service.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the log lines that mention s.
func (l *logBuf) lines(s string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// waitLog waits (bounded) for a log line holding every one of subs: a
// handler logs after it answered, so the line may come a little later
// than the response.
func (l *logBuf) waitLog(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, line := range l.lines(subs[0]) {
			all := true
			for _, s := range subs[1:] {
				all = all && strings.Contains(line, s)
			}
			if all {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", subs, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// secEnv is an issuer on a memstore whose holder DIDs resolve with ropts
// and whose log is captured; svcMut changes the service's Config.
func secEnv(t *testing.T, svcMut func(*wallet.Config), ropts ...did.ResolverOption) (*env, *logBuf) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	logs := &logBuf{}
	// The status base is not served in these tests: no credential issued
	// here is checked for status.
	p := newParts(t, "https://issuer.invalid/status", true, ropts...)
	e := newEnvConfig(t, st, p, func(c *wallet.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if svcMut != nil {
			svcMut(c)
		}
	})
	return e, logs
}

// webHolder is a holder whose DID is a did:web on host (which the test
// controls or makes unreachable); it signs with its own key.
func webHolder(t *testing.T, e *env, host string) (*wallettest.Holder, string) {
	t.Helper()
	h := e.holder()
	h.DID = did.WebDID(host)
	h.VM = h.DID + "#key-1"
	return h, h.DID
}

// sendLCW posts a DIDAuth presentation made with o (its Challenge filled
// in from the deep link) to an LCW offer and returns the answer.
func sendLCW(t *testing.T, e *env, h *wallettest.Holder, learner int64, o wallettest.PresentOptions, hdr http.Header) ([]byte, int, error) {
	t.Helper()
	aw := e.award(learner, "course-v1:edX+Sec+"+strconv.FormatInt(learner, 10))
	in := e.mustInit(learner, aw.UUID, lcw.ID, "")
	p, err := lcw.ParseDeepLink(in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	o.Challenge = p.Challenge
	if o.Holder == "" {
		o.Holder, o.VerificationMethod = h.DID, h.VM
	}
	vp, err := h.Present(o)
	if err != nil {
		t.Fatal(err)
	}
	return h.Do(context.Background(), http.MethodPost, p.VCRequestURL, "application/json", vp, hdr)
}

// sendVCAPI answers a VC-API exchange's DIDAuthentication request with a
// presentation by h.
func sendVCAPI(t *testing.T, e *env, h *wallettest.Holder, learner int64, hdr http.Header) ([]byte, int, error) {
	t.Helper()
	ctx := context.Background()
	aw := e.award(learner, "course-v1:edX+Sec+"+strconv.FormatInt(learner, 10))
	in := e.mustInit(learner, aw.UUID, vcapi.ID, "")
	exURL, err := wallettest.VCAPIExchangeURL(in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := h.Do(ctx, http.MethodPost, exURL, "application/json", []byte(`{}`), hdr)
	if err != nil {
		t.Fatal(err)
	}
	var m vcapi.Message
	if err := json.Unmarshal(b, &m); err != nil || m.VerifiablePresentationRequest == nil {
		t.Fatalf("exchange answered %s", b)
	}
	vp, err := h.Present(wallettest.PresentOptions{Challenge: m.VerifiablePresentationRequest.Challenge, Domain: m.VerifiablePresentationRequest.Domain})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"verifiablePresentation": vp})
	return h.Do(ctx, http.MethodPost, exURL, "application/json", body, hdr)
}

// sendOID4VCI redeems a fresh OID4VCI offer up to the credential request,
// whose proof JWT is made with the options proof returns (Audience and
// Nonce filled in unless set); proof runs once the c_nonce was issued, so
// it may move the clock.
func sendOID4VCI(t *testing.T, e *env, h *wallettest.Holder, learner int64, hdr http.Header, proof func() wallettest.ProofOptions) ([]byte, int, error) {
	t.Helper()
	ctx := context.Background()
	aw := e.award(learner, "course-v1:edX+Sec+"+strconv.FormatInt(learner, 10))
	in := e.mustInit(learner, aw.UUID, oid4vci.ID, "")
	var offer oid4vci.CredentialOffer
	if err := json.Unmarshal(in.Offer.Message, &offer); err != nil {
		t.Fatal(err)
	}
	code := offer.Grants[oid4vci.GrantPreAuthorized].(map[string]any)["pre-authorized_code"].(string)
	iss := e.base + "/oid4vci"
	md := wallettest.IssuerMetadata{CredentialIssuer: iss, CredentialEndpoint: iss + "/credential", NonceEndpoint: iss + "/nonce", TokenEndpoint: iss + "/token"}
	form := url.Values{"grant_type": {oid4vci.GrantPreAuthorized}, "pre-authorized_code": {code}}
	b, _, err := h.Do(ctx, http.MethodPost, md.TokenEndpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var tr oid4vci.TokenResponse
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	nonce, err := h.Nonce(ctx, md)
	if err != nil {
		t.Fatal(err)
	}
	var o wallettest.ProofOptions
	if proof != nil {
		o = proof()
	}
	if o.Audience == "" {
		o.Audience = iss
	}
	if o.Nonce == "" {
		o.Nonce = nonce
	}
	jwt, err := h.ProofJWT(o)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{
		"credential_configuration_id": "OpenBadgeCredential_ldp_vc",
		"proof":                       map[string]string{"proof_type": "jwt", "jwt": jwt},
	})
	h2 := http.Header{"Authorization": {"Bearer " + tr.AccessToken}}
	for k, v := range hdr {
		h2[k] = v
	}
	return h.Do(ctx, http.MethodPost, md.CredentialEndpoint, "application/json", req, h2)
}

// responseBody returns the body of a refusal.
func responseBody(t *testing.T, err error) []byte {
	t.Helper()
	var re *wallettest.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return re.Body
}

// TestRefusalsNameNoAddress: a holder whose did:web points at an internal
// address (refused by the netguard policy) or at a port nobody listens on
// (a dial error) is refused with a generic reason: the body the wallet
// gets names no IP, port or host of the DID and no dial or policy text,
// while the log line of the request (with its X-Request-ID) has the detail.
func TestRefusalsNameNoAddress(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // nothing listens there any more: dialling it fails
	_, closedPort, _ := net.SplitHostPort(closedAddr)

	for name, c := range map[string]struct {
		host      string // the did:web's host
		policy    netguard.Policy
		forbidden []string // must not be in the body
		detail    string   // must be in the log
	}{
		"policy denies an internal address": {
			host: "10.20.30.40:8443", policy: netguard.Policy{},
			forbidden: []string{"10.20.30.40", "8443", "netguard", "private", "refusing"},
			detail:    "10.20.30.40:8443",
		},
		"dial error": {
			host: closedAddr, policy: netguard.Localhost(),
			forbidden: []string{"127.0.0.1", closedPort, "dial", "connect", "refused", "tcp"},
			detail:    closedAddr,
		},
	} {
		t.Run(name, func(t *testing.T) {
			client := netguard.MustNew(netguard.Config{Policy: c.policy})
			e, logs := secEnv(t, nil, did.WithHTTPClient(client))
			h, holderDID := webHolder(t, e, c.host)
			forbidden := append(c.forbidden, holderDID, url.PathEscape(holderDID), "%3A")
			learner := int64(100)
			for proto, send := range map[string]func(hdr http.Header) ([]byte, int, error){
				"lcw": func(hdr http.Header) ([]byte, int, error) {
					return sendLCW(t, e, h, learner, wallettest.PresentOptions{}, hdr)
				},
				"vcapi": func(hdr http.Header) ([]byte, int, error) {
					return sendVCAPI(t, e, h, learner+1, hdr)
				},
				"oid4vci": func(hdr http.Header) ([]byte, int, error) {
					return sendOID4VCI(t, e, h, learner+2, hdr, nil)
				},
			} {
				t.Run(proto, func(t *testing.T) {
					id := "trace-" + proto + "-" + strconv.Itoa(len(name))
					_, status, err := send(http.Header{wallet.RequestIDHeader: {id}})
					body := responseBody(t, err)
					if status != http.StatusBadRequest || !bytes.Contains(body, []byte("invalid_proof")) {
						t.Fatalf("%d %s, want 400 invalid_proof", status, body)
					}
					for _, f := range forbidden {
						if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(f))) {
							t.Errorf("the wallet's answer names %q: %s", f, body)
						}
					}
					line := logs.waitLog(t, `"request_id":"`+id+`"`, "wallet request refused")
					if !strings.Contains(line, c.detail) || !strings.Contains(line, `"cause"`) {
						t.Errorf("the log line lacks the detail %q:\n%s", c.detail, line)
					}
				})
			}
			for _, aw := range []int64{learner, learner + 1, learner + 2} {
				if recs, _ := e.st.Awards().List(context.Background(), store.AwardFilter{LearnerID: aw}); len(recs) == 1 && len(e.issued(recs[0].UUID)) != 0 {
					t.Fatalf("a refused request issued a credential")
				}
			}
		})
	}
}

// hangingDIDWeb is an https did:web host that never answers: it reports
// each request that arrives and each whose context ends (the issuer gave
// up or went away), and a resolver option whose client trusts it.
type hangingDIDWeb struct {
	srv       *httptest.Server
	arrived   chan struct{}
	cancelled chan struct{}
	release   chan struct{}
}

func newHangingDIDWeb(t *testing.T) *hangingDIDWeb {
	t.Helper()
	hw := &hangingDIDWeb{arrived: make(chan struct{}, 16), cancelled: make(chan struct{}, 16), release: make(chan struct{})}
	hw.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw.arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			hw.cancelled <- struct{}{}
		case <-hw.release:
		}
	}))
	t.Cleanup(func() {
		close(hw.release)
		hw.srv.Close()
	})
	return hw
}

// resolver returns resolver options that reach hw through a netguard
// client (loopback allowed, hw's certificate trusted) with a long
// deadline, so only the wallet request's own context ends a fetch.
func (hw *hangingDIDWeb) resolver() []did.ResolverOption {
	pool := x509.NewCertPool()
	pool.AddCert(hw.srv.Certificate())
	c := netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Minute})
	return []did.ResolverOption{did.WithHTTPClient(c), did.WithTimeout(10 * time.Minute)}
}

func (hw *hangingDIDWeb) host() string { return strings.TrimPrefix(hw.srv.URL, "https://") }

// TestRequestDeadline: a request blocked in DID resolution past
// Config.RequestTimeout is answered 503 with a generic body (and
// Retry-After); the log says it timed out, with the request id.
func TestRequestDeadline(t *testing.T) {
	hw := newHangingDIDWeb(t)
	e, logs := secEnv(t, func(c *wallet.Config) { c.RequestTimeout = 200 * time.Millisecond }, hw.resolver()...)
	h, holderDID := webHolder(t, e, hw.host())
	aw := e.award(200, "course-v1:edX+Slow+1")
	in := e.mustInit(200, aw.UUID, lcw.ID, "")
	p, _ := lcw.ParseDeepLink(in.DeepLink)
	vp, err := h.Present(wallettest.PresentOptions{Challenge: p.Challenge})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, p.VCRequestURL, bytes.NewReader(vp))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wallet.RequestIDHeader, "slow-1")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	body := buf.String()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, `"temporarily_unavailable"`) {
		t.Fatalf("%d %v %s, want 503 temporarily_unavailable with Retry-After", resp.StatusCode, resp.Header, body)
	}
	for _, f := range []string{"127.0.0.1", holderDID, "deadline", "context", "did:web", "Get "} {
		if strings.Contains(body, f) {
			t.Errorf("the 503 body names %q: %s", f, body)
		}
	}
	select {
	case <-hw.arrived:
	default:
		t.Fatal("the request never reached DID resolution")
	}
	logs.waitLog(t, `"request_id":"slow-1"`, "wallet request timed out")
	// Nothing was issued, and the challenge is still usable.
	if n := len(e.issued(aw.UUID)); n != 0 {
		t.Fatalf("%d credentials issued", n)
	}
	if _, err := e.svc.Pending(context.Background(), in.Offer.IssuanceID); err != nil {
		t.Fatalf("after the timeout the challenge is not usable: %v", err)
	}
}

// TestClientDisconnectCancels: when the wallet goes away mid-request, the
// request's context is cancelled all the way down: the did:web fetch the
// issuer was making is abandoned (the host sees its request end) although
// neither RequestTimeout nor the resolver's deadline has passed.
func TestClientDisconnectCancels(t *testing.T) {
	hw := newHangingDIDWeb(t)
	e, logs := secEnv(t, func(c *wallet.Config) { c.RequestTimeout = 10 * time.Minute }, hw.resolver()...)
	h, _ := webHolder(t, e, hw.host())
	aw := e.award(201, "course-v1:edX+Gone+1")
	in := e.mustInit(201, aw.UUID, lcw.ID, "")
	p, _ := lcw.ParseDeepLink(in.DeepLink)
	vp, err := h.Present(wallettest.PresentOptions{Challenge: p.Challenge})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := h.Do(ctx, http.MethodPost, p.VCRequestURL, "application/json", vp, http.Header{wallet.RequestIDHeader: {"gone-1"}})
		done <- err
	}()
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatalf("%s did not happen", what)
		}
	}
	wait(hw.arrived, "the did:web fetch")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want context.Canceled", err)
	}
	wait(hw.cancelled, "cancellation of the did:web fetch")
	logs.waitLog(t, `"request_id":"gone-1"`, "cancelled")
	if n := len(e.issued(aw.UUID)); n != 0 {
		t.Fatalf("%d credentials issued", n)
	}
}

// TestProofCreatedSkew: a DIDAuth proof's created may be at most
// MaxClockSkew ahead of the issuer's clock and not before its challenge was
// issued (by more than the skew): one made 10 years ahead, or older than
// the challenge's lifetime, is refused; times within the skew, and no
// created at all, are accepted.
func TestProofCreatedSkew(t *testing.T) {
	e, _ := secEnv(t, nil)
	skew, ttl := e.svc.MaxClockSkew(), e.svc.TTL()
	if skew != wallet.DefaultMaxClockSkew {
		t.Fatalf("MaxClockSkew %s, want the default %s", skew, wallet.DefaultMaxClockSkew)
	}
	now := e.clk.Now()
	learner := int64(300)
	for name, c := range map[string]struct {
		o    wallettest.PresentOptions
		want int
	}{
		"10 years ahead":                {o: wallettest.PresentOptions{Created: now.AddDate(10, 0, 0)}, want: http.StatusBadRequest},
		"just past the skew ahead":      {o: wallettest.PresentOptions{Created: now.Add(skew + time.Minute)}, want: http.StatusBadRequest},
		"within the skew ahead":         {o: wallettest.PresentOptions{Created: now.Add(skew - time.Minute)}, want: http.StatusCreated},
		"now":                           {o: wallettest.PresentOptions{Created: now}, want: http.StatusCreated},
		"within the skew before issue":  {o: wallettest.PresentOptions{Created: now.Add(-skew + time.Minute)}, want: http.StatusCreated},
		"older than challenge lifetime": {o: wallettest.PresentOptions{Created: now.Add(-ttl - skew - time.Minute)}, want: http.StatusBadRequest},
		"10 years old":                  {o: wallettest.PresentOptions{Created: now.AddDate(-10, 0, 0)}, want: http.StatusBadRequest},
		"no created":                    {o: wallettest.PresentOptions{OmitCreated: true}, want: http.StatusCreated},
	} {
		learner++
		t.Run(name, func(t *testing.T) {
			h := e.holder()
			_, status, err := sendLCW(t, e, h, learner, c.o, nil)
			if status != c.want {
				t.Fatalf("%d %v, want %d", status, err, c.want)
			}
			if c.want == http.StatusBadRequest {
				wantRefused(t, err, http.StatusBadRequest, "invalid_proof")
			}
		})
	}
}

// TestProofIatSkew: an OID4VCI proof JWT's iat may be at most MaxClockSkew
// ahead of the issuer's clock, no older than ProofAge (+ skew) and not
// before its c_nonce was issued (by more than the skew): one 10 years ahead
// or older than the c_nonce's lifetime is refused; times within the skew
// are accepted; a proof without iat is refused (OID4VCI requires it).
func TestProofIatSkew(t *testing.T) {
	e, _ := secEnv(t, nil)
	skew := e.svc.MaxClockSkew()
	learner := int64(400)
	for name, c := range map[string]struct {
		iat    time.Duration // from the clock when the proof is made
		years  int
		omit   bool
		before time.Duration // the clock moves this much after the c_nonce was issued
		want   int
		code   string
	}{
		"10 years ahead":           {years: 10, want: http.StatusBadRequest, code: "invalid_proof"},
		"just past the skew ahead": {iat: skew + time.Minute, want: http.StatusBadRequest, code: "invalid_proof"},
		"within the skew ahead":    {iat: skew - time.Minute, want: http.StatusOK},
		"now":                      {want: http.StatusOK},
		"within the skew before":   {iat: -skew + time.Minute, want: http.StatusOK},
		// ProofAge (5 min) + skew accepts 6 minutes, but the c_nonce was
		// issued just now: the proof claims to predate it.
		"before its c_nonce": {iat: -skew - time.Minute, want: http.StatusBadRequest, code: "invalid_proof"},
		// The c_nonce lives 5 minutes: 4 minutes later, an iat older than
		// the nonce's lifetime (and ProofAge) plus the skew is refused.
		"older than the c_nonce lifetime": {iat: -oid4vci.DefaultNonceTTL - skew - time.Minute, before: 4 * time.Minute, want: http.StatusBadRequest, code: "invalid_proof"},
		"10 years old":                    {years: -10, want: http.StatusBadRequest, code: "invalid_proof"},
		"no iat":                          {omit: true, want: http.StatusBadRequest, code: "invalid_proof"},
	} {
		learner++
		t.Run(name, func(t *testing.T) {
			h := e.holder()
			_, status, err := sendOID4VCI(t, e, h, learner, nil, func() wallettest.ProofOptions {
				e.clk.Advance(c.before)
				return wallettest.ProofOptions{IssuedAt: e.clk.Now().Add(c.iat).AddDate(c.years, 0, 0), OmitIssuedAt: c.omit}
			})
			if status != c.want {
				t.Fatalf("%d %v, want %d", status, err, c.want)
			}
			if c.code != "" {
				wantRefused(t, err, c.want, c.code)
			}
		})
	}
}
