package proof

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/internal/jsonenc"
	"github.com/credshare/credshare/vc/ld"
)

// Proof types and cryptosuites.
const (
	// TypeDataIntegrity is the proof type of Data Integrity cryptosuites.
	TypeDataIntegrity = "DataIntegrityProof"
	// TypeEd25519Signature2020 is the Ed25519Signature2020 suite.
	TypeEd25519Signature2020 = "Ed25519Signature2020"
	// EddsaRdfc2022 is the eddsa-rdfc-2022 cryptosuite (RDF canonicalisation).
	EddsaRdfc2022 = "eddsa-rdfc-2022"
	// EddsaJcs2022 is the eddsa-jcs-2022 cryptosuite (JSON canonicalisation).
	EddsaJcs2022 = "eddsa-jcs-2022"
	// Eddsa2022 is the draft name of eddsa-rdfc-2022, accepted when verifying.
	Eddsa2022 = "eddsa-2022"
)

// Proof purposes.
const (
	PurposeAssertion      = "assertionMethod"
	PurposeAuthentication = "authentication"
)

// Suites accepted by Options.Suite.
const (
	SuiteEddsaRdfc2022        = EddsaRdfc2022
	SuiteEddsaJcs2022         = EddsaJcs2022
	SuiteEd25519Signature2020 = TypeEd25519Signature2020
)

// Options shape a proof.
type Options struct {
	// Suite is SuiteEddsaRdfc2022 (default), SuiteEddsaJcs2022 or
	// SuiteEd25519Signature2020.
	Suite string
	// Purpose is the proof purpose; default PurposeAssertion.
	Purpose string
	// Created is the proof's creation time; default now.
	Created time.Time
	// Challenge and Domain bind a presentation proof to a request.
	Challenge, Domain string
	// Loader resolves contexts; default ld.Default().
	Loader *ld.Loader
}

// Sign adds a proof made by s to the JSON-LD document doc (a credential or
// a presentation, as JSON) and returns the signed document. It adds the
// context the suite needs when the document lacks it (the
// Ed25519Signature2020 context; the Data Integrity context on VC 1.1). An
// existing proof is kept (the new one is appended).
func Sign(ctx context.Context, doc []byte, s vc.Signer, o Options) ([]byte, error) {
	var m map[string]any
	if err := vc.DecodeJSON(doc, &m); err != nil {
		return nil, err
	}
	if err := SignMap(ctx, m, s, o); err != nil {
		return nil, err
	}
	// The bytes json.Marshal(m) returns, without its reflection: the
	// -memprofile of BenchmarkSign (credshare issue 13) had this
	// json.Marshal at ~22% of an eddsa-rdfc-2022 signature's allocations.
	return jsonenc.AppendValue(make([]byte, 0, len(doc)+512), m)
}

// SignMap is Sign on a decoded document; it adds the proof to m in place.
func SignMap(ctx context.Context, m map[string]any, s vc.Signer, o Options) error {
	if s == nil {
		return vc.Errorf(vc.ErrInvalid, "proof: no signer")
	}
	if o.Suite == "" {
		o.Suite = SuiteEddsaRdfc2022
	}
	if o.Purpose == "" {
		o.Purpose = PurposeAssertion
	}
	if o.Created.IsZero() {
		o.Created = time.Now()
	}
	if o.Loader == nil {
		o.Loader = ld.Default()
	}
	ctxs, ok := contextsOf(m)
	if !ok {
		return vc.Errorf(vc.ErrMalformed, "proof: the document has no @context array")
	}
	p := map[string]any{
		"created":            o.Created.UTC().Format(time.RFC3339),
		"verificationMethod": s.VerificationMethod(),
		"proofPurpose":       o.Purpose,
	}
	if o.Challenge != "" {
		p["challenge"] = o.Challenge
	}
	if o.Domain != "" {
		p["domain"] = o.Domain
	}
	switch o.Suite {
	case SuiteEddsaRdfc2022, SuiteEddsaJcs2022:
		p["type"] = TypeDataIntegrity
		p["cryptosuite"] = o.Suite
		if len(ctxs) > 0 && ctxs[0] == vc.ContextV1 && !slices.Contains(ctxs, any(vc.ContextDataIntegrityV2)) {
			ctxs = append(ctxs, vc.ContextDataIntegrityV2)
		}
	case SuiteEd25519Signature2020:
		p["type"] = TypeEd25519Signature2020
		if !slices.Contains(ctxs, any(vc.ContextEd25519Signature2020)) {
			ctxs = append(ctxs, vc.ContextEd25519Signature2020)
		}
	default:
		return vc.Errorf(vc.ErrUnsupported, "proof: suite %q", o.Suite)
	}
	m["@context"] = ctxs
	existing := m["proof"]
	delete(m, "proof")
	data, err := hashData(ctx, m, p, o.Suite, o.Loader)
	if err != nil {
		return err
	}
	sig, err := s.Sign(ctx, data)
	if err != nil {
		return vc.Wrap(vc.ErrInvalid, err, "proof: signing")
	}
	p["proofValue"] = "z" + did.Base58(sig)
	if o.Suite == SuiteEddsaJcs2022 {
		// eddsa-jcs-2022 keeps the document's @context in the proof (the
		// verifier hashes the proof as it stands); the RDF suites do not.
		p["@context"] = ctxs
	}
	switch e := existing.(type) {
	case nil:
		m["proof"] = p
	case []any:
		m["proof"] = append(e, p)
	default:
		m["proof"] = []any{e, p}
	}
	return nil
}

func contextsOf(m map[string]any) ([]any, bool) {
	switch c := m["@context"].(type) {
	case []any:
		return slices.Clone(c), true
	case string:
		return []any{c}, true
	}
	return nil, false
}

// hashData returns SHA-256(canonical proof config) ‖ SHA-256(canonical
// document) for the suite; doc must not hold the proof being made.
func hashData(ctx context.Context, doc, proofOpts map[string]any, suite string, l *ld.Loader) ([]byte, error) {
	dh, err := documentHash(ctx, doc, suite, l)
	if err != nil {
		return nil, err
	}
	return hashWith(ctx, dh, doc, proofOpts, suite, l)
}

// documentHash returns the SHA-256 hash of the canonical form of doc
// (without its proofs) under the suite: JCS for eddsa-jcs-2022, RDFC-1.0
// otherwise.
func documentHash(ctx context.Context, doc map[string]any, suite string, l *ld.Loader) ([sha256.Size]byte, error) {
	if suite == SuiteEddsaJcs2022 {
		b, err := JCS(doc)
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		return sha256.Sum256(b), nil
	}
	h, n, err := canonicalHash(ctx, l, doc)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	if n == 0 {
		return [sha256.Size]byte{}, vc.Errorf(vc.ErrContext, "proof: the document has no RDF statements")
	}
	return h, nil
}

// canonicalHash returns the SHA-256 hash of doc's canonical N-Quads and
// their length, canonicalised into a pooled buffer.
//
// The canonical N-Quads of a credential are ~7 KB: hashing a string
// copied to []byte was ~20% of the bytes an eddsa-rdfc-2022 signature
// allocated, and the string itself, once that copy was gone, ~34%
// (credshare issue 13, go test -bench Sign or Bulk -cpu 1 ./vc/issuer
// -memprofile, alloc_space).
func canonicalHash(ctx context.Context, l *ld.Loader, doc any) ([sha256.Size]byte, int, error) {
	bp := canonBufs.Get().(*[]byte)
	defer canonBufs.Put(bp)
	b, err := l.AppendCanonical(ctx, (*bp)[:0], doc)
	if cap(b) <= maxPooledCanon {
		*bp = b[:0]
	}
	if err != nil {
		return [sha256.Size]byte{}, 0, err
	}
	return sha256.Sum256(b), len(b), nil
}

// canonBufs holds the buffers canonicalHash canonicalises into.
var canonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledCanon bounds the buffers canonBufs keeps.
const maxPooledCanon = 256 << 10

// hashWith is hashData given dh, the hash of the canonical document.
func hashWith(ctx context.Context, dh [sha256.Size]byte, doc, proofOpts map[string]any, suite string, l *ld.Loader) ([]byte, error) {
	cfg := make(map[string]any, len(proofOpts)+1)
	for k, v := range proofOpts {
		if k != "proofValue" {
			cfg[k] = v
		}
	}
	if _, ok := cfg["@context"]; !ok {
		cfg["@context"] = doc["@context"]
	}
	var ph [sha256.Size]byte
	if suite == SuiteEddsaJcs2022 {
		pc, err := JCS(cfg)
		if err != nil {
			return nil, err
		}
		ph = sha256.Sum256(pc)
	} else {
		h, _, err := canonicalHash(ctx, l, cfg)
		if err != nil {
			return nil, err
		}
		ph = h
	}
	out := make([]byte, 0, 2*sha256.Size)
	return append(append(out, ph[:]...), dh[:]...), nil
}

// Expect says what a proof must be to verify.
type Expect struct {
	// Purpose is the required proof purpose; default PurposeAssertion.
	Purpose string
	// Challenge, when set, must equal the proof's challenge.
	Challenge string
	// Domain, when set, must be (one of) the proof's domain.
	Domain string
	// Resolver resolves verification methods; required.
	Resolver vc.Resolver
	// Loader resolves contexts; default ld.Default().
	Loader *ld.Loader
	// Controller, when set, is the DID that must control every signing
	// key: the method's controller and the DID of its id (the issuer of a
	// credential, the holder of a presentation). It is checked before any
	// canonicalisation; a mismatch is a *ControllerError.
	Controller string
}

// Verified describes a proof that verified.
type Verified struct {
	// Type is the proof type; Cryptosuite its cryptosuite (Data Integrity).
	Type, Cryptosuite string
	// Method is the resolved verification method.
	Method vc.VerificationMethod
	// Created is the proof's creation time (zero when absent).
	Created time.Time
}

// Suite returns the cryptosuite, or the type when there is none.
func (v Verified) Suite() string {
	if v.Cryptosuite != "" {
		return v.Cryptosuite
	}
	return v.Type
}

// Verify checks every proof on the JSON-LD document doc and returns them
// when all verify: the signature over the canonical document and proof
// options, the purpose, challenge and domain, and that the DID document of
// the method's controller lists the method for the purpose. A document
// with no proof is an error. The cheap checks of every proof run before
// any canonicalisation (see VerifyMap). Errors match vc.ErrProof,
// vc.ErrResolve, vc.ErrContext, vc.ErrUnsupported, vc.ErrMalformed or
// vc.ErrTooLarge (ld.ErrTooComplex: canonicalisation over its budget), or
// ctx's error once ctx is done.
func Verify(ctx context.Context, doc []byte, e Expect) ([]Verified, error) {
	var m map[string]any
	if err := vc.DecodeJSON(doc, &m); err != nil {
		return nil, err
	}
	return VerifyMap(ctx, m, e)
}

// VerifyMap is Verify on a decoded document (not modified).
//
// It works in two passes so that a forged document costs a verifier as
// little as possible. First, for every proof, the checks that need no
// canonicalisation: the type and cryptosuite are supported, created is a
// date-time, the purpose, challenge and domain are those expected,
// proofValue is a base58btc Ed25519 signature, the verification method
// resolves and its DID document authorises it for the purpose, and the
// proof's @context (eddsa-jcs-2022) is the document's. Only when every
// proof passed does the second pass canonicalise — the document once per
// canonicalisation (not once per proof) and each proof's options — and
// check the signatures.
func VerifyMap(ctx context.Context, m map[string]any, e Expect) ([]Verified, error) {
	if e.Resolver == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "proof: Expect.Resolver is required")
	}
	if e.Purpose == "" {
		e.Purpose = PurposeAssertion
	}
	if e.Loader == nil {
		e.Loader = ld.Default()
	}
	var proofs []map[string]any
	switch p := m["proof"].(type) {
	case map[string]any:
		proofs = []map[string]any{p}
	case []any:
		for _, x := range p {
			pm, ok := x.(map[string]any)
			if !ok {
				return nil, vc.Errorf(vc.ErrMalformed, "proof: a proof is not an object")
			}
			proofs = append(proofs, pm)
		}
	case nil:
		return nil, vc.Errorf(vc.ErrProof, "proof: the document has no proof")
	default:
		return nil, vc.Errorf(vc.ErrMalformed, "proof: \"proof\" is not an object or an array")
	}
	if len(proofs) == 0 {
		return nil, vc.Errorf(vc.ErrProof, "proof: the document has no proof")
	}
	if len(proofs) > MaxProofs {
		return nil, vc.Errorf(vc.ErrMalformed, "proof: %d proofs; at most %d are accepted", len(proofs), MaxProofs)
	}
	doc := make(map[string]any, len(m))
	for k, v := range m {
		if k != "proof" {
			doc[k] = v
		}
	}
	wrap := func(i int, err error) error {
		if len(proofs) > 1 {
			return vc.Wrap(vc.ErrProof, err, "proof "+strconv.Itoa(i))
		}
		return err
	}
	checked := make([]checkedProof, len(proofs))
	for i, p := range proofs {
		c, err := precheck(ctx, doc, p, e)
		if err != nil {
			return nil, wrap(i, err)
		}
		checked[i] = c
	}
	canonical := map[string][sha256.Size]byte{} // the canonical document's hash per suite
	out := make([]Verified, 0, len(proofs))
	for i, c := range checked {
		dc, ok := canonical[c.suite]
		if !ok {
			var err error
			if dc, err = documentHash(ctx, doc, c.suite, e.Loader); err != nil {
				return nil, wrap(i, err)
			}
			if c.suite == SuiteEddsaRdfc2022 || c.suite == SuiteEd25519Signature2020 {
				// Both RDF suites hash the same canonical N-Quads.
				canonical[SuiteEddsaRdfc2022], canonical[SuiteEd25519Signature2020] = dc, dc
			} else {
				canonical[c.suite] = dc
			}
		}
		data, err := hashWith(ctx, dc, doc, c.proof, c.suite, e.Loader)
		if err != nil {
			return nil, wrap(i, err)
		}
		if !ed25519.Verify(c.v.Method.PublicKey, data, c.sig) {
			return nil, wrap(i, vc.Errorf(vc.ErrProof, "proof: the %s signature does not verify (document or proof altered, or another key)", c.suite))
		}
		out = append(out, c.v)
	}
	return out, nil
}

// MaxProofs bounds the proofs of a document VerifyMap accepts.
const MaxProofs = 8

// checkedProof is a proof that passed the cheap checks.
type checkedProof struct {
	proof map[string]any
	suite string // the Options.Suite it is verified as
	sig   []byte
	v     Verified
}

func str(p map[string]any, k string) string {
	s, _ := p[k].(string)
	return s
}

// precheck runs the checks of one proof that need no canonicalisation.
func precheck(ctx context.Context, doc, p map[string]any, e Expect) (checkedProof, error) {
	typ, suite := str(p, "type"), str(p, "cryptosuite")
	switch {
	case typ == TypeDataIntegrity && (suite == EddsaRdfc2022 || suite == Eddsa2022):
		suite = SuiteEddsaRdfc2022
	case typ == TypeDataIntegrity && suite == EddsaJcs2022:
	case typ == TypeEd25519Signature2020:
		suite = SuiteEd25519Signature2020
	default:
		return checkedProof{}, vc.Errorf(vc.ErrUnsupported, "proof: type %q cryptosuite %q is not supported", typ, suite)
	}
	v := Verified{Type: typ, Cryptosuite: str(p, "cryptosuite")}
	if c := str(p, "created"); c != "" {
		t, err := time.Parse(time.RFC3339, c)
		if err != nil {
			return checkedProof{}, vc.Errorf(vc.ErrMalformed, "proof: created %q is not a date-time", c)
		}
		v.Created = t
	}
	if got := str(p, "proofPurpose"); got != e.Purpose {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: purpose is %q, expected %q", got, e.Purpose)
	}
	if e.Challenge != "" && str(p, "challenge") != e.Challenge {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: made for another challenge")
	}
	if e.Domain != "" && !hasDomain(p["domain"], e.Domain) {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: made for another domain than %q", e.Domain)
	}
	pv := str(p, "proofValue")
	if len(pv) < 2 || pv[0] != 'z' {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: proofValue is missing or not base58btc multibase")
	}
	sig, err := did.DecodeBase58(pv[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: proofValue is not an Ed25519 signature")
	}
	vmID := str(p, "verificationMethod")
	if vmID == "" {
		if o, ok := p["verificationMethod"].(map[string]any); ok {
			vmID = str(o, "id")
		}
	}
	if vmID == "" {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: no verificationMethod")
	}
	vm, err := e.Resolver.ResolveVerificationMethod(ctx, vmID)
	if err != nil {
		return checkedProof{}, err
	}
	v.Method = vm
	if !vm.Allows(e.Purpose) {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: %s is not authorised for %s by its DID document", vmID, e.Purpose)
	}
	if len(vm.PublicKey) != ed25519.PublicKeySize {
		return checkedProof{}, vc.Errorf(vc.ErrUnsupported, "proof: %s is not an Ed25519 key", vmID)
	}
	if e.Controller != "" && (vm.Controller != e.Controller || vc.DIDOf(vm.ID) != e.Controller) {
		return checkedProof{}, &ControllerError{Method: vm.ID, Controller: vm.Controller, Want: e.Controller}
	}
	if pc, ok := p["@context"]; ok && !jsonEqual(pc, doc["@context"]) {
		return checkedProof{}, vc.Errorf(vc.ErrProof, "proof: the proof's @context differs from the document's")
	}
	return checkedProof{proof: p, suite: suite, sig: sig, v: v}, nil
}

// ControllerError is a proof made with a verification method of another
// controller than Expect.Controller. It matches vc.ErrProof.
type ControllerError struct {
	// Method is the verification method's id; Controller its controller.
	Method, Controller string
	// Want is Expect.Controller.
	Want string
}

// Error implements error.
func (e *ControllerError) Error() string {
	return "proof: made with " + e.Method + ", which " + e.Want + " does not control"
}

// Is reports whether target is vc.ErrProof.
func (e *ControllerError) Is(target error) bool { return target == vc.ErrProof }

func hasDomain(d any, want string) bool {
	switch x := d.(type) {
	case string:
		return x == want
	case []any:
		for _, y := range x {
			if s, ok := y.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
