package ld_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/ld/rdfc"
	"github.com/credshare/credshare/vc/netguard"
)

func doc(t *testing.T, s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// testClient is a guarded client that trusts srv's certificate and may
// reach loopback addresses, as a deployment's client would reach its own
// context host.
func testClient(t *testing.T, srv *httptest.Server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), TLS: &tls.Config{RootCAs: pool}})
}

func TestSafeMode(t *testing.T) {
	l := ld.Default()
	good := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}`
	if _, err := l.Canonicalize(context.Background(), doc(t, good)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"undefined term":  `{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2","favouriteColour":"red"}}`,
		"relative @type":  `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","MadeUpType"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}`,
		"relative @id":    `{"@context":["https://www.w3.org/2018/credentials/v1"],"id":"not-absolute","type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}`,
		"unknown context": `{"@context":["https://www.w3.org/ns/credentials/v2","https://evil.example/ctx.json"],"type":["VerifiableCredential"]}`,
	} {
		if _, err := l.Canonicalize(context.Background(), doc(t, bad)); !errors.Is(err, vc.ErrContext) {
			t.Errorf("%s: got %v, want ErrContext", name, err)
		}
	}
}

func TestBundledContexts(t *testing.T) {
	for _, u := range []string{vc.ContextV1, vc.ContextV2, vc.ContextOBv3, vc.ContextOBv30, vc.ContextEd25519Signature2020,
		vc.ContextDataIntegrityV2, vc.ContextStatusList2021, vc.ContextDIDv1, vc.ContextMultikeyV1, "https://www.w3.org/ns/credentials/status/v1"} {
		if _, ok := ld.BundledContext(u); !ok {
			t.Errorf("%s is not bundled", u)
		}
	}
}

func TestAllowListFetchLimitsAndCache(t *testing.T) {
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/ctx.json":
			_, _ = w.Write([]byte(`{"@context":{"colour":"https://example.org/colour"}}`))
		case "/big.json":
			_, _ = w.Write([]byte(`{"@context":{"x":"` + strings.Repeat("a", 4096) + `"}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	l, err := ld.New(ld.Config{AllowHosts: []string{u.Hostname()}, Client: testClient(t, srv), MaxSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := l.LoadDocument(srv.URL + "/ctx.json"); err != nil {
			t.Fatal(err)
		}
	}
	if hits != 1 {
		t.Fatalf("%d fetches, want 1 (cached)", hits)
	}
	if _, err := l.LoadDocument(srv.URL + "/big.json"); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("oversized context: %v", err)
	}
	if _, err := l.LoadDocument("https://not-allowed.example/ctx.json"); err == nil {
		t.Fatal("a host off the allow-list was fetched")
	}
	if _, err := ld.New(ld.Config{AllowHosts: []string{"https://x"}}); err == nil {
		t.Fatal("a URL as a host was accepted")
	}
}

func TestBlankNodeBound(t *testing.T) {
	items := make([]string, ld.MaxBlankNodes+1)
	for i := range items {
		items[i] = `{"https://example.org/name":"x"}`
	}
	d := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"},"evidence":[` + strings.Join(items, ",") + `]}`
	if _, err := ld.Default().Canonicalize(context.Background(), doc(t, d)); !errors.Is(err, vc.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// poisonDoc is a credential of about 2 KB whose subject links n blank
// nodes written with explicit "_:" ids into a clique: the shape that kept
// a core busy for more than 45 seconds before blank nodes with ids were
// counted and the canonicaliser had a budget.
func poisonDoc(n int) string {
	nodes := make([]string, n)
	for i := range n {
		links := make([]string, 0, n)
		for j := range n {
			links = append(links, fmt.Sprintf(`{"id":"_:b%d"}`, j))
		}
		nodes[i] = fmt.Sprintf(`{"id":"_:b%d","https://example.org/knows":[%s]}`, i, strings.Join(links, ","))
	}
	return `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1",` +
		`"credentialSubject":{"id":"did:example:2","https://example.org/knows":[` + strings.Join(nodes, ",") + `]}}`
}

// TestNamedBlankNodePoisonRefused: the poison credential fails with an
// error matching vc.ErrTooLarge and ld.ErrTooComplex (the time is logged;
// docs/security.md records it), and a small named-blank-node document
// still canonicalises.
func TestNamedBlankNodePoisonRefused(t *testing.T) {
	d := poisonDoc(10)
	start := time.Now()
	_, err := ld.Default().Canonicalize(context.Background(), doc(t, d))
	if !errors.Is(err, vc.ErrTooLarge) || !errors.Is(err, ld.ErrTooComplex) {
		t.Fatalf("got %v, want ErrTooLarge and ErrTooComplex", err)
	}
	t.Logf("%d-byte document refused after %v: %v", len(d), time.Since(start), err)
	if _, err := ld.Default().Canonicalize(context.Background(), doc(t, poisonDoc(2))); err != nil {
		t.Fatalf("two named blank nodes: %v", err)
	}
}

// TestNamedBlankNodesCounted: blank nodes with explicit "_:" ids count
// against the blank node bound like those without ids.
func TestNamedBlankNodesCounted(t *testing.T) {
	l, err := ld.New(ld.Config{Canon: rdfc.Options{MaxBlankNodes: 5}})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]string, 6)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"_:n%d","https://example.org/name":"x"}`, i)
	}
	d := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2","https://example.org/knows":[` + strings.Join(items, ",") + `]}}`
	if _, err := l.Canonicalize(context.Background(), doc(t, d)); !errors.Is(err, vc.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

// TestCanonicalizeHonoursContext: a cancelled context stops
// canonicalisation with the context's error.
func TestCanonicalizeHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	good := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}`
	if _, err := ld.Default().Canonicalize(ctx, doc(t, good)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	huge := 1 << 40
	l, err := ld.New(ld.Config{Canon: rdfc.Options{MaxCalls: huge, MaxPermutations: huge, MaxWork: huge}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := l.Canonicalize(ctx, doc(t, poisonDoc(10))); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	t.Logf("unbounded budget, 50ms deadline: returned after %v", time.Since(start))
}

// TestGoldPanicIsAnError: json-gold panics on a scalar as the value of an
// @graph container property (found by FuzzFastPath); Canonicalize
// returns ErrContext instead of crashing.
func TestGoldPanicIsAnError(t *testing.T) {
	l := ld.Default()
	for _, s := range []string{
		`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"issuer":{"id":"did:example:1","proof":1.5},"credentialSubject":{"id":"did:example:2"}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2","proof":{"@value":"x","@language":"en"}}}`,
	} {
		if _, err := l.Canonicalize(context.Background(), doc(t, s)); !errors.Is(err, vc.ErrContext) {
			t.Errorf("got %v, want ErrContext", err)
		}
	}
}
