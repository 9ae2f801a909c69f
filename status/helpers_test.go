package status_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"github.com/credshare/credshare/vc/netguard"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/google/uuid"
)

// issuerKey is a did:key issuer with its list signer.
type issuerKey struct {
	DID    string
	Signer vc.Signer
	Lists  *statusproof.Signer
}

func newIssuer(t testing.TB) issuerKey {
	t.Helper()
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := statusproof.NewSigner(s, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return issuerKey{DID: didKey, Signer: s, Lists: ls}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(t testing.TB, base string, cfg status.Config) *status.Service {
	t.Helper()
	cfg.BaseURL = base
	s, err := status.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// issue allocates entries for a new credential of award and records an
// issued issuance record carrying them, as the wallet service does.
func issue(t testing.TB, st store.Store, svc *status.Service, issuer string, award uuid.UUID) []store.StatusRef {
	t.Helper()
	ctx := context.Background()
	var refs []store.StatusRef
	err := st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		var err error
		if refs, err = svc.Allocate(ctx, tx, issuer); err != nil {
			return err
		}
		id := uuid.New()
		if err := tx.Issuance().Create(ctx, store.IssuanceRecord{
			ID: id, AwardUUID: award, LearnerID: 7, IssuerID: issuer, Wallet: "lcw",
			Challenge: "c-" + id.String(), ChallengeExpires: time.Now().Add(time.Hour), State: store.IssuancePending,
			CreatedAt: time.Now(),
		}); err != nil {
			return err
		}
		return tx.Issuance().MarkIssued(ctx, id, "did:example:holder", refs, "urn:uuid:"+id.String(), json.RawMessage(`{}`), time.Now())
	})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return refs
}

func newMem(t testing.TB) *memstore.Store {
	t.Helper()
	s := memstore.New()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func statusproofChecker(opts ...status.CheckerOption) (*status.Checker, error) {
	return statusproof.NewChecker(nil, opts...)
}

// localNet lets a checker reach the test server srv on 127.0.0.1 over
// https and trust its certificate, instead of weakening the default
// policy: loopback addresses are allowed, plain http is not.
func localNet(srv *httptest.Server) []status.CheckerOption {
	pol := netguard.Policy{AllowPrefixes: netguard.Localhost().AllowPrefixes}
	return []status.CheckerOption{status.WithNetPolicy(pol), status.WithTLSConfig(tlsOf(srv))}
}

// tlsOf returns the TLS configuration that trusts srv's certificate.
func tlsOf(srv *httptest.Server) *tls.Config {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig
}
