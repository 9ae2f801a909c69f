package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
)

// These tests check that every fetch of `credshare verify` goes through the
// guarded client (vc/netguard): the URL argument, did:web documents and
// status lists. The servers are httptest servers on 127.0.0.1, which the
// default policy refuses; the TLS ones are trusted with --ca-file, the same
// flag a user with a private CA passes (no test-only hook).

// tlsServer starts an https server on 127.0.0.1 and writes its certificate
// to a PEM file for --ca-file.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of the tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// counting serves body at path and counts every request it receives.
func counting(hits *atomic.Int64, routes map[string]func() []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if f, ok := routes[r.URL.Path]; ok {
			w.Write(f())
			return
		}
		http.NotFound(w, r)
	})
}

// didKeyCredential issues a did:key credential (resolvable offline).
func didKeyCredential(t *testing.T) []byte {
	t.Helper()
	key := newKey(t, t.TempDir())
	out, err := run(t, "issue", "--key", key, "--issuer-name", "Example", "--email", "a@example.org",
		"--achievement-id", "course-v1:X+Y+Z", "--kind", "course_certificate", "--achievement-name", "Python fundamentals")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

func verifyArgs(extra ...string) []string { return append([]string{"verify"}, extra...) }

func TestVerifyURLOfAnInternalAddressIsRefusedByDefault(t *testing.T) {
	cred := didKeyCredential(t)
	var hits atomic.Int64
	srv, ca := tlsServer(t, counting(&hits, map[string]func() []byte{"/cred": func() []byte { return cred }}))

	for _, args := range [][]string{
		{srv.URL + "/cred"},
		{"--ca-file", ca, srv.URL + "/cred"},
		{"--allow-network", "--ca-file", ca, srv.URL + "/cred"},
		// The allow-list is exact: another name does not open 127.0.0.1.
		{"--allow-host", "localhost", "--allow-host", "*.example.org", "--ca-file", ca, srv.URL + "/cred"},
		{"--allow-cidr", "10.0.0.0/8", "--ca-file", ca, srv.URL + "/cred"},
	} {
		out, err := run(t, verifyArgs(args...)...)
		if err == nil || errors.Is(err, exitCode(2)) {
			t.Fatalf("%v: want a usage error (exit 1), got %v\n%s", args, err, out)
		}
		msg := err.Error()
		t.Logf("%v: %s", args, msg)
		for _, want := range []string{"fetching " + srv.URL + "/cred", "refusing 127.0.0.1:", "loopback", "--allow-host"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%v: the error does not say %q: %s", args, want, msg)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the refused server received %d requests; the check must happen before connecting", n)
	}
}

func TestVerifyURLAllowedByAllowHostOrAllowCIDR(t *testing.T) {
	cred := didKeyCredential(t)
	var hits atomic.Int64
	srv, ca := tlsServer(t, counting(&hits, map[string]func() []byte{"/cred": func() []byte { return cred }}))

	for _, args := range [][]string{
		{"--allow-host", "127.0.0.1", "--ca-file", ca, srv.URL + "/cred"},
		{"--allow-cidr", "127.0.0.0/8", "--ca-file", ca, srv.URL + "/cred"},
		{"--allow-cidr", "127.0.0.1", "--ca-file", ca, srv.URL + "/cred"},
	} {
		out, err := run(t, verifyArgs(args...)...)
		if err != nil || !strings.Contains(out, ": VALID") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	// Allowing the address does not switch off certificate checks.
	_, err := run(t, verifyArgs("--allow-host", "127.0.0.1", srv.URL+"/cred")...)
	if err == nil || !strings.Contains(err.Error(), "--ca-file") {
		t.Errorf("an untrusted certificate: want an error pointing at --ca-file, got %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	if _, err := run(t, verifyArgs("--allow-host", "127.0.0.1", "--ca-file", bad, srv.URL+"/cred")...); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("--ca-file without certificates: %v", err)
	}
}

func TestVerifyURLRedirectToHTTPIsRefused(t *testing.T) {
	cred := didKeyCredential(t)
	var plainHits atomic.Int64
	plain := httptest.NewServer(counting(&plainHits, map[string]func() []byte{"/cred": func() []byte { return cred }}))
	defer plain.Close()
	srv, ca := tlsServer(t, http.RedirectHandler(plain.URL+"/cred", http.StatusFound))

	// Even with plain http allowed to the very host, https never
	// redirects to http.
	_, err := run(t, verifyArgs("--allow-host", "127.0.0.1", "--allow-http", "--ca-file", ca, srv.URL+"/cred")...)
	if err == nil || errors.Is(err, exitCode(2)) || !strings.Contains(err.Error(), "redirect from https to http") {
		t.Fatalf("want the redirect refused, got %v", err)
	}
	t.Log(err)
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the http target of the redirect received %d requests", n)
	}
	// The same URL fetched directly over http is fine once named.
	if out, err := run(t, verifyArgs("--allow-host", "127.0.0.1", "--allow-http", plain.URL+"/cred")...); err != nil || !strings.Contains(out, ": VALID") {
		t.Errorf("plain http to a named host: %v\n%s", err, out)
	}
}

func TestVerifyPlainHTTPOnlyToNamedDestinations(t *testing.T) {
	cred := didKeyCredential(t)
	var hits atomic.Int64
	plain := httptest.NewServer(counting(&hits, map[string]func() []byte{"/cred": func() []byte { return cred }}))
	defer plain.Close()
	u, _ := url.Parse(plain.URL)

	// Without --allow-http, http is refused even to a named host.
	if _, err := run(t, verifyArgs("--allow-host", "127.0.0.1", plain.URL+"/cred")...); err == nil || !strings.Contains(err.Error(), "scheme http") {
		t.Errorf("http without --allow-http: %v", err)
	}
	// --allow-http alone would open plain http to the whole internet.
	if _, err := run(t, verifyArgs("--allow-http", plain.URL+"/cred")...); err == nil || !strings.Contains(err.Error(), "--allow-http needs --allow-host or --allow-cidr") {
		t.Errorf("--allow-http alone: %v", err)
	}
	// A name resolving into an allowed range is not itself named: plain
	// http goes only to what the flags name.
	if _, err := run(t, verifyArgs("--allow-cidr", "127.0.0.0/8", "--allow-http", "http://localhost:"+u.Port()+"/cred")...); err == nil || !strings.Contains(err.Error(), "plain http goes only to") {
		t.Errorf("http to an unnamed host in an allowed range: %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("refused fetches reached the server %d times", n)
	}
	if out, err := run(t, verifyArgs("--allow-cidr", "127.0.0.0/8", "--allow-http", plain.URL+"/cred")...); err != nil || !strings.Contains(out, ": VALID") {
		t.Errorf("http to an address in an allowed range: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"--allow-cidr", "10.0.0.0/33"}, {"--allow-cidr", "intranet"}, {"--allow-host", "bad host"}, {"--allow-host", ""}} {
		if _, err := run(t, verifyArgs(append(bad, plain.URL+"/cred")...)...); err == nil || errors.Is(err, exitCode(2)) {
			t.Errorf("%v: want a usage error, got %v", bad, err)
		}
	}
}

// TestVerifyDIDWebAndStatusListGoThroughTheGuardedClient: a did:web issuer
// on 127.0.0.1 with its status list there too. --allow-network alone
// fetches nothing from it; with --allow-host both the DID document and the
// list are fetched (the list's set entry makes the verdict REVOKED).
func TestVerifyDIDWebAndStatusListGoThroughTheGuardedClient(t *testing.T) {
	dir := t.TempDir()
	var hits atomic.Int64
	var didDoc, list atomic.Pointer[[]byte]
	get := func(p *atomic.Pointer[[]byte]) func() []byte { return func() []byte { return *p.Load() } }
	srv, ca := tlsServer(t, counting(&hits, map[string]func() []byte{"/.well-known/did.json": get(&didDoc), "/lists/1": get(&list)}))
	u, _ := url.Parse(srv.URL)
	listURL := srv.URL + "/lists/1"

	key := filepath.Join(dir, "web.json")
	doc, err := run(t, "keygen", "--did-web", "127.0.0.1%3A"+u.Port(), "--out", key)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(doc)
	didDoc.Store(&b)
	l := signedListAt(t, key, listURL, "revocation", 7)
	list.Store(&l)
	cf := filepath.Join(dir, "cred.json")
	if _, err := run(t, "issue", "--key", key, "--issuer-name", "Example", "--email", "a@example.org",
		"--kind", "course_certificate", "--achievement-id", "course-v1:X+Y+Z", "--achievement-name", "Python fundamentals",
		"--status-list", listURL, "--status-index", "7", "--out", cf); err != nil {
		t.Fatal(err)
	}

	out, err := run(t, "--json", "verify", "--allow-network", "--ca-file", ca, cf)
	var res verifyOutput
	if !errors.Is(err, exitCode(2)) || json.Unmarshal([]byte(out), &res) != nil || res.Valid() {
		t.Fatalf("--allow-network alone: %v\n%s", err, out)
	}
	t.Logf("--allow-network alone: %s %+v", res.Verdict, res.Reasons)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal issuer received %d requests without --allow-host", n)
	}

	out, err = run(t, "verify", "--allow-network", "--allow-host", "127.0.0.1", "--ca-file", ca, cf)
	if !errors.Is(err, exitCode(2)) || !strings.Contains(out, ": REVOKED") {
		t.Fatalf("with --allow-host: want REVOKED (DID document and list fetched), got %v\n%s", err, out)
	}
	if n := hits.Load(); n < 2 {
		t.Errorf("%d requests; want the DID document and the list", n)
	}
	clear := signedListAt(t, key, listURL, "revocation")
	list.Store(&clear)
	if out, err := run(t, "verify", "--allow-network", "--allow-host", "127.0.0.1", "--ca-file", ca, cf); err != nil || !strings.Contains(out, ": VALID") {
		t.Errorf("with a clear list: %v\n%s", err, out)
	}
	// Without --allow-network, --allow-host widens the policy but fetches
	// nothing the credential names.
	before := hits.Load()
	if out, err := run(t, "verify", "--allow-host", "127.0.0.1", "--ca-file", ca, cf); !errors.Is(err, exitCode(2)) || !strings.Contains(out, "--allow-network") {
		t.Errorf("offline: %v\n%s", err, out)
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("offline verify made %d requests", n)
	}
}

// signedListAt returns a signed Bitstring status list credential at
// listURL of key's issuer with the given entries set.
func signedListAt(t *testing.T, keyPath, listURL, purpose string, set ...int) []byte {
	t.Helper()
	k, err := loadKey(keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	bits, err := status.NewBitstring(status.MinEntries, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range set {
		bits.Set(i, 1)
	}
	now := time.Now().UTC()
	doc, err := status.ListCredential{URL: listURL, Issuer: k.DID, Purpose: purpose, Format: status.FormatBitstring,
		ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(24 * time.Hour), List: bits}.Document()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := k.Signer()
	ls, err := statusproof.NewSigner(s, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := ls.SignList(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
