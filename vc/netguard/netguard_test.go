package netguard_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc/netguard"
)

// TestDefaultPolicyRefusesEveryInternalClass checks one address of each
// class the issue lists, and that public unicast addresses pass.
func TestDefaultPolicyRefusesEveryInternalClass(t *testing.T) {
	refused := map[string]string{
		"127.0.0.1":                  "loopback",
		"127.255.255.254":            "loopback (end of 127/8)",
		"::1":                        "IPv6 loopback",
		"10.1.2.3":                   "RFC 1918 10/8",
		"172.16.0.1":                 "RFC 1918 172.16/12",
		"172.31.255.255":             "RFC 1918 172.16/12 end",
		"192.168.1.1":                "RFC 1918 192.168/16",
		"169.254.169.254":            "link-local (cloud metadata)",
		"100.64.0.1":                 "CGNAT 100.64/10",
		"100.127.255.254":            "CGNAT end",
		"224.0.0.1":                  "multicast",
		"239.255.255.250":            "multicast (SSDP)",
		"0.0.0.0":                    "unspecified",
		"0.1.2.3":                    "this network 0/8",
		"255.255.255.255":            "broadcast",
		"240.0.0.1":                  "reserved 240/4",
		"192.0.2.1":                  "documentation TEST-NET-1",
		"198.51.100.7":               "documentation TEST-NET-2",
		"203.0.113.9":                "documentation TEST-NET-3",
		"198.18.0.1":                 "benchmarking",
		"::":                         "IPv6 unspecified",
		"fc00::1":                    "IPv6 ULA fc00::/7",
		"fd12:3456:789a::1":          "IPv6 ULA fd00::/8",
		"fe80::1":                    "IPv6 link-local",
		"ff02::1":                    "IPv6 multicast",
		"2001:db8::1":                "IPv6 documentation",
		"::ffff:127.0.0.1":           "IPv4-mapped loopback",
		"::ffff:169.254.169.254":     "IPv4-mapped metadata",
		"::ffff:10.0.0.1":            "IPv4-mapped private",
		"64:ff9b::7f00:1":            "NAT64 of 127.0.0.1",
		"2002:7f00:1::1":             "6to4 of 127.0.0.1",
		"::127.0.0.1":                "IPv4-compatible (deprecated) loopback",
		"fec0::1":                    "IPv6 site-local (deprecated)",
		"2001::1":                    "Teredo",
		"2001:0000:4136:e378:8000::": "Teredo",
	}
	for a, class := range refused {
		err := netguard.Policy{}.Check(netip.MustParseAddr(a))
		if !errors.Is(err, netguard.ErrDenied) {
			t.Errorf("%s (%s): Check = %v, want ErrDenied", a, class, err)
		}
	}
	for _, a := range []string{"93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1"} {
		if err := (netguard.Policy{}).Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("public %s: Check = %v, want nil", a, err)
		}
	}
}

func TestAllowPrefixesOpenExactlyTheirRange(t *testing.T) {
	p := netguard.Policy{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("fd00:1::/32")}}
	for a, want := range map[string]bool{
		"10.20.0.1": true, "10.20.255.255": true, "10.21.0.1": false, "127.0.0.1": false,
		"fd00:1::5": true, "fd00:2::5": false, "169.254.169.254": false,
	} {
		err := p.Check(netip.MustParseAddr(a))
		if (err == nil) != want {
			t.Errorf("%s: Check = %v, want allowed=%v", a, err, want)
		}
	}
}

func TestPolicyValidation(t *testing.T) {
	for _, h := range []string{"bad host", "a/b", "", "..", "*.", "x..y"} {
		if _, err := netguard.New(netguard.Config{Policy: netguard.Policy{AllowHosts: []string{h}}}); err == nil {
			t.Errorf("AllowHosts %q accepted", h)
		}
	}
	if _, err := netguard.New(netguard.Config{Policy: netguard.Policy{AllowPrefixes: []netip.Prefix{{}}}}); err == nil {
		t.Error("an invalid prefix was accepted")
	}
	if _, err := netguard.New(netguard.Config{Timeout: -1}); err == nil {
		t.Error("a negative timeout was accepted")
	}
}

func get(t *testing.T, c *http.Client, u string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// hello serves "hello" over plain http on 127.0.0.1.
func hello(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") }))
	t.Cleanup(srv.Close)
	return srv
}

func port(t *testing.T, srv *httptest.Server) string {
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// tlsFor trusts srv's certificate for the name example.com (which the
// httptest certificate covers), whatever host name the URL uses.
func tlsFor(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool, ServerName: "example.com"}
}

func TestDefaultClientRefusesHTTPAndLoopbackAtDial(t *testing.T) {
	plain := hello(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") }))
	defer tlsSrv.Close()

	c := netguard.MustNew(netguard.Config{TLS: tlsFor(tlsSrv)})
	// Plain http: refused before any connection.
	if _, err := get(t, c, plain.URL); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("http URL: %v, want ErrDenied", err)
	}
	// https to a loopback literal: refused at dial.
	if _, err := get(t, c, tlsSrv.URL); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("https://127.0.0.1: %v, want ErrDenied", err)
	}
	// A host name that resolves to loopback: refused at dial, on the
	// resolved address.
	if _, err := get(t, c, "https://localhost:"+port(t, tlsSrv)+"/"); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("https://localhost: %v, want ErrDenied", err)
	}
	var de *netguard.DeniedError
	if _, err := get(t, c, "https://localhost:"+port(t, tlsSrv)+"/"); !errors.As(err, &de) || !strings.Contains(de.Target, "127.0.0.1") {
		t.Errorf("the denial should name the dialled address for the log: %v", err)
	}
	// The IPv4-mapped and unspecified forms.
	for _, h := range []string{"[::ffff:127.0.0.1]", "0.0.0.0", "[::]"} {
		if _, err := get(t, c, "https://"+h+":"+port(t, tlsSrv)+"/"); !errors.Is(err, netguard.ErrDenied) {
			t.Errorf("https://%s: %v, want ErrDenied", h, err)
		}
	}
	// Other schemes.
	for _, u := range []string{"ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/"} {
		if _, err := get(t, c, u); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
}

func TestAllowHostsLetsExactlyTheNamedHostThrough(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") }))
	defer tlsSrv.Close()
	c := netguard.MustNew(netguard.Config{Policy: netguard.Policy{AllowHosts: []string{"LocalHost"}}, TLS: tlsFor(tlsSrv)})
	if body, err := get(t, c, "https://localhost:"+port(t, tlsSrv)+"/"); err != nil || body != "hello" {
		t.Fatalf("allowed host: %q, %v", body, err)
	}
	// The same server by address is not the named host.
	if _, err := get(t, c, tlsSrv.URL); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("127.0.0.1 literal with only localhost allowed: %v, want ErrDenied", err)
	}
	// Plain http stays refused: AllowHosts opens addresses, not schemes.
	if _, err := get(t, c, "http://localhost:"+port(t, tlsSrv)+"/"); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("http with AllowHTTP unset: %v, want ErrDenied", err)
	}
}

func TestLocalhostPolicy(t *testing.T) {
	plain := hello(t)
	c := netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	if body, err := get(t, c, plain.URL); err != nil || body != "hello" {
		t.Fatalf("loopback over http with Localhost(): %q, %v", body, err)
	}
	if err := netguard.Localhost().Check(netip.MustParseAddr("10.0.0.1")); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("Localhost() allows 10.0.0.1: %v", err)
	}
	if err := netguard.Localhost().Check(netip.MustParseAddr("169.254.169.254")); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("Localhost() allows the metadata address: %v", err)
	}
}

func TestRedirectsAreRechecked(t *testing.T) {
	internal := hello(t) // on 127.0.0.1, not allowed below
	var target string
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-internal":
			http.Redirect(w, r, internal.URL, http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://localhost:"+port(t, internal)+"/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, target+"/loop", http.StatusFound)
		case "/once":
			http.Redirect(w, r, target+"/end", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "end")
		}
	}))
	defer front.Close()
	target = "https://localhost:" + port(t, front)
	pol := netguard.Policy{AllowHosts: []string{"localhost"}, AllowHTTP: true}
	c := netguard.MustNew(netguard.Config{Policy: pol, TLS: tlsFor(front)})

	if _, err := get(t, c, target+"/to-internal"); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("redirect to an internal address: %v, want ErrDenied", err)
	}
	if _, err := get(t, c, target+"/to-http"); !errors.Is(err, netguard.ErrDenied) || !strings.Contains(err.Error(), "https to http") {
		t.Errorf("redirect from https to http: %v, want ErrDenied (https to http)", err)
	}
	if _, err := get(t, c, target+"/loop"); !errors.Is(err, netguard.ErrDenied) || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: %v, want ErrDenied (too many redirects)", err)
	}
	if body, err := get(t, c, target+"/once"); err != nil || body != "end" {
		t.Errorf("one redirect to an allowed https host: %q, %v", body, err)
	}
	// A caller that replaces CheckRedirect does not weaken the limits: the
	// transport enforces them too.
	c.CheckRedirect = nil
	if _, err := get(t, c, target+"/to-http"); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("with CheckRedirect replaced, redirect to http: %v, want ErrDenied", err)
	}
	if _, err := get(t, c, target+"/loop"); !errors.Is(err, netguard.ErrDenied) {
		t.Errorf("with CheckRedirect replaced, redirect loop: %v, want ErrDenied", err)
	}
}

func TestResponseSizeCap(t *testing.T) {
	big := strings.Repeat("x", 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		} else {
			w.Header().Set("Content-Length", "4096")
		}
		_, _ = io.WriteString(w, big)
	}))
	defer srv.Close()
	c := netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), MaxBytes: 1000})
	if _, err := get(t, c, srv.URL+"/declared"); !errors.Is(err, netguard.ErrTooLarge) {
		t.Errorf("declared length over the cap: %v, want ErrTooLarge", err)
	}
	if _, err := get(t, c, srv.URL+"/chunked"); !errors.Is(err, netguard.ErrTooLarge) {
		t.Errorf("streamed body over the cap: %v, want ErrTooLarge", err)
	}
	exact := netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), MaxBytes: 4096})
	if body, err := get(t, exact, srv.URL+"/chunked"); err != nil || len(body) != 4096 {
		t.Errorf("body of exactly the cap: %d bytes, %v", len(body), err)
	}
}

func TestDeadlineAndContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	c := netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), Timeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := get(t, c, srv.URL); err == nil {
		t.Error("a server that never answers: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the deadline did not hold: %v", d)
	}
	// Replacing the client's Timeout does not lift the transport's.
	c.Timeout = 0
	start = time.Now()
	if _, err := get(t, c, srv.URL); err == nil {
		t.Error("with Timeout replaced: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the transport deadline did not hold: %v", d)
	}

	slow := netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start = time.Now()
	if _, err := slow.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation was not honoured promptly: %v", d)
	}
}

// TestNoProxy: a proxy from the environment is ignored (it would be the
// dialled address, so the check would see the proxy, not the target).
func TestNoProxy(t *testing.T) {
	proxied := false
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proxied = true }))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	srv := hello(t)
	c := netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	if body, err := get(t, c, srv.URL); err != nil || body != "hello" || proxied {
		t.Errorf("got %q, %v, proxied=%v", body, err, proxied)
	}
}

// TestDialTimeRebinding: the check is on the address dialled, so a
// resolver answer cannot be swapped between check and connection. The
// net.Dialer's Control hook sees the address after resolution; this test
// pins that by dialling a name through the client's dialer.
func TestDialTimeCheckSeesResolvedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	c := netguard.MustNew(netguard.Config{Policy: netguard.Policy{AllowHTTP: true}})
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	_, err = get(t, c, "http://localhost:"+p+"/")
	var de *netguard.DeniedError
	if !errors.As(err, &de) || !strings.HasPrefix(de.Target, "127.0.0.1:") {
		t.Fatalf("localhost with AllowHTTP only: %v, want a denial naming 127.0.0.1", err)
	}
}
