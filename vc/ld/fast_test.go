package ld_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/ld/rdfc"
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
	addCLRs(t, add, vm, created)
	return out
}

// addCLRs adds the CLR 2.0 transcripts (data model 2.0 and 1.1) of three
// OBv3 credentials each carrying a Data Integrity proof (a "proof" value
// of an @graph container, and an embedded @context), the same with the
// embedded proofs removed, and a credential with two embedded proofs.
func addCLRs(t testing.TB, add func(string, any), vm, created string) {
	t.Helper()
	di := func(n int) map[string]any {
		return map[string]any{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": created,
			"verificationMethod": vm, "proofPurpose": "assertionMethod",
			"proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk5ZLwMWnFfZcmKj1Zb8dRWDtaXDxq2nUuQzhFBLkBDhpv" + strconv.Itoa(n)}
	}
	decode := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const holder = "did:example:holder"
	for _, v := range []vc.Version{vc.V1, vc.V2} {
		name := map[vc.Version]string{vc.V1: "clr1", vc.V2: "clr2"}[v]
		var embedded []json.RawMessage
		for k := range 3 {
			req := vctest.Request("did:example:issuer", holder, v)
			req.Achievement.Name = "Course " + strconv.Itoa(k)
			req.CredentialID = "urn:uuid:00000000-0000-4000-8000-00000000000" + strconv.Itoa(k)
			c, err := vc.Compose(req)
			if err != nil {
				t.Fatal(err)
			}
			m := decode(c)
			if v == vc.V1 {
				m["@context"] = append(m["@context"].([]any), vc.ContextDataIntegrityV2)
			}
			m["proof"] = di(k)
			if k == 2 {
				vcName := map[vc.Version]string{vc.V1: "vc1", vc.V2: "vc2"}[v]
				add(vcName+"+proof", m)
				two := decode(m)
				two["proof"] = []any{di(7), di(8)}
				add(vcName+"+proof-set", two)
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			embedded = append(embedded, b)
		}
		c, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: "did:example:issuer", Name: "Example University"},
			Credentials: embedded, HolderID: holder, CredentialID: "urn:uuid:6a1d0c3e-7b2f-4e58-9c4d-0e1f2a3b4c5d",
			Name: "Transcript", Version: v, Schema: true,
			Status: []vc.StatusEntry{{ID: "https://example.edu/status/1#7", Type: vc.StatusBitstring, StatusPurpose: vc.PurposeRevocation,
				StatusListIndex: "7", StatusListCredential: "https://example.edu/status/1"}}})
		if err != nil {
			t.Fatal(err)
		}
		m := decode(c)
		add(name, m)
		signed := decode(m)
		if v == vc.V1 {
			signed["@context"] = append(signed["@context"].([]any), vc.ContextDataIntegrityV2)
		}
		signed["proof"] = di(9)
		add(name+"+proof", signed)
		bare := decode(m)
		for _, e := range bare["credentialSubject"].(map[string]any)["verifiableCredential"].([]any) {
			delete(e.(map[string]any), "proof")
		}
		add(name+"/unsigned-vcs", bare)
	}
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

// TestFastPathTakesCLR (issues 13 and 14): CLR 2.0 transcripts, whose
// embedded credentials bring their own @context and their proofs (values
// of the @graph container "proof"), and credentials with embedded proofs
// take the fast path — json-gold cost ~3 ms per embedded credential —
// and the proofs' statements are in named graphs.
func TestFastPathTakesCLR(t *testing.T) {
	ctx := context.Background()
	l := ld.Default()
	corpus := fastCorpus(t)
	for _, name := range []string{"clr1", "clr2", "clr1+proof", "clr2+proof", "clr1/unsigned-vcs", "clr2/unsigned-vcs",
		"vc1+proof", "vc2+proof", "vc2+proof-set"} {
		d, ok := corpus[name]
		if !ok {
			t.Fatalf("%s: not in the corpus", name)
		}
		if slow, err := l.FastWithin(ctx, d, ld.FastWork); slow || err != nil {
			t.Errorf("%s: slow %v, err %v", name, slow, err)
			continue
		}
		got, err := l.Canonicalize(ctx, d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		quads, err := rdfc.ParseNQuads(got)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		named := 0
		for _, q := range quads {
			if q.Graph.Kind != rdfc.KindNone {
				named++
			}
		}
		if want := !strings.Contains(name, "unsigned"); want != (named > 0) {
			t.Errorf("%s: %d statements in named graphs", name, named)
		}
	}
}

// TestFastWorkBudgetCLR: the work budget bounds a CLR too — one unit
// less than it needs and the fast path gives up (Canonicalize then gives
// json-gold's result) — and the fast path honours a ctx cancelled while
// it walks the embedded credentials.
func TestFastWorkBudgetCLR(t *testing.T) {
	ctx := context.Background()
	l := ld.Default()
	corpus := fastCorpus(t)
	need := func(name string) int {
		lo, hi := 0, ld.FastWork // lo gives up, hi does not
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			slow, err := l.FastWithin(ctx, corpus[name], mid)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if slow {
				lo = mid
			} else {
				hi = mid
			}
		}
		return hi
	}
	clr, one := need("clr2"), need("vc2+proof")
	if clr <= 3*one/2 || clr >= ld.FastWork {
		t.Fatalf("the CLR of three credentials needs %d units of work, one credential %d", clr, one)
	}
	if slow, err := l.FastWithin(ctx, corpus["clr2"], clr-1); !slow || err != nil {
		t.Fatalf("one unit short: slow %v, err %v", slow, err)
	}
	want, err := l.SlowCanonical(ctx, corpus["clr2"])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := l.Canonicalize(ctx, corpus["clr2"]); err != nil || got != want {
		t.Fatalf("got %v\n%s", err, got)
	}
	// A transcript of 24 credentials: the check on entry passes, a later
	// one (every 1024 units of work) sees the cancellation, and
	// Canonicalize reports it rather than trying json-gold.
	b, _ := json.Marshal(corpus["clr2"])
	var big map[string]any
	if err := json.Unmarshal(b, &big); err != nil {
		t.Fatal(err)
	}
	s := big["credentialSubject"].(map[string]any)
	vcs := s["verifiableCredential"].([]any)
	for range 7 {
		s["verifiableCredential"] = append(s["verifiableCredential"].([]any), vcs...)
	}
	if slow, err := l.FastWithin(ctx, big, ld.FastWork); slow || err != nil {
		t.Fatalf("24 credentials: slow %v, err %v", slow, err)
	}
	if slow, err := l.FastWithin(&cancelLater{Context: ctx, left: 1}, big, ld.FastWork); slow || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while walking: slow %v, err %v", slow, err)
	}
	if _, err := l.Canonicalize(&cancelLater{Context: ctx, left: 2}, big); !errors.Is(err, context.Canceled) {
		t.Fatalf("Canonicalize cancelled while walking: %v", err)
	}
}

// cancelLater is a context that reports itself cancelled after left
// calls of Err.
type cancelLater struct {
	context.Context
	left int
}

func (c *cancelLater) Err() error {
	if c.left--; c.left < 0 {
		return context.Canceled
	}
	return nil
}

// TestFastDepthAgrees: the fast path takes a document nested in graph
// containers (proofs of proofs) only as deep as json-gold's path accepts
// it, and then with the same result.
func TestFastDepthAgrees(t *testing.T) {
	ctx := context.Background()
	l := ld.Default()
	for n := 1; n < 80; n++ {
		var inner any = map[string]any{"name": "leaf"}
		for i := 0; i < n; i++ {
			inner = map[string]any{"name": "level " + strconv.Itoa(i), "proof": inner}
		}
		d := map[string]any{"@context": []any{vc.ContextV2, vc.ContextDataIntegrityV2}, "id": "urn:uuid:1", "name": "top", "proof": inner}
		got, ok, err := l.FastCanonical(ctx, d)
		want, werr := l.SlowCanonical(ctx, d)
		if n <= 20 && !ok {
			t.Fatalf("depth %d: the fast path gave up", n)
		}
		if !ok {
			continue
		}
		if werr != nil || err != nil || got != want {
			t.Fatalf("depth %d: fast %v, json-gold %v\n%s\n%s", n, err, werr, got, want)
		}
	}
}
