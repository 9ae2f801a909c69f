package status_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/netguard"
)

const genericFetch = "status: the status list credential could not be fetched"

func entryAt(u string) vc.StatusEntry {
	return vc.StatusEntry{Type: status.TypeBitstringEntry, StatusPurpose: status.PurposeRevocation, StatusListIndex: "7", StatusListCredential: u}
}

// asNamedHost trusts srv's certificate for the name example.com (which it
// covers), whatever host the URL names.
func asNamedHost(srv *httptest.Server) *tls.Config {
	c := tlsOf(srv).Clone()
	c.ServerName = "example.com"
	return c
}

func portOfServer(srv *httptest.Server) string {
	u, _ := url.Parse(srv.URL)
	_, p, _ := net.SplitHostPort(u.Host)
	return p
}

// checkRefusedResult asserts r is unknown because of a fetch failure whose
// text (and Reason) is generic and whose Detail mentions inDetail.
func checkRefusedResult(t *testing.T, what string, r status.Result, inDetail string) {
	t.Helper()
	var fe *status.FetchError
	switch {
	case r.State != status.StateUnknown:
		t.Errorf("%s: state %s, want unknown", what, r.State)
	case !errors.As(r.Err, &fe) || !errors.Is(r.Err, status.ErrFetch):
		t.Errorf("%s: %v, want a *status.FetchError matching ErrFetch", what, r.Err)
	case r.Err.Error() != genericFetch || r.Reason != genericFetch:
		t.Errorf("%s: error %q, reason %q; want the generic %q", what, r.Err.Error(), r.Reason, genericFetch)
	case !strings.Contains(fe.Detail(), inDetail):
		t.Errorf("%s: Detail %q does not mention %q", what, fe.Detail(), inDetail)
	}
}

// TestDefaultCheckerRefusesEveryAddressClass: a checker built with no
// network options refuses, at dial time, a status list on an address of
// every internal class, and its error and reason name none of them.
func TestDefaultCheckerRefusesEveryAddressClass(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	port := portOfServer(srv)
	c, err := statusproof.NewChecker(nil, status.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ class, host string }{
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
		{"documentation TEST-NET-2", "198.51.100.7"},
		{"IPv6 documentation", "[2001:db8::1]"},
		{"IPv6 unique-local", "[fd12:3456::1]"},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]"},
		{"IPv4-mapped metadata", "[::ffff:169.254.169.254]"},
	} {
		r := c.Check(context.Background(), "did:example:issuer", entryAt("https://"+tc.host+"/status/1"))
		if !errors.Is(r.Err, netguard.ErrDenied) {
			t.Errorf("%s (%s): %v, want a refusal matching netguard.ErrDenied", tc.class, tc.host, r.Err)
			continue
		}
		checkRefusedResult(t, tc.class, r, "refusing")
		if strings.Contains(r.Reason, "refusing") || strings.Contains(r.Reason, "dial") {
			t.Errorf("%s: the reason names the refusal: %q", tc.class, r.Reason)
		}
	}
	// Plain http is not a list URL by default.
	r := c.Check(context.Background(), "did:example:issuer", entryAt("http://example.com/status/1"))
	if !errors.Is(r.Err, status.ErrMalformed) {
		t.Errorf("http URL by default: %v, want ErrMalformed", r.Err)
	}
}

// TestDefaultCheckerRefusesNameResolvingToLoopback: "localhost" passes no
// name check; the address it resolves to is refused when dialled.
func TestDefaultCheckerRefusesNameResolvingToLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	c, err := statusproof.NewChecker(nil, status.WithTLSConfig(asNamedHost(srv)))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Check(context.Background(), "did:example:issuer", entryAt("https://localhost:"+portOfServer(srv)+"/status/1"))
	var de *netguard.DeniedError
	if !errors.As(r.Err, &de) {
		t.Fatalf("localhost: %v, want a *netguard.DeniedError", r.Err)
	}
	if !strings.HasPrefix(de.Target, "127.0.0.1:") && !strings.HasPrefix(de.Target, "[::1]:") {
		t.Errorf("the refusal is not on the dialled address: %q", de.Target)
	}
	checkRefusedResult(t, "localhost", r, de.Target)
}

// TestCheckerRefusesRedirectsInwardOrToHTTP: a redirect to an internal
// address, or from https to http, is refused, with a generic error, even
// when the first host is allowed and plain http is allowed.
func TestCheckerRefusesRedirectsInwardOrToHTTP(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(r.Host)
		switch r.URL.Path {
		case "/to-internal":
			http.Redirect(w, r, "https://127.0.0.1:"+port+"/status/1", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://localhost:"+port+"/status/1", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := statusproof.NewChecker(nil, status.WithMaxCacheTTL(0),
		status.WithNetPolicy(netguard.Policy{AllowHosts: []string{"localhost"}, AllowHTTP: true}), status.WithTLSConfig(asNamedHost(srv)))
	if err != nil {
		t.Fatal(err)
	}
	base := "https://localhost:" + portOfServer(srv)
	r := c.Check(context.Background(), "did:example:issuer", entryAt(base+"/to-internal"))
	if !errors.Is(r.Err, netguard.ErrDenied) {
		t.Errorf("redirect to 127.0.0.1: %v, want a refusal", r.Err)
	}
	checkRefusedResult(t, "redirect to an internal address", r, "127.0.0.1")
	r = c.Check(context.Background(), "did:example:issuer", entryAt(base+"/to-http"))
	checkRefusedResult(t, "redirect from https to http", r, "http")
}

// TestCheckerAllowListLetsExactlyTheNamedHostThrough: with AllowHosts
// naming localhost, the list server is reached by that name (the list it
// serves has the 127.0.0.1 URL as its id, so the check ends in a
// mismatch, after the fetch) and refused by its address.
func TestCheckerAllowListLetsExactlyTheNamedHostThrough(t *testing.T) {
	f := newCheckFixture(t)
	e := f.entry(t, 0, vc.V2)
	c, err := statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Policy{AllowHosts: []string{"localhost"}}),
		status.WithTLSConfig(asNamedHost(f.srv)), status.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	byName := e
	byName.StatusListCredential = strings.Replace(e.StatusListCredential, "127.0.0.1", "localhost", 1)
	before := f.fetches.Load()
	if r := c.Check(context.Background(), f.iss.DID, byName); !errors.Is(r.Err, status.ErrMismatch) || f.fetches.Load() != before+1 {
		t.Fatalf("allowed host: %v (fetches %d), want the list fetched and its id found to differ", r.Err, f.fetches.Load()-before)
	}
	r := c.Check(context.Background(), f.iss.DID, e)
	if !errors.Is(r.Err, netguard.ErrDenied) {
		t.Fatalf("the same server by address: %v, want a refusal", r.Err)
	}
	checkRefusedResult(t, "127.0.0.1 with only localhost allowed", r, "127.0.0.1")
	// Allowing the loopback range instead lets the real check through.
	ok, err := statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Policy{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}),
		status.WithTLSConfig(tlsOf(f.srv)), status.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if r := ok.Check(context.Background(), f.iss.DID, e); r.State != status.StateValid {
		t.Fatalf("loopback allowed: %s %v", r.State, r.Err)
	}
	// An invalid policy is refused when the checker is built.
	if _, err := statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Policy{AllowHosts: []string{"not a host"}})); !errors.Is(err, status.ErrInvalid) {
		t.Fatalf("invalid policy: %v, want ErrInvalid", err)
	}
	if _, err := statusproof.NewChecker(nil, status.WithCacheSize(-1, 0)); !errors.Is(err, status.ErrInvalid) {
		t.Fatalf("negative cache size: %v, want ErrInvalid", err)
	}
}

// TestWithAllowHTTPMapsOntoLocalhost: the deprecated option still
// compiles and means netguard.Localhost(): plain http to loopback, nothing
// else.
func TestWithAllowHTTPMapsOntoLocalhost(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	c, err := statusproof.NewChecker(nil, status.WithAllowHTTP())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := c.Check(ctx, "did:example:issuer", entryAt(plain.URL+"/status/1"))
	var fe *status.FetchError
	if !errors.As(r.Err, &fe) || errors.Is(r.Err, netguard.ErrDenied) || !strings.Contains(fe.Detail(), "HTTP 404") {
		t.Fatalf("http to loopback with WithAllowHTTP: %v, want the server's 404", r.Err)
	}
	if r := c.Check(ctx, "did:example:issuer", entryAt("http://10.0.0.1/status/1")); !errors.Is(r.Err, netguard.ErrDenied) {
		t.Fatalf("http to 10.0.0.1 with WithAllowHTTP: %v, want a refusal", r.Err)
	}
}
