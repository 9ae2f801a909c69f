package jsongold_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	gold "github.com/piprate/json-gold/ld"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/vctest"
)

// memLoader serves the bundled contexts, parsed once, from memory: what a
// straightforward user does with json-gold's caching loader preloaded.
type memLoader map[string]any

func (m memLoader) LoadDocument(u string) (*gold.RemoteDocument, error) {
	if doc, ok := m[u]; ok {
		return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
	}
	raw, ok := ld.BundledContext(u)
	if !ok {
		return nil, errors.New("jsongold: no such context: " + u)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	m[u] = doc
	return &gold.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// straight is one suite done the straightforward way.
type straight struct {
	proc *gold.JsonLdProcessor
	opts *gold.JsonLdOptions
	key  ed25519.PrivateKey
}

func newStraight() *straight {
	o := gold.NewJsonLdOptions("")
	o.Format = "application/n-quads"
	o.Algorithm = gold.AlgorithmURDNA2015
	o.DocumentLoader = memLoader{}
	return &straight{proc: gold.NewJsonLdProcessor(), opts: o, key: vctest.Key()}
}

func (s *straight) hash(doc map[string]any) ([32]byte, error) {
	n, err := s.proc.Normalize(doc, s.opts)
	if err != nil {
		return [32]byte{}, err
	}
	str, _ := n.(string)
	if str == "" {
		return [32]byte{}, errors.New("jsongold: empty normalisation")
	}
	return sha256.Sum256([]byte(str)), nil
}

// signingInput is hash(canonical proof options) || hash(canonical
// document), as both suites define it.
func (s *straight) signingInput(doc, opts map[string]any) ([]byte, error) {
	ho, err := s.hash(opts)
	if err != nil {
		return nil, err
	}
	hd, err := s.hash(doc)
	if err != nil {
		return nil, err
	}
	return append(ho[:], hd[:]...), nil
}

func (s *straight) proofOptions(doc map[string]any, typ, suite string) map[string]any {
	o := map[string]any{"@context": doc["@context"], "type": typ, "created": "2026-01-01T00:00:00Z",
		"verificationMethod": "did:example:issuer#key-1", "proofPurpose": "assertionMethod"}
	if suite != "" {
		o["cryptosuite"] = suite
	}
	return o
}

func (s *straight) sign(doc map[string]any, typ, suite string) (map[string]any, error) {
	opts := s.proofOptions(doc, typ, suite)
	in, err := s.signingInput(doc, opts)
	if err != nil {
		return nil, err
	}
	delete(opts, "@context")
	opts["proofValue"] = string(ed25519.Sign(s.key, in)) // the encoding is not what is measured
	out := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		out[k] = v
	}
	out["proof"] = opts
	return out, nil
}

func (s *straight) verify(signed map[string]any) error {
	p, _ := signed["proof"].(map[string]any)
	doc := make(map[string]any, len(signed))
	for k, v := range signed {
		if k != "proof" {
			doc[k] = v
		}
	}
	opts := map[string]any{"@context": doc["@context"]}
	for k, v := range p {
		if k != "proofValue" {
			opts[k] = v
		}
	}
	in, err := s.signingInput(doc, opts)
	if err != nil {
		return err
	}
	sig, _ := p["proofValue"].(string)
	if !ed25519.Verify(s.key.Public().(ed25519.PublicKey), in, []byte(sig)) {
		return errors.New("jsongold: bad signature")
	}
	return nil
}

// sample is the ~2 KB OBv3 credential of vc/issuer's benchmarks (no
// status entry), as a JSON tree, with the suite's context added when the
// data model needs one.
func sample(tb testing.TB, v vc.Version, suiteContext string) map[string]any {
	req := vctest.Request("did:example:issuer", "did:example:holder", v)
	req.Status = nil
	req.ValidUntil = time.Date(2031, 3, 14, 0, 0, 0, 0, time.UTC)
	c, err := vc.Compose(req)
	if err != nil {
		tb.Fatal(err)
	}
	if suiteContext != "" {
		c.AddContext(suiteContext)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc
}

var cases = []struct {
	name, typ, suite, ctx string
	v                     vc.Version
}{
	{"eddsa-rdfc-2022", "DataIntegrityProof", "eddsa-rdfc-2022", "", vc.V2},
	{"Ed25519Signature2020", "Ed25519Signature2020", "", vc.ContextEd25519Signature2020, vc.V1},
}

// TestRoundTrip keeps the baseline honest: what it signs, it verifies, and
// a changed document fails.
func TestRoundTrip(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStraight()
			signed, err := s.sign(sample(t, c.v, c.ctx), c.typ, c.suite)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.verify(signed); err != nil {
				t.Fatal(err)
			}
			signed["name"] = "changed"
			if err := s.verify(signed); err == nil {
				t.Fatal("a changed document verified")
			}
		})
	}
}

// BenchmarkJSONGold signs and verifies the sample with json-gold +
// crypto/ed25519 used straightforwardly: the "json-gold + crypto/ed25519"
// peer row of docs/performance.md.
func BenchmarkJSONGold(b *testing.B) {
	for _, c := range cases {
		b.Run(c.name+"/sign", func(b *testing.B) {
			s := newStraight()
			doc := sample(b, c.v, c.ctx)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := s.sign(doc, c.typ, c.suite); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(c.name+"/verify", func(b *testing.B) {
			s := newStraight()
			signed, err := s.sign(sample(b, c.v, c.ctx), c.typ, c.suite)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := s.verify(signed); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuTime is the process's user+system CPU time, as vc/issuer's benchmarks
// measure it, so the two compare per CPU-second (ops/cpu-s) as well as by
// the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(b.N)/d.Seconds(), "ops/cpu-s")
	}
}
