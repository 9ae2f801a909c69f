package ld

import (
	"context"
	"errors"
	"testing"

	"github.com/credshare/credshare/vc"
)

func fastDoc(ctxs ...any) map[string]any {
	return map[string]any{"@context": ctxs, "id": "urn:uuid:1", "type": []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer": map[string]any{"id": "did:example:1", "type": "Profile", "name": "Example"},
		"credentialSubject": map[string]any{"id": "did:example:2", "type": "AchievementSubject",
			"achievement": map[string]any{"id": "urn:uuid:2", "type": "Achievement", "name": "A",
				"criteria": map[string]any{"narrative": "n"}}}}
}

// TestFastCacheBounded: however many distinct context lists documents
// bring, the compiled contexts stay within maxTop and maxDerived, and the
// usual list keeps working (fast, and as json-gold says).
func TestFastCacheBounded(t *testing.T) {
	ctx := context.Background()
	l := Default()
	want, err := l.slowCanonicalize(ctx, fastDoc(vc.ContextV2, vc.ContextOBv3))
	if err != nil {
		t.Fatal(err)
	}
	ctxs := []any{vc.ContextV2}
	for i := 0; i < 3*maxTop; i++ {
		ctxs = append(ctxs, vc.ContextV2) // the same protected terms again: a valid, distinct list
		d := fastDoc(append(append([]any{}, ctxs...), vc.ContextOBv3)...)
		if _, err := l.fastQuads(ctx, d); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
		l.fast.mu.Lock()
		n, m := len(l.fast.gen.top), l.fast.gen.derived
		l.fast.mu.Unlock()
		if n > maxTop || m > maxDerived {
			t.Fatalf("list %d: %d top-level and %d derived contexts cached", i, n, m)
		}
		quads, err := l.fastQuads(ctx, fastDoc(vc.ContextV2, vc.ContextOBv3))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := l.canonical(ctx, quads); err != nil || got != want {
			t.Fatalf("list %d: the usual document changed: %v\n%s", i, err, got)
		}
	}
}

// TestFastWorkBudget: a document over the fast path's work budget goes to
// json-gold (same result), and the fast path honours ctx.
func TestFastWorkBudget(t *testing.T) {
	ctx := context.Background()
	l := Default()
	d := fastDoc(vc.ContextV2, vc.ContextOBv3)
	if _, err := l.fastQuadsWithin(ctx, d, 50, nil); !errors.Is(err, errSlow) {
		t.Fatalf("over budget: got %v, want errSlow", err)
	}
	want, err := l.slowCanonicalize(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := l.Canonicalize(ctx, d); err != nil || got != want {
		t.Fatalf("got %v %q", err, got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Default().fastQuads(cancelled, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

// TestFastPathRefuses: what the fast path leaves to json-gold — inline
// and embedded contexts, contexts not served by the Loader, blank node
// identifiers, value objects, too many blank nodes.
func TestFastPathRefuses(t *testing.T) {
	ctx := context.Background()
	l, err := New(Config{AllowHosts: []string{"contexts.example"}, Canon: Config{}.Canon})
	if err != nil {
		t.Fatal(err)
	}
	inline := fastDoc(vc.ContextV2, map[string]any{"name": "https://evil.example/name"})
	embedded := fastDoc(vc.ContextV2, vc.ContextOBv3)
	embedded["issuer"].(map[string]any)["@context"] = map[string]any{"name": "https://evil.example/name"}
	blankID := fastDoc(vc.ContextV2, vc.ContextOBv3)
	blankID["issuer"].(map[string]any)["id"] = "_:b0"
	valueObj := fastDoc(vc.ContextV2, vc.ContextOBv3)
	valueObj["name"] = map[string]any{"@value": "x", "@language": "en"}
	many := fastDoc(vc.ContextV2, vc.ContextOBv3)
	var items []any
	for i := 0; i <= MaxBlankNodes; i++ {
		items = append(items, map[string]any{"narrative": "x"})
	}
	many["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["criteria"] = items
	for name, d := range map[string]any{
		"inline context":   inline,
		"embedded context": embedded,
		"remote context":   fastDoc(vc.ContextV2, "https://contexts.example/ctx.json"),
		"blank node id":    blankID,
		"value object":     valueObj,
		"blank nodes":      many,
		"not an object":    []any{fastDoc(vc.ContextV2)},
	} {
		if _, err := l.fastQuads(ctx, d); !errors.Is(err, errSlow) {
			t.Errorf("%s: got %v, want errSlow", name, err)
		}
	}
	if _, err := l.Canonicalize(ctx, many); !errors.Is(err, vc.ErrTooLarge) {
		t.Errorf("blank nodes: Canonicalize got %v, want ErrTooLarge", err)
	}
	l.fast.mu.Lock()
	defer l.fast.mu.Unlock()
	for k := range l.fast.gen.top {
		if k != vc.ContextV2+"\n"+vc.ContextOBv3 && k != vc.ContextV2 {
			t.Errorf("cached context list %q", k)
		}
	}
}
