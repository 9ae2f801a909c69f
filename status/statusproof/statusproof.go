package statusproof

import (
	"context"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/proof"
)

// SignerConfig tunes a Signer. The zero value is the recommended one.
type SignerConfig struct {
	// Suite signs VC 2.0 (Bitstring) lists; default proof.SuiteEddsaRdfc2022.
	Suite string
	// SuiteV1 signs VC 1.1 (StatusList2021) lists; default
	// proof.SuiteEd25519Signature2020.
	SuiteV1 string
	// Loader resolves JSON-LD contexts; default ld.Default().
	Loader *ld.Loader
	// Now is the clock for the proofs' created; default time.Now.
	Now func() time.Time
}

// Signer is a status.ListSigner over a vc.Signer.
type Signer struct {
	s      vc.Signer
	issuer string
	cfg    SignerConfig
}

var _ status.ListSigner = (*Signer)(nil)

// NewSigner returns a Signer signing with s; the issuer is the DID of s's
// verification method.
func NewSigner(s vc.Signer, cfg SignerConfig) (*Signer, error) {
	if s == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "statusproof: nil signer")
	}
	if cfg.Suite == "" {
		cfg.Suite = proof.SuiteEddsaRdfc2022
	}
	if cfg.SuiteV1 == "" {
		cfg.SuiteV1 = proof.SuiteEd25519Signature2020
	}
	if cfg.Loader == nil {
		cfg.Loader = ld.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Signer{s: s, issuer: vc.DIDOf(s.VerificationMethod()), cfg: cfg}, nil
}

// Issuer implements status.ListSigner.
func (s *Signer) Issuer() string { return s.issuer }

// SignList implements status.ListSigner: Suite for a VC 2.0 document,
// SuiteV1 for a VC 1.1 one.
func (s *Signer) SignList(ctx context.Context, doc []byte) ([]byte, error) {
	var m map[string]any
	if err := vc.DecodeJSON(doc, &m); err != nil {
		return nil, err
	}
	suite := s.cfg.Suite
	if ctxs, ok := m["@context"].([]any); ok && len(ctxs) > 0 && ctxs[0] == vc.ContextV1 {
		suite = s.cfg.SuiteV1
	}
	iss, _ := m["issuer"].(string)
	if o, ok := m["issuer"].(map[string]any); ok {
		iss, _ = o["id"].(string)
	}
	if iss != s.issuer {
		return nil, vc.Errorf(vc.ErrInvalid, "statusproof: list of issuer %v, signer of %s", m["issuer"], s.issuer)
	}
	return proof.Sign(ctx, doc, s.s, proof.Options{Suite: suite, Loader: s.cfg.Loader, Created: s.cfg.Now()})
}

// Verifier is a status.ProofVerifier over vc/proof.
type Verifier struct {
	// Resolver resolves verification methods; required.
	Resolver vc.Resolver
	// Loader resolves JSON-LD contexts; default ld.Default().
	Loader *ld.Loader
}

var _ status.ProofVerifier = Verifier{}

// VerifyProof implements status.ProofVerifier: every proof must verify as
// an assertion proof; it returns the controllers of the keys.
func (v Verifier) VerifyProof(ctx context.Context, doc []byte) ([]string, error) {
	if v.Resolver == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "statusproof: Verifier.Resolver is required")
	}
	vs, err := proof.Verify(ctx, doc, proof.Expect{Purpose: proof.PurposeAssertion, Resolver: v.Resolver, Loader: v.Loader})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vs))
	for _, x := range vs {
		c := x.Method.Controller
		if c == "" {
			c = vc.DIDOf(x.Method.ID)
		}
		out = append(out, c)
	}
	return out, nil
}

// NewChecker returns a status.Checker whose list proofs are verified with
// resolver (did.NewResolver() when nil: did:key offline, did:web over
// HTTPS) and the bundled JSON-LD contexts.
func NewChecker(resolver vc.Resolver, opts ...status.CheckerOption) (*status.Checker, error) {
	if resolver == nil {
		resolver = did.NewResolver()
	}
	return status.NewChecker(Verifier{Resolver: resolver}, opts...)
}
