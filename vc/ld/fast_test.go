package ld_test

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/vctest"
)

// fastCorpus is the documents the fast path must take: the test
// credentials of both versions (with and without a status entry, with the
// contexts the proof suites add) and the proof configurations the suites
// canonicalise.
func fastCorpus(t testing.TB) map[string]any {
	out := map[string]any{}
	add := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var d any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		out[name] = d
	}
	for _, v := range []vc.Version{vc.V1, vc.V2} {
		for _, status := range []bool{false, true} {
			req := vctest.Request("did:example:issuer", "did:example:holder", v)
			if !status {
				req.Status = nil
			}
			c, err := vc.Compose(req)
			if err != nil {
				t.Fatal(err)
			}
			name := map[vc.Version]string{vc.V1: "vc1", vc.V2: "vc2"}[v]
			if status {
				name += "+status"
			}
			add(name, c)
			var m map[string]any
			b, _ := json.Marshal(c)
			_ = json.Unmarshal(b, &m)
			ctxs, _ := m["@context"].([]any)
			var extra string
			switch v {
			case vc.V1:
				extra = vc.ContextEd25519Signature2020
			default:
				continue
			}
			m["@context"] = append(append([]any{}, ctxs...), extra)
			add(name+"+ed25519-2020", m)
			m["@context"] = append(append([]any{}, ctxs...), vc.ContextDataIntegrityV2)
			add(name+"+di-v2", m)
		}
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339)
	vm := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	add("proof/eddsa-rdfc-2022", map[string]any{"@context": []any{vc.ContextV2, vc.ContextOBv3},
		"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": created,
		"verificationMethod": vm, "proofPurpose": "assertionMethod"})
	add("proof/Ed25519Signature2020", map[string]any{"@context": []any{vc.ContextV1, vc.ContextOBv3, vc.ContextEd25519Signature2020},
		"type": "Ed25519Signature2020", "created": created, "challenge": "abc", "domain": "example.org",
		"verificationMethod": vm, "proofPurpose": "assertionMethod"})
	return out
}

// TestFastPathMatchesGold: the fast path takes the corpus and its
// canonical N-Quads are json-gold's expand + toRDF + URDNA2015.
func TestFastPathMatchesGold(t *testing.T) {
	ctx := context.Background()
	l := ld.Default()
	for name, d := range fastCorpus(t) {
		want, err := l.SlowCanonical(ctx, d)
		if err != nil {
			t.Fatalf("%s: json-gold: %v", name, err)
		}
		got, ok, err := l.FastCanonical(ctx, d)
		if !ok {
			t.Errorf("%s: the fast path did not apply", name)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: fast path\n%s\njson-gold\n%s", name, got, want)
		}
		// Twice: the second run is served from the compiled contexts.
		if again, _, _ := l.FastCanonical(ctx, d); again != want {
			t.Errorf("%s: second run differs", name)
		}
	}
}

// BenchmarkCanonicalize canonicalises the test credentials and proof
// configurations (the fast path; json-gold's with /gold).
func BenchmarkCanonicalize(b *testing.B) {
	ctx := context.Background()
	l := ld.Default()
	corpus := fastCorpus(b)
	for _, name := range []string{"vc2", "vc1+ed25519-2020", "proof/eddsa-rdfc-2022"} {
		d := corpus[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := l.Canonicalize(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(name+"/gold", func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := l.SlowCanonical(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine
// ns/op mostly measures the wait for a core, CPU time per op does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(d.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
