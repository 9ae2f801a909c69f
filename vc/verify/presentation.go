package verify

import (
	"context"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/proof"
)

// PresentationOptions say what a presentation's proof must be bound to.
type PresentationOptions struct {
	// Challenge is the expected challenge; required for DID authentication
	// (a presentation without one could be replayed).
	Challenge string
	// Domain, when set, must be (one of) the proof's domain.
	Domain string
	// Purpose is the expected proof purpose; default "authentication".
	Purpose string
	// VerifyCredentials also verifies the embedded credentials.
	VerifyCredentials bool
}

// PresentationResult is what CheckPresentation found.
type PresentationResult struct {
	// Holder is the presentation's holder, whose key signed it.
	Holder string
	// Methods are the verification methods that signed.
	Methods []vc.VerificationMethod
	// Credentials holds the results of the embedded credentials when
	// PresentationOptions.VerifyCredentials is set.
	Credentials []vc.Result
	// Presentation is the parsed presentation.
	Presentation *vc.Presentation
}

// CheckPresentation verifies a presentation (DID authentication when it
// carries no credentials): every proof verifies with the purpose,
// challenge and domain expected, and every signing key is a method of the
// holder's DID document authorised for the purpose — so the holder
// controls the key. Errors match vc.ErrProof, vc.ErrResolve,
// vc.ErrMalformed, vc.ErrContext, vc.ErrUnsupported or vc.ErrTooLarge,
// or ctx's error once ctx is done.
//
// Order of checks (a forged presentation should cost little): a
// challenge required for authentication; size and depth limits and the
// presentation's structure; a holder named; a proof present; for every
// proof its type, purpose, challenge, domain, proofValue shape, and a
// verification method that resolves, is authorised for the purpose and is
// the holder's. Only then is anything canonicalised, within the loader's
// budget: a crafted graph of blank nodes fails with an error matching
// vc.ErrTooLarge and ld.ErrTooComplex instead of keeping a core busy.
func (v *Verifier) CheckPresentation(ctx context.Context, b []byte, o PresentationOptions) (PresentationResult, error) {
	var res PresentationResult
	if o.Purpose == "" {
		o.Purpose = proof.PurposeAuthentication
	}
	if o.Purpose == proof.PurposeAuthentication && o.Challenge == "" {
		return res, vc.Errorf(vc.ErrInvalid, "verify: DID authentication needs a challenge")
	}
	p, err := vc.ParsePresentation(b)
	if err != nil {
		return res, err
	}
	res.Presentation, res.Holder = p, p.Holder
	if p.Holder == "" {
		return res, vc.Errorf(vc.ErrProof, "verify: the presentation names no holder")
	}
	var m map[string]any
	if err := vc.DecodeJSON(b, &m); err != nil {
		return res, err
	}
	// The holder must control every signing key: checked with the other
	// cheap checks, before anything is canonicalised.
	vs, err := proof.VerifyMap(ctx, m, proof.Expect{Purpose: o.Purpose, Challenge: o.Challenge, Domain: o.Domain,
		Resolver: v.cfg.Resolver, Loader: v.cfg.Loader, Controller: p.Holder})
	if err != nil {
		return res, err
	}
	for _, x := range vs {
		if x.Method.Controller != p.Holder || vc.DIDOf(x.Method.ID) != p.Holder {
			return res, vc.Errorf(vc.ErrProof, "verify: the presentation was signed with %s, which the holder %s does not control", x.Method.ID, p.Holder)
		}
		res.Methods = append(res.Methods, x.Method)
	}
	if o.VerifyCredentials {
		for _, c := range p.VerifiableCredential {
			res.Credentials = append(res.Credentials, v.VerifyCredential(ctx, c))
		}
	}
	return res, nil
}

// VerifyPresentation verifies a DID authentication presentation against a
// challenge and (when non-empty) a domain; it returns nil only when the
// holder proved control of the signing key. It matches the wallet
// package's PresentationVerifier.
func (v *Verifier) VerifyPresentation(ctx context.Context, vp []byte, challenge, domain string) error {
	_, err := v.CheckPresentation(ctx, vp, PresentationOptions{Challenge: challenge, Domain: domain})
	return err
}
