package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/verify"
)

// poisonNodes is n blank nodes with explicit "_:" ids linked into a
// clique: the canonicalisation denial of service of issue 16.
func poisonNodes(n int) []any {
	nodes := make([]any, n)
	for i := range n {
		links := make([]any, n)
		for j := range n {
			links[j] = map[string]any{"id": fmt.Sprintf("_:b%d", j)}
		}
		nodes[i] = map[string]any{"id": fmt.Sprintf("_:b%d", i), "https://example.org/knows": links}
	}
	return nodes
}

// poisoned returns a DIDAuth presentation for challenge "q", signed by a
// fresh did:key holder, with the poison graph added after signing (an
// attacker cannot sign it either: signing canonicalises too).
func poisoned(t testing.TB, vm func(string) string) []byte {
	t.Helper()
	hkey, _, hvm, _ := did.GenerateKey()
	hs, _ := vc.NewSigner(hkey, hvm)
	vp, err := issuer.Present(context.Background(), vc.Presentation{}, hs, issuer.PresentOptions{Challenge: "q"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(vp, &m); err != nil {
		t.Fatal(err)
	}
	m["https://example.org/knows"] = poisonNodes(10)
	if vm != nil {
		p := m["proof"].(map[string]any)
		p["verificationMethod"] = vm(p["verificationMethod"].(string))
	}
	b, _ := json.Marshal(m)
	return b
}

// TestPoisonPresentationRefused: a 2 KB presentation carrying a blank
// node clique is refused by CheckPresentation with an error matching
// vc.ErrTooLarge and ld.ErrTooComplex — after the cheap checks, within
// the canonicaliser's budget (the time is logged; docs/security.md
// records it) — and a cancelled request context stops it.
func TestPoisonPresentationRefused(t *testing.T) {
	v, _ := verify.New(verify.Config{})
	b := poisoned(t, nil)
	start := time.Now()
	_, err := v.CheckPresentation(context.Background(), b, verify.PresentationOptions{Challenge: "q"})
	if !errors.Is(err, vc.ErrTooLarge) || !errors.Is(err, ld.ErrTooComplex) {
		t.Fatalf("got %v, want ErrTooLarge and ErrTooComplex", err)
	}
	t.Logf("%d-byte presentation refused after %v: %v", len(b), time.Since(start), err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.CheckPresentation(ctx, b, verify.PresentationOptions{Challenge: "q"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v, want context.Canceled", err)
	}
}

// TestCheapChecksBeforeCanonicalisation: a poisoned presentation that
// also fails a cheap check (wrong challenge, a verification method that
// does not resolve, a key of another DID than the holder's) is refused
// for that reason, without canonicalising anything.
func TestCheapChecksBeforeCanonicalisation(t *testing.T) {
	v, _ := verify.New(verify.Config{})
	_, other, _, _ := did.GenerateKey()
	for name, c := range map[string]struct {
		vm        func(string) string
		challenge string
		want      error
	}{
		"wrong challenge":       {challenge: "not-q", want: vc.ErrProof},
		"not a key":             {vm: func(string) string { return "did:key:z6MkBad#z6MkBad" }, challenge: "q", want: vc.ErrUnsupported},
		"another DID's method":  {vm: func(string) string { return other + "#" + strings.TrimPrefix(other, "did:key:") }, challenge: "q", want: vc.ErrProof},
		"method of no DID form": {vm: func(string) string { return "https://127.0.0.1/key" }, challenge: "q", want: vc.ErrResolve},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.CheckPresentation(context.Background(), poisoned(t, c.vm), verify.PresentationOptions{Challenge: c.challenge})
			if !errors.Is(err, c.want) || errors.Is(err, ld.ErrTooComplex) {
				t.Fatalf("got %v, want %v and not ErrTooComplex", err, c.want)
			}
		})
	}
}

// BenchmarkPoisonPresentationRefused: what refusing the poisoned
// presentation costs the verifier (docs/security.md).
func BenchmarkPoisonPresentationRefused(b *testing.B) {
	p := poisoned(b, nil)
	v, _ := verify.New(verify.Config{})
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.CheckPresentation(context.Background(), p, verify.PresentationOptions{Challenge: "q"}); !errors.Is(err, ld.ErrTooComplex) {
			b.Fatal(err)
		}
	}
}
