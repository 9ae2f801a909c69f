package ld_test

import (
	"context"
	"encoding/json"
	"slices"
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
		b.Run("gold:"+name, func(b *testing.B) {
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

// mutate changes d (a decoded JSON document) as ops say: each op picks a
// node object by index and does one of a few things to it — set its
// types, add a nested object or an array, a language-tagged or typed
// value, an @id, a scalar of another kind, remove a property.
func mutate(d any, ops []byte) any {
	var nodes []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			nodes = append(nodes, x)
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	keys := []string{"name", "description", "type", "id", "image", "achievement", "credentialSubject", "evidence",
		"alignment", "result", "narrative", "tag", "issuer", "validFrom", "issuanceDate", "expirationDate", "url",
		"favouriteColour", "https://example.org/p", "schema:name", "xsd:string", "@type", "@id", "@value", "@list",
		"@graph", "@context", "credentialStatus", "proof", "endorsement", "creator", "resultDescription", "source",
		"dc:title", "cred:issuer", "sec:proof", "inLanguage", "@language", "identifier"}
	types := []any{"Achievement", "Profile", "OpenBadgeCredential", "VerifiableCredential", "Evidence", "Image",
		"MadeUp", "https://example.org/T", "_:b1", "xsd:dateTime", "AchievementSubject", "Result", "Alignment",
		"IdentityObject", "EndorsementCredential", "DataIntegrityProof", "Ed25519Signature2020", "BitstringStatusListEntry",
		"StatusList2021Entry", "Criteria", "ResultDescription", "@json", "schema:Thing"}
	ids := []any{"https://example.org/x", "urn:uuid:1", "relative", "_:b0", "http://exa mple/x", "did:example:1#k",
		"https://example.org/a?b=c#d", "http://[::1]/x", "mailto:a@example.org", "http:/x", "https://é.example/ü",
		"https://example.org/<x>", "", "schema:Thing", "https://example.org/x"}
	scalars := []any{"text", "", 0.0, 1.0, -7.0, 1.5, 1e21, 1e20, true, false, nil, "2026-01-02T03:04:05Z",
		"line\nbreak \"quoted\" \\ \u0001", "https://example.org/y", "ü\uFFFE"}
	for i := 0; i+2 < len(ops); i += 3 {
		nodes = nodes[:0]
		walk(d)
		if len(nodes) == 0 {
			return d
		}
		n := nodes[int(ops[i])%len(nodes)]
		k := keys[int(ops[i+1])%len(keys)]
		a := int(ops[i+2])
		switch a % 9 {
		case 0:
			n["type"] = []any{types[a/9%len(types)], types[(a/3)%len(types)]}
		case 1:
			n[k] = map[string]any{"type": types[a/9%len(types)], "name": "nested", "id": ids[a/9%len(ids)]}
		case 2:
			n[k] = []any{scalars[a/9%len(scalars)], scalars[(a/5)%len(scalars)], map[string]any{"name": "x"}}
		case 3:
			n[k] = map[string]any{"@value": "hello", "@language": "en"}
		case 4:
			n[k] = map[string]any{"@value": "2020-01-01", "@type": "xsd:date"}
		case 5:
			n["id"] = ids[a/9%len(ids)]
		case 6:
			n[k] = scalars[a/9%len(scalars)]
		case 7:
			delete(n, k)
		case 8:
			n[k] = []any{[]any{"nested"}, ids[a/9%len(ids)]}
		}
	}
	return d
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// FuzzFastPath: whenever the fast path takes a (mutated) document, its
// canonical N-Quads are json-gold's, and json-gold accepts the document
// too; the fast path never takes a document json-gold refuses.
func FuzzFastPath(f *testing.F) {
	corpus := fastCorpus(f)
	names := sortedKeys(corpus)
	for i := range names {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0, 1, 0, 3, 2, 1, 5, 0, 5})
		f.Add(uint8(i), []byte{2, 3, 9, 1, 4, 18, 4, 5, 2})
	}
	ctx := context.Background()
	l := ld.Default()
	f.Fuzz(func(t *testing.T, pick uint8, ops []byte) {
		if len(ops) > 60 {
			return
		}
		b, _ := json.Marshal(corpus[names[int(pick)%len(names)]])
		var d any
		_ = json.Unmarshal(b, &d)
		d = mutate(d, ops)
		got, ok, err := l.FastCanonical(ctx, d)
		if !ok {
			return
		}
		want, werr := l.SlowCanonical(ctx, d)
		if werr != nil {
			t.Fatalf("the fast path took a document json-gold refuses (%v); fast: %v", werr, err)
		}
		if err != nil {
			t.Fatalf("fast path: %v (json-gold accepts)", err)
		}
		if got != want {
			db, _ := json.Marshal(d)
			t.Fatalf("document %s\nfast path\n%s\njson-gold\n%s", db, got, want)
		}
	})
}
