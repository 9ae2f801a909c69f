package did_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/netguard"
)

// tlsOf returns the TLS configuration that trusts srv's certificate for
// the name example.com (which it covers), whatever host the URL names.
func tlsOf(srv *httptest.Server) *tls.Config {
	c := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	c.ServerName = "example.com"
	return c
}

const generic = "did:web document could not be fetched"

// checkRefused asserts err is a policy refusal whose text is generic and
// whose Detail names the cause.
func checkRefused(t *testing.T, what string, err error, inDetail string) {
	t.Helper()
	var fe *did.FetchError
	switch {
	case !errors.As(err, &fe):
		t.Errorf("%s: %v, want a *did.FetchError", what, err)
		return
	case !errors.Is(err, vc.ErrResolve):
		t.Errorf("%s: %v does not match vc.ErrResolve", what, err)
	case err.Error() != generic:
		t.Errorf("%s: error text %q, want the generic %q", what, err.Error(), generic)
	case !strings.Contains(fe.Detail(), inDetail):
		t.Errorf("%s: Detail %q does not mention %q", what, fe.Detail(), inDetail)
	}
}

// TestDefaultResolverRefusesEveryAddressClass: a resolver built with no
// options refuses, at dial time, a did:web on an address of every
// internal class, and says nothing of it in the error text.
func TestDefaultResolverRefusesEveryAddressClass(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	for _, c := range []struct{ class, host string }{
		{"loopback (a live server)", "127.0.0.1:" + port},
		{"loopback 127/8", "127.1.2.3"},
		{"IPv6 loopback", "[::1]"},
		{"private 10/8", "10.1.2.3"},
		{"private 172.16/12", "172.16.0.1"},
		{"private 192.168/16", "192.168.1.1"},
		{"link-local (cloud metadata)", "169.254.169.254"},
		{"IPv6 link-local", "[fe80::1]"},
		{"CGNAT 100.64/10", "100.64.0.1"},
		{"multicast", "224.0.0.1"},
		{"IPv6 multicast", "[ff02::1]"},
		{"unspecified", "0.0.0.0"},
		{"IPv6 unspecified", "[::]"},
		{"broadcast", "255.255.255.255"},
		{"documentation TEST-NET-1", "192.0.2.1"},
		{"documentation TEST-NET-3", "203.0.113.9"},
		{"IPv6 documentation", "[2001:db8::1]"},
		{"IPv6 unique-local", "[fd12:3456::1]"},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]"},
		{"IPv4-mapped metadata", "[::ffff:169.254.169.254]"},
	} {
		r := did.NewResolver(did.WithTimeout(2 * time.Second))
		_, err := r.Resolve(context.Background(), did.WebDID(c.host))
		if !errors.Is(err, netguard.ErrDenied) {
			t.Errorf("%s (%s): %v, want a refusal matching netguard.ErrDenied", c.class, c.host, err)
			continue
		}
		checkRefused(t, c.class, err, "refusing")
		host, _, err2 := net.SplitHostPort(c.host)
		if err2 != nil {
			host = c.host
		}
		if strings.Contains(err.Error(), strings.Trim(host, "[]")) {
			t.Errorf("%s: the error text names the address: %q", c.class, err.Error())
		}
	}
}

// TestDefaultResolverRefusesNameResolvingToLoopback: "localhost" passes
// no name check; the address it resolves to is refused when dialled.
func TestDefaultResolverRefusesNameResolvingToLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	// Trust the server's certificate: only the address policy stands in
	// the way.
	r := did.NewResolver(did.WithTLSConfig(tlsOf(srv)))
	_, err := r.Resolve(context.Background(), did.WebDID("localhost:"+port))
	var de *netguard.DeniedError
	if !errors.As(err, &de) {
		t.Fatalf("localhost: %v, want a *netguard.DeniedError", err)
	}
	if !strings.HasPrefix(de.Target, "127.0.0.1:") && !strings.HasPrefix(de.Target, "[::1]:") {
		t.Errorf("the refusal is not on the dialled address: %q", de.Target)
	}
	checkRefused(t, "localhost", err, de.Target)
}

// serveDoc serves the did:web document of the DID each request's URL
// belongs to, whatever host name it was sent to, and redirects
// /to-internal/did.json to 127.0.0.1 and /to-http/did.json to plain http.
func serveDoc(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var fetches atomic.Int64
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_, port, _ := net.SplitHostPort(r.Host)
		switch r.URL.Path {
		case "/to-internal/did.json":
			http.Redirect(w, r, "https://127.0.0.1:"+port+"/did.json", http.StatusFound)
			return
		case "/to-http/did.json":
			http.Redirect(w, r, "http://"+r.Host+"/did.json", http.StatusFound)
			return
		}
		// The document of the DID whose URL this is.
		segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/did.json"), "/")
		id := did.WebDID(r.Host)
		if segs[0] != ".well-known" {
			id = did.WebDID(r.Host, segs...)
		}
		doc, _ := did.NewDocument(id, []ed25519.PublicKey{pub})
		h, _ := did.NewWebHandler(doc)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches
}

func portOf(srv *httptest.Server) string {
	u, _ := url.Parse(srv.URL)
	_, p, _ := net.SplitHostPort(u.Host)
	return p
}

// TestResolverAllowListLetsExactlyTheNamedHostThrough: AllowHosts opens
// the named host and nothing else, not even the same server by address.
func TestResolverAllowListLetsExactlyTheNamedHostThrough(t *testing.T) {
	srv, _ := serveDoc(t)
	port := portOf(srv)
	r := did.NewResolver(did.WithNetPolicy(netguard.Policy{AllowHosts: []string{"localhost"}}), did.WithTLSConfig(tlsOf(srv)))
	ctx := context.Background()
	if _, err := r.Resolve(ctx, did.WebDID("localhost:"+port)); err != nil {
		var fe *did.FetchError
		if errors.As(err, &fe) {
			t.Fatalf("allowed host: %s", fe.Detail())
		}
		t.Fatalf("allowed host: %v", err)
	}
	_, err := r.Resolve(ctx, did.WebDID("127.0.0.1:"+port))
	if !errors.Is(err, netguard.ErrDenied) {
		t.Fatalf("the same server by address: %v, want a refusal", err)
	}
	checkRefused(t, "127.0.0.1 with only localhost allowed", err, "127.0.0.1")
	// Localhost() opens loopback addresses.
	lr := did.NewResolver(did.WithNetPolicy(netguard.Localhost()), did.WithTLSConfig(tlsOf(srv)))
	if _, err := lr.Resolve(ctx, did.WebDID("127.0.0.1:"+port)); err != nil {
		t.Fatalf("Localhost(): %v", err)
	}
	// An invalid policy fails every did:web resolution.
	bad := did.NewResolver(did.WithNetPolicy(netguard.Policy{AllowHosts: []string{"not a host"}}))
	if _, err := bad.Resolve(ctx, did.WebDID("example.edu")); !errors.Is(err, vc.ErrResolve) {
		t.Fatalf("invalid policy: %v", err)
	}
}

// TestResolverRefusesRedirectsInwardOrToHTTP: a redirect to an internal
// address or from https to http is refused, with a generic error.
func TestResolverRefusesRedirectsInwardOrToHTTP(t *testing.T) {
	srv, _ := serveDoc(t)
	port := portOf(srv)
	pol := netguard.Policy{AllowHosts: []string{"localhost"}, AllowHTTP: true}
	ctx := context.Background()
	for _, path := range []string{"to-internal", "to-http"} {
		r := did.NewResolver(did.WithNetPolicy(pol), did.WithTLSConfig(tlsOf(srv)))
		_, err := r.Resolve(ctx, did.WebDID("localhost:"+port, path))
		checkRefused(t, path, err, "redirect")
	}
	// The guarded client's own transport refuses them too when the
	// resolver's same-host rule is not the one applying: a caller's
	// netguard client.
	c := netguard.MustNew(netguard.Config{Policy: pol, TLS: tlsOf(srv)})
	r := did.NewResolver(did.WithHTTPClient(c))
	for _, path := range []string{"to-internal", "to-http"} {
		if _, err := r.Resolve(ctx, did.WebDID("localhost:"+port, path)); !errors.Is(err, vc.ErrResolve) {
			t.Errorf("%s with a netguard client: %v", path, err)
		}
	}
}

// TestResolverCacheEvictsAndExpires goes through the fetch path: the
// cache holds at most WithCacheSize documents and refetches expired ones.
func TestResolverCacheEvictsAndExpires(t *testing.T) {
	srv, fetches := serveDoc(t)
	host := "127.0.0.1:" + portOf(srv)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	r := did.NewResolver(did.WithNetPolicy(netguard.Localhost()), did.WithTLSConfig(tlsOf(srv)),
		did.WithCacheTTL(time.Minute), did.WithCacheSize(2, 0), did.WithClock(clock))
	ctx := context.Background()
	resolve := func(path string) {
		t.Helper()
		if _, err := r.Resolve(ctx, did.WebDID(host, path)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	resolve("a")
	resolve("b")
	resolve("a") // cached, and now recently used
	if n := fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d after a, b, a; want 2", n)
	}
	resolve("c") // evicts b, the one not used since it was cached
	resolve("a")
	if n := fetches.Load(); n != 3 {
		t.Fatalf("fetches = %d; want 3 (a stayed cached)", n)
	}
	resolve("b")
	if n := fetches.Load(); n != 4 {
		t.Fatalf("fetches = %d; want 4 (b was evicted)", n)
	}
	now.Add(int64(2 * time.Minute))
	resolve("b")
	if n := fetches.Load(); n != 5 {
		t.Fatalf("fetches = %d; want 5 (b expired)", n)
	}
}
