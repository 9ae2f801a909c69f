package issuer

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/internal/jsonenc"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/proof"
)

// Config configures an Issuer.
type Config struct {
	// Signer signs; required. Its verification method must belong to the
	// issuer of every credential issued (same DID).
	Signer vc.Signer
	// SuiteV2 is the proof suite for VC 2.0 credentials; default
	// eddsa-rdfc-2022.
	SuiteV2 string
	// SuiteV1 is the proof suite for VC 1.1 credentials; default
	// Ed25519Signature2020, which DIDKit, Digital Bazaar and
	// aries-framework-go all verify.
	SuiteV1 string
	// Loader resolves contexts; default ld.Default().
	Loader *ld.Loader
	// Now is the clock for proof creation times; default time.Now.
	Now func() time.Time
}

// Issuer signs credentials in every format credshare emits. It is safe
// for concurrent use.
type Issuer struct {
	cfg Config
	jwt *jwt.Signer
}

// New validates cfg and returns an Issuer.
func New(cfg Config) (*Issuer, error) {
	if cfg.Signer == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: Config.Signer is required")
	}
	if cfg.SuiteV2 == "" {
		cfg.SuiteV2 = proof.SuiteEddsaRdfc2022
	}
	if cfg.SuiteV1 == "" {
		cfg.SuiteV1 = proof.SuiteEd25519Signature2020
	}
	for _, s := range []string{cfg.SuiteV1, cfg.SuiteV2} {
		switch s {
		case proof.SuiteEddsaRdfc2022, proof.SuiteEddsaJcs2022, proof.SuiteEd25519Signature2020:
		default:
			return nil, vc.Errorf(vc.ErrUnsupported, "issuer: suite %q", s)
		}
	}
	if cfg.Loader == nil {
		cfg.Loader = ld.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	j, err := jwt.NewSigner(cfg.Signer)
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, jwt: j}, nil
}

// IssuerID returns the DID of the signer's verification method.
func (i *Issuer) IssuerID() string { return vc.DIDOf(i.cfg.Signer.VerificationMethod()) }

// Issue signs c: for vc.FormatLDP (or "") it returns the credential with
// an embedded proof (the suite chosen by the data model version), for
// vc.FormatJWT a JSON string holding the VC-JWT. c is not modified.
func (i *Issuer) Issue(ctx context.Context, c *vc.Credential, format string) (json.RawMessage, error) {
	suite := i.cfg.SuiteV2
	if c != nil && c.Version() == vc.V1 {
		suite = i.cfg.SuiteV1
	}
	return i.IssueWith(ctx, c, format, suite)
}

// IssueWith is Issue with an explicit proof suite for vc.FormatLDP.
func (i *Issuer) IssueWith(ctx context.Context, c *vc.Credential, format, suite string) (json.RawMessage, error) {
	if c == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: nil credential")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Issuer.ID != i.IssuerID() {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: the credential's issuer %s is not the signer's DID %s", c.Issuer.ID, i.IssuerID())
	}
	if len(c.Proof) > 0 {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: the credential already has a proof")
	}
	switch format {
	case "", vc.FormatLDP:
		// AppendJSON into a pooled buffer, not json.Marshal, which
		// validates and compacts MarshalJSON's output again (half of
		// encoding/json's ~20% of an eddsa-rdfc-2022 signature's CPU in
		// the -cpuprofile of BenchmarkSign, credshare issue 13). Sign
		// copies what it keeps out of b.
		//
		// The document to sign comes from AppendJSONMap, not from
		// proof.Sign decoding b: the same map, without DecodeJSON checking
		// the syntax of what the encoder has just written (json.Valid was
		// ~7% of an eddsa-rdfc-2022 signature's CPU in the -cpuprofile of
		// BenchmarkBulk). The output is what proof.Sign(b) returns, byte
		// for byte (TestIssueWithMatchesProofSign).
		bp := docBufs.Get().(*[]byte)
		defer docBufs.Put(bp)
		b, m, err := c.AppendJSONMap((*bp)[:0])
		if cap(b) <= maxPooled {
			*bp = b[:0]
		}
		switch {
		case err != nil && len(b) == 0:
			return nil, vc.Wrap(vc.ErrInvalid, err, "issuer: encoding")
		case err != nil:
			return nil, err // DecodeJSON's, as proof.Sign returned it
		}
		if err := proof.SignMap(ctx, m, i.cfg.Signer, proof.Options{Suite: suite, Created: i.cfg.Now(), Loader: i.cfg.Loader}); err != nil {
			return nil, err
		}
		return jsonenc.AppendValue(make([]byte, 0, len(b)+512), m)
	case vc.FormatJWT:
		// A compact JWS is base64url and dots: quoting needs no escapes.
		// AppendCredential leaves room for the closing quote.
		out, err := i.jwt.AppendCredential(ctx, []byte{'"'}, c)
		if err != nil {
			return nil, err
		}
		return append(out, '"'), nil
	}
	return nil, vc.Errorf(vc.ErrUnsupported, "issuer: format %q", format)
}

// docBufs holds the buffers IssueWith encodes a credential into before
// signing it; one lives for one call.
var docBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooled bounds the buffers docBufs keeps, so that one huge credential
// does not pin its buffer.
const maxPooled = 64 << 10

// SignDocument adds a proof with suite to any JSON-LD document (a status
// list credential, for instance) whose issuer is the signer's DID.
func (i *Issuer) SignDocument(ctx context.Context, doc []byte, suite string) (json.RawMessage, error) {
	if suite == "" {
		suite = i.cfg.SuiteV2
	}
	return proof.Sign(ctx, doc, i.cfg.Signer, proof.Options{Suite: suite, Created: i.cfg.Now(), Loader: i.cfg.Loader})
}

// PresentOptions shape a presentation proof.
type PresentOptions struct {
	// Suite defaults to eddsa-rdfc-2022.
	Suite string
	// Purpose defaults to "authentication".
	Purpose string
	// Challenge and Domain bind the proof to a verifier's request.
	Challenge, Domain string
	// Created defaults to now.
	Created time.Time
	// Loader defaults to ld.Default().
	Loader *ld.Loader
}

// Present signs a presentation as its holder (DID authentication when it
// carries no credentials). The holder defaults to the signer's DID and
// must be it; a missing @context or type is filled in (VC 2.0).
func Present(ctx context.Context, p vc.Presentation, holder vc.Signer, o PresentOptions) (json.RawMessage, error) {
	if holder == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: Present: no signer")
	}
	d := vc.DIDOf(holder.VerificationMethod())
	if p.Holder == "" {
		p.Holder = d
	}
	if p.Holder != d {
		return nil, vc.Errorf(vc.ErrInvalid, "issuer: Present: holder %s is not the signer's DID %s", p.Holder, d)
	}
	if len(p.Context) == 0 {
		p.Context = vc.Contexts{vc.ContextV2}
	}
	if len(p.Type) == 0 {
		p.Type = vc.Types{"VerifiablePresentation"}
	}
	if o.Purpose == "" {
		o.Purpose = proof.PurposeAuthentication
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return proof.Sign(ctx, b, holder, proof.Options{Suite: o.Suite, Purpose: o.Purpose, Challenge: o.Challenge,
		Domain: o.Domain, Created: o.Created, Loader: o.Loader})
}
