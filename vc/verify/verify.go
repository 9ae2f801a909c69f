package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/proof"
)

// Config configures a Verifier. The zero value verifies did:key issuers
// offline, did:web over HTTPS, with the bundled contexts only, and reports
// any credential carrying a status entry as status-unknown (no checker).
type Config struct {
	// Resolver resolves verification methods; default did.NewResolver().
	Resolver vc.Resolver
	// Loader resolves JSON-LD contexts; default ld.Default().
	Loader *ld.Loader
	// Status reads status entries; nil means they cannot be checked, and a
	// credential with one is VerdictStatusUnknown.
	Status vc.StatusChecker
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew on validity checks; default 0.
	Leeway time.Duration
}

// Verifier verifies credentials and presentations. It is safe for
// concurrent use.
type Verifier struct {
	cfg Config
}

// New returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Leeway < 0 {
		return nil, vc.Errorf(vc.ErrInvalid, "verify: negative Leeway")
	}
	if cfg.Resolver == nil {
		cfg.Resolver = did.NewResolver()
	}
	if cfg.Loader == nil {
		cfg.Loader = ld.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg}, nil
}

func reason(code, format string, args ...any) vc.Reason {
	return vc.Reason{Code: code, Message: fmt.Sprintf(format, args...)}
}

func reasonOf(err error) vc.Reason {
	code := vc.ReasonProof
	switch {
	case errors.Is(err, vc.ErrMalformed), errors.Is(err, vc.ErrTooLarge), errors.Is(err, vc.ErrTooDeep):
		code = vc.ReasonMalformed
	case errors.Is(err, vc.ErrResolve):
		code = vc.ReasonResolve
	case errors.Is(err, vc.ErrContext):
		code = vc.ReasonContext
	case errors.Is(err, vc.ErrUnsupported):
		code = vc.ReasonUnsupported
	}
	return vc.Reason{Code: code, Message: err.Error()}
}

func invalid(r vc.Result, rs ...vc.Reason) vc.Result {
	r.Verdict = vc.VerdictInvalid
	r.Reasons = append(r.Reasons, rs...)
	return r
}

// VerifyCredential verifies a credential given as a JSON-LD document with
// an embedded proof, as a VC-JWT, or as a JSON string holding a VC-JWT:
// every proof, that the signing keys belong to the issuer and are
// assertion methods of its DID document, the validity period, and every
// status entry. It never returns VerdictValid when a status entry could
// not be checked.
//
// Order of checks (a forged credential should cost little): size and
// depth limits, JSON and credential structure, a proof present, then for
// every proof its type, purpose, proofValue shape, verification method
// resolved, authorised and controlled by the issuer — and only then the
// canonicalisation and signatures, within the loader's budget (a document
// over it is VerdictInvalid with ReasonMalformed: vc.ErrTooLarge).
func (v *Verifier) VerifyCredential(ctx context.Context, b []byte) vc.Result {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return invalid(vc.Result{}, reason(vc.ReasonMalformed, "not a credential: %v", err))
		}
		return v.VerifyJWT(ctx, s)
	}
	if len(b) > 0 && b[0] != '{' {
		return v.VerifyJWT(ctx, string(b))
	}
	r := vc.Result{Format: vc.FormatLDP}
	// One check and one walk for the typed credential and the map the
	// proofs are verified on (a DecodeJSON of its own was ~13% of
	// verifying a Data Integrity proof).
	c, m, err := vc.ParseCredentialMap(b)
	if err != nil {
		return invalid(r, reasonOf(err))
	}
	r.Credential, r.Issuer = c, c.Issuer.ID
	if len(c.Proof) == 0 {
		return invalid(r, reason(vc.ReasonNoProof, "the credential has no proof"))
	}
	// The issuer must control every signing key: checked with the other
	// cheap checks, before anything is canonicalised.
	vs, err := proof.VerifyMap(ctx, m, proof.Expect{Purpose: proof.PurposeAssertion, Resolver: v.cfg.Resolver, Loader: v.cfg.Loader,
		Controller: c.Issuer.ID})
	var ce *proof.ControllerError
	if errors.As(err, &ce) {
		r.VerificationMethods = []string{ce.Method}
		return invalid(r, reason(vc.ReasonIssuer, "the proof was made with %s, which is not a key of the issuer %s", ce.Method, c.Issuer.ID))
	}
	if err != nil {
		return invalid(r, reasonOf(err))
	}
	for _, p := range vs {
		r.ProofTypes = append(r.ProofTypes, p.Suite())
		r.VerificationMethods = append(r.VerificationMethods, p.Method.ID)
		if p.Method.Controller != c.Issuer.ID {
			r = invalid(r, reason(vc.ReasonIssuer, "the proof was made with %s, which is not a key of the issuer %s", p.Method.ID, c.Issuer.ID))
		}
	}
	return v.finish(ctx, r, c)
}

// VerifyJWT verifies a VC-JWT like VerifyCredential.
func (v *Verifier) VerifyJWT(ctx context.Context, token string) vc.Result {
	r := vc.Result{Format: vc.FormatJWT}
	t, vm, err := jwt.Verify(ctx, token, v.cfg.Resolver)
	if t != nil {
		r.Issuer = t.Issuer
	}
	if err != nil {
		return invalid(r, reasonOf(err))
	}
	r.ProofTypes, r.VerificationMethods = []string{"JWT"}, []string{vm.ID}
	c, err := vc.ParseCredential(t.Credential)
	if err != nil {
		return invalid(r, reasonOf(err))
	}
	r.Credential = c
	now := v.cfg.Now()
	if !t.NotBefore.IsZero() && now.Add(v.cfg.Leeway).Before(t.NotBefore) {
		r = invalid(r, reason(vc.ReasonNotYetValid, "the token is not valid before %s", t.NotBefore.Format(time.RFC3339)))
	}
	if !t.Expires.IsZero() && now.Add(-v.cfg.Leeway).After(t.Expires) {
		r = invalid(r, reason(vc.ReasonExpired, "the token expired at %s", t.Expires.Format(time.RFC3339)))
	}
	return v.finish(ctx, r, c)
}

// finish checks the validity period and the status of a credential whose
// proofs verified, and settles the verdict.
func (v *Verifier) finish(ctx context.Context, r vc.Result, c *vc.Credential) vc.Result {
	now := v.cfg.Now()
	from, until := c.Validity()
	if !from.IsZero() && now.Add(v.cfg.Leeway).Before(from) && !r.Has(vc.ReasonNotYetValid) {
		r = invalid(r, reason(vc.ReasonNotYetValid, "the credential is valid from %s", from.Format(time.RFC3339)))
	}
	if !until.IsZero() && now.Add(-v.cfg.Leeway).After(until) && !r.Has(vc.ReasonExpired) {
		r = invalid(r, reason(vc.ReasonExpired, "the credential expired at %s", until.Format(time.RFC3339)))
	}
	if r.Verdict == vc.VerdictInvalid {
		return r
	}
	r.Verdict = vc.VerdictValid
	for _, e := range c.CredentialStatus {
		if v.cfg.Status == nil {
			r.Reasons = append(r.Reasons, reason(vc.ReasonStatus, "status entry %s (%s) not checked: no status checker", e.ID, e.StatusPurpose))
			r.Verdict = worse(r.Verdict, vc.VerdictStatusUnknown)
			continue
		}
		sr, err := v.cfg.Status.CheckStatus(ctx, c.Issuer.ID, e)
		if err != nil {
			r.Reasons = append(r.Reasons, reason(vc.ReasonStatus, "status entry %s (%s) could not be checked: %v", e.ID, e.StatusPurpose, err))
			r.Verdict = worse(r.Verdict, vc.VerdictStatusUnknown)
			continue
		}
		if !sr.Set {
			continue
		}
		switch e.StatusPurpose {
		case vc.PurposeRevocation:
			r.Reasons = append(r.Reasons, reason(vc.ReasonRevoked, "revoked (list %s, index %s)", e.StatusListCredential, e.StatusListIndex))
			r.Verdict = worse(r.Verdict, vc.VerdictRevoked)
		case vc.PurposeSuspension:
			r.Reasons = append(r.Reasons, reason(vc.ReasonSuspended, "suspended (list %s, index %s)", e.StatusListCredential, e.StatusListIndex))
			r.Verdict = worse(r.Verdict, vc.VerdictSuspended)
		}
	}
	if c.Type.Has(vc.TypeClrCredential) {
		r = v.checkCLR(ctx, r, c)
	}
	return r
}

// checkCLR verifies the credentials embedded in a CLR 2.0 ClrCredential
// whose own proofs verified: each must verify on its own (its proofs, its
// issuer, validity and status), be about the CLR's subject, and not be a
// CLR itself (the recursion stops at one level). The CLR's verdict becomes
// the worst of its own and theirs, with a ReasonEmbedded reason naming each
// that is not valid.
func (v *Verifier) checkCLR(ctx context.Context, r vc.Result, c *vc.Credential) vc.Result {
	s, err := c.CLR()
	if err != nil {
		return invalid(r, reasonOf(err))
	}
	for i, raw := range s.VerifiableCredential {
		var er vc.Result
		trimmed := bytes.TrimSpace(raw)
		switch {
		case len(trimmed) == 0 || trimmed[0] != '{':
			er = invalid(vc.Result{}, reason(vc.ReasonMalformed, "not a credential object (a ClrSubject embeds credentials with embedded proofs)"))
		default:
			var head struct {
				Type vc.Types `json:"type"`
			}
			if json.Unmarshal(trimmed, &head) == nil && head.Type.Has(vc.TypeClrCredential) {
				er = invalid(vc.Result{}, reason(vc.ReasonUnsupported, "a ClrCredential embedded in a ClrCredential"))
				break
			}
			er = v.VerifyCredential(ctx, trimmed)
			if er.Verdict != vc.VerdictInvalid && er.Credential != nil && !sameSubject(s, er.Credential) {
				er = invalid(er, reason(vc.ReasonEmbedded, "the credential is not about the CLR's subject"))
			}
		}
		r.Embedded = append(r.Embedded, er)
		if er.Verdict == vc.VerdictValid {
			continue
		}
		id := ""
		if er.Credential != nil {
			id = " (" + er.Credential.ID + ")"
		}
		msgs := make([]string, 0, len(er.Reasons))
		for _, x := range er.Reasons {
			msgs = append(msgs, x.Code+": "+x.Message)
		}
		r.Reasons = append(r.Reasons, reason(vc.ReasonEmbedded, "embedded credential %d%s is %s: %s", i, id, er.Verdict, strings.Join(msgs, "; ")))
		r.Verdict = worse(r.Verdict, er.Verdict)
	}
	return r
}

// sameSubject reports whether the embedded credential e is about the
// ClrSubject s: the same id, or — for a subject without one — an identity
// hash in common.
func sameSubject(s *vc.CLRSubject, e *vc.Credential) bool {
	for _, es := range e.CredentialSubject {
		if s.ID != "" {
			if es.ID == s.ID {
				return true
			}
			continue
		}
		if es.ID != "" {
			continue
		}
		for _, a := range es.Identifier {
			for _, b := range s.Identifier {
				if a.IdentityHash != "" && a.IdentityHash == b.IdentityHash {
					return true
				}
			}
		}
	}
	return false
}

var rank = map[vc.Verdict]int{vc.VerdictValid: 0, vc.VerdictStatusUnknown: 1, vc.VerdictSuspended: 2, vc.VerdictRevoked: 3, vc.VerdictInvalid: 4}

func worse(a, b vc.Verdict) vc.Verdict {
	if rank[b] > rank[a] {
		return b
	}
	return a
}
