package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/wallettest"
)

// safeBuf is an output run writes to while the test reads it.
type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running vc-issuer whose shutdown the test controls.
type proc struct {
	running
	listen string // the address it listens on
	stop   context.CancelFunc
	logs   *safeBuf

	once sync.Once
	done chan error
	err  error
}

// wait returns run's result.
func (p *proc) wait() error {
	p.once.Do(func() { p.err = <-p.done })
	return p.err
}

// launch runs vc-issuer with args until the test calls stop (or ends).
func launch(t *testing.T, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{stop: cancel, logs: &safeBuf{}, done: make(chan error, 1)}
	got := make(chan running, 1)
	out := &safeBuf{}
	go func() {
		p.done <- run(ctx, args, out, p.logs, func(s *server, public, token string) { got <- running{s, public, token, out.String()} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := p.wait(); err != nil {
			t.Errorf("run: %v\n%s", err, p.logs)
		}
	})
	select {
	case p.running = <-got:
	case err := <-p.done:
		p.once.Do(func() { p.err = err })
		t.Fatalf("run ended: %v\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	p.listen = strings.TrimPrefix(p.public, "http://")
	return p
}

// webHolder is a wallet whose DID is a did:web served by an https server on
// 127.0.0.1 (an internal host, as far as the default policy goes). Each
// request for the document is reported on arrived; it is answered once
// gate is closed (or at once when gate is nil), or never when the request
// ends first.
type webHolder struct {
	*wallettest.Holder
	srv     *httptest.Server
	caFile  string
	arrived chan struct{}
}

func newWebHolder(t *testing.T, gate chan struct{}) *webHolder {
	t.Helper()
	h, err := wallettest.NewHolder()
	if err != nil {
		t.Fatal(err)
	}
	w := &webHolder{Holder: h, arrived: make(chan struct{}, 16)}
	var docs *did.WebHandler
	stop := make(chan struct{})
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.arrived <- struct{}{}
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			case <-stop:
				return
			}
		}
		docs.ServeHTTP(rw, r)
	}))
	// Issuers that do not trust the certificate fail the handshake: that is
	// the point of some tests, not news.
	w.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	w.srv.StartTLS()
	t.Cleanup(func() { close(stop); w.srv.Close() })
	h.DID = did.WebDID(strings.TrimPrefix(w.srv.URL, "https://"))
	h.VM = h.DID + "#key-1"
	doc, err := did.NewDocument(h.DID, []ed25519.PublicKey{h.Key.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if docs, err = did.NewWebHandler(doc); err != nil {
		t.Fatal(err)
	}
	w.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(w.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// offer seeds an award for learner 42 (token "tok") and returns a fresh
// LCW offer's deep link.
func (p *proc) offer(t *testing.T) string {
	t.Helper()
	aw, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:OpenedX+SEC+2026"), credential.Cause{EventID: wallet.NewToken(), EventTime: time.Now()})
	aw, _, err := p.s.st.Awards().Put(context.Background(), aw)
	if err != nil {
		t.Fatal(err)
	}
	code, in, body := p.init(t, "tok", aw.UUID.String(), lcw.ID)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	return in.DeepLink
}

func tokensFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(p, []byte(`{"tok": 42}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFetchClientPolicy: holders' did:web documents are fetched through
// netguard: an internal host (127.0.0.1, 10.x) is refused by default, also
// under -demo for anything but loopback; -fetch-allow (a host or a CIDR)
// lets it through, and -fetch-ca makes its certificate trusted, so such a
// holder gets its credential.
func TestFetchClientPolicy(t *testing.T) {
	w := newWebHolder(t, nil)
	ctx := context.Background()
	private := did.WebDID("10.20.30.40:8443")
	for name, c := range map[string]struct {
		args       []string
		denied     bool // the holder's did:web is refused by the policy
		resolves   bool // and resolves
		privateToo bool // 10.20.30.40 is let through as well
	}{
		"default":            {denied: true},
		"demo":               {args: []string{"-demo"}},
		"demo with CA":       {args: []string{"-demo", "-fetch-ca", w.caFile}, resolves: true},
		"allow host, no CA":  {args: []string{"-fetch-allow", "127.0.0.1"}},
		"allow host and CA":  {args: []string{"-fetch-allow", "127.0.0.1", "-fetch-ca", w.caFile}, resolves: true},
		"allow CIDR and CA":  {args: []string{"-fetch-allow", "10.0.0.0/8, 127.0.0.0/8", "-fetch-ca", w.caFile}, resolves: true, privateToo: true},
		"allow another host": {args: []string{"-fetch-allow", "did.example.edu", "-fetch-ca", w.caFile}, denied: true},
	} {
		t.Run(name, func(t *testing.T) {
			p := launch(t, append([]string{"-listen", "127.0.0.1:0", "-db", "mem:", "-tokens", tokensFile(t)}, c.args...)...)
			_, err := p.s.resolver.Resolve(ctx, w.DID)
			if denied := errors.Is(err, netguard.ErrDenied); denied != c.denied || (err == nil) != c.resolves {
				t.Fatalf("resolving %s: %v (denied %v, want denied %v, resolves %v)", w.DID, err, denied, c.denied, c.resolves)
			}
			// A private address is only reachable when a CIDR names it.
			pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			if _, err := p.s.resolver.Resolve(pctx, private); errors.Is(err, netguard.ErrDenied) == c.privateToo {
				t.Fatalf("resolving %s: %v", private, err)
			}
			// The wallet itself runs on this machine: its client may reach
			// the issuer on loopback.
			link := p.offer(t)
			_, err = w.LCW(ctx, link)
			if c.resolves != (err == nil) {
				t.Fatalf("LCW with a did:web holder: %v, want success %v", err, c.resolves)
			}
			if err != nil {
				var re *wallettest.ResponseError
				if !errors.As(err, &re) || re.Status != http.StatusBadRequest || strings.Contains(string(re.Body), "127.0.0.1") {
					t.Fatalf("refusal %v", err)
				}
			}
		})
	}
}

// TestFetchFlagsValidated: bad -fetch-allow, -fetch-ca, -request-timeout
// and -shutdown-grace values are reported at start, all at once.
func TestFetchFlagsValidated(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for name, c := range map[string]struct {
		args []string
		want []string // one problem per entry, naming the flag
	}{
		"bad CIDR":       {args: []string{"-fetch-allow", "10.0.0.0/33"}, want: []string{"-fetch-allow"}},
		"bad host":       {args: []string{"-fetch-allow", "bad host!"}, want: []string{"-fetch-allow"}},
		"missing CA":     {args: []string{"-fetch-ca", filepath.Join(dir, "nope.pem")}, want: []string{"-fetch-ca"}},
		"CA without PEM": {args: []string{"-fetch-ca", notPEM}, want: []string{"-fetch-ca"}},
		"zero timeout":   {args: []string{"-request-timeout", "0"}, want: []string{"-request-timeout"}},
		"negative grace": {args: []string{"-shutdown-grace", "-1s"}, want: []string{"-shutdown-grace"}},
		"not a duration": {args: []string{"-request-timeout", "soon"}, want: []string{"-request-timeout"}},
		"all at once":    {args: []string{"-fetch-allow", "x/y", "-fetch-ca", notPEM, "-request-timeout", "-5s"}, want: []string{"-request-timeout", "-fetch-allow", "-fetch-ca"}},
		"good ones ok":   {args: []string{"-fetch-allow", "*.internal.example.edu,10.1.0.0/16,192.0.2.7", "-request-timeout", "3s", "-shutdown-grace", "0s"}},
		"demo":           {args: []string{"-demo"}},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, err := parse(c.args, &stderr)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("parse(%q): %v", c.args, err)
				}
				return
			}
			var ce configError
			if !errors.As(err, &ce) || len(ce.problems) != len(c.want) {
				t.Fatalf("parse(%q) = %v, want %d problems", c.args, err, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(ce.problems[i], w) {
					t.Errorf("problem %q does not name %s", ce.problems[i], w)
				}
			}
			_ = cfg
		})
	}
	// run refuses them before listening (exit status 2 in main).
	err := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-fetch-allow", "10.0.0.0/33"}, io.Discard, io.Discard, nil)
	if !errors.As(err, new(configError)) {
		t.Fatalf("run with a bad -fetch-allow: %v", err)
	}
	if errors.Is(err, flag.ErrHelp) {
		t.Fatal("unexpected help")
	}
}

// TestServerLimits: the server has header, read, write and idle deadlines,
// a header size cap and a body cap, and -request-timeout reaches the
// wallet service and registry.
func TestServerLimits(t *testing.T) {
	p := launch(t, "-listen", "127.0.0.1:0", "-db", "mem:", "-request-timeout", "7s")
	srv := p.s.httpSrv
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 7*time.Second || srv.IdleTimeout <= 0 ||
		srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 || srv.BaseContext == nil {
		t.Fatalf("server limits: header %s read %s write %s idle %s max header %d", srv.ReadHeaderTimeout, srv.ReadTimeout,
			srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	if got := p.s.svc.RequestTimeout(); got != 7*time.Second {
		t.Fatalf("wallet RequestTimeout %s, want 7s", got)
	}
	// An oversized header is refused (431) before any handler runs.
	req, _ := http.NewRequest(http.MethodGet, p.public+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2*maxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized header: %d", resp.StatusCode)
	}
	// Every handler reads at most maxRequestBody bytes of a body.
	var readErr error
	h := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}), time.Second, context.Background()).Handler
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, maxRequestBody+1))))
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) {
		t.Fatalf("reading a body over the cap: %v", readErr)
	}
	// A wallet body over the wallet's own cap gets 413.
	big := bytes.Repeat([]byte("a"), wallet.DefaultMaxBody+1)
	resp, err = http.Post(p.public+"/wallet/lcw/issue/00000000-0000-4000-8000-000000000000", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized wallet body: %d", resp.StatusCode)
	}
}

// stopAndWaitClosed stops p and waits (bounded) until it no longer accepts
// connections: the shutdown has begun.
func stopAndWaitClosed(t *testing.T, p *proc) {
	t.Helper()
	p.stop()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", p.listen)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after the shutdown signal")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownDrains: a request in flight when the shutdown signal comes
// is finished (the credential is issued) within the grace period, and run
// returns without error.
func TestShutdownDrains(t *testing.T) {
	gate := make(chan struct{})
	w := newWebHolder(t, gate)
	p := launch(t, "-listen", "127.0.0.1:0", "-db", "mem:", "-tokens", tokensFile(t),
		"-fetch-allow", "127.0.0.1", "-fetch-ca", w.caFile, "-shutdown-grace", "10m")
	link := p.offer(t)
	res := make(chan error, 1)
	go func() {
		_, err := w.LCW(context.Background(), link)
		res <- err
	}()
	<-w.arrived // the issuer is resolving the holder's DID
	stopAndWaitClosed(t, p)
	close(gate) // now the document is served
	if err := <-res; err != nil {
		t.Fatalf("the in-flight request was not drained: %v", err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestShutdownCancelsStuckRequests: a request still running when the grace
// period ends has its context cancelled: the wallet gets a 503 with a
// generic body, the fetch it was blocked on is abandoned, and run returns.
func TestShutdownCancelsStuckRequests(t *testing.T) {
	w := newWebHolder(t, make(chan struct{})) // never opened: the document never comes
	p := launch(t, "-listen", "127.0.0.1:0", "-db", "mem:", "-tokens", tokensFile(t),
		"-fetch-allow", "127.0.0.1", "-fetch-ca", w.caFile, "-shutdown-grace", "50ms", "-request-timeout", "10m")
	link := p.offer(t)
	res := make(chan error, 1)
	go func() {
		_, err := w.LCW(context.Background(), link)
		res <- err
	}()
	<-w.arrived
	stopAndWaitClosed(t, p)
	err := <-res
	var re *wallettest.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusServiceUnavailable || re.Code != "temporarily_unavailable" ||
		strings.Contains(string(re.Body), "127.0.0.1") || strings.Contains(string(re.Body), "context") {
		t.Fatalf("stuck request: %v, want a generic 503", err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(p.logs.String(), "cancelling them") {
		t.Fatalf("the log does not say stuck requests were cancelled:\n%s", p.logs)
	}
}

// TestReadyzGeneric: when the store does not answer, /readyz is a 503
// whose body says only "not ready"; the store's error is logged.
func TestReadyzGeneric(t *testing.T) {
	dir := t.TempDir()
	p := launch(t, "-listen", "127.0.0.1:0", "-db", "sqlite:"+filepath.Join(dir, "ready.db"))
	if code, b := get(t, p.public+"/readyz"); code != http.StatusOK {
		t.Fatalf("readyz: %d %s", code, b)
	}
	p.s.st.Close() // the store stops answering
	code, b := get(t, p.public+"/readyz")
	if code != http.StatusServiceUnavailable || strings.TrimSpace(string(b)) != "not ready" {
		t.Fatalf("readyz with the store closed: %d %q", code, b)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "readiness check failed") || !strings.Contains(logs, `"err"`) {
		t.Fatalf("the store's error is not logged:\n%s", logs)
	}
}
