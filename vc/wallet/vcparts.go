package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/ld"
	"github.com/credshare/credshare/vc/proof"
)

// ProofVerifier is the PresentationVerifier of the vc packages: every
// proof on the presentation must verify (vc/proof.Verify) as an
// authentication proof over the expected challenge and domain, by a method
// the controller's DID document lists under "authentication".
type ProofVerifier struct {
	// Resolver resolves verification methods (vc/did.NewResolver()); required.
	Resolver vc.Resolver
	// Loader resolves JSON-LD contexts; default ld.Default().
	Loader *ld.Loader
}

// VerifyPresentation implements PresentationVerifier.
func (v ProofVerifier) VerifyPresentation(ctx context.Context, vp []byte, challenge, domain string) error {
	if v.Resolver == nil {
		return errors.New("wallet: ProofVerifier.Resolver is required")
	}
	_, err := proof.Verify(ctx, vp, proof.Expect{
		Purpose: proof.PurposeAuthentication, Challenge: challenge, Domain: domain,
		Resolver: v.Resolver, Loader: v.Loader,
	})
	return err
}

// AchievementFunc returns the metadata of an award's achievement (name,
// description, criteria, image, …) for the credential; the host knows its
// course and program titles, the store its badge templates.
type AchievementFunc func(ctx context.Context, aw credential.Award) (vc.Achievement, error)

// StatusEntryFunc turns an allocated status entry into the credential's
// credentialStatus member for data model version v (a
// BitstringStatusListEntry on VC 2.0, a StatusList2021Entry on VC 1.1);
// the status package knows the list URLs.
type StatusEntryFunc func(ref store.StatusRef, v vc.Version) (vc.StatusEntry, error)

// JWTSignFunc secures a composed credential as a VC-JWT (compact JWS).
type JWTSignFunc func(ctx context.Context, c *vc.Credential, s vc.Signer) (string, error)

// VCIssuerConfig configures a VCIssuer.
type VCIssuerConfig struct {
	// Profile is the issuer's profile; ID (the issuer's DID, the same as the
	// Service's IssuerID) and Name are required.
	Profile vc.Profile
	// Signer signs; its verification method must belong to Profile.ID.
	Signer vc.Signer
	// Achievement supplies achievement metadata; required.
	Achievement AchievementFunc
	// Status maps status entries; required.
	Status StatusEntryFunc
	// JWT secures jwt_vc_json credentials; nil means the format is not
	// produced (ErrUnsupported).
	JWT JWTSignFunc
	// Suite is the proof suite of ldp_vc credentials on VC 2.0 (default
	// eddsa-rdfc-2022); SuiteV1 the one on VC 1.1 (default
	// Ed25519Signature2020, which every VC 1.1 wallet verifies).
	Suite, SuiteV1 string
	// IncludeName puts the learner's full name into the subject.
	IncludeName bool
	// Schema adds the OBv3 JSON Schema as credentialSchema.
	Schema bool
	// Loader resolves JSON-LD contexts; default ld.Default().
	Loader *ld.Loader
}

// VCIssuer is the Issuer of the vc packages: vc.Compose builds the Open
// Badges 3.0 credential, vc/proof signs it (ldp_vc) or JWT does (jwt_vc_json).
type VCIssuer struct{ cfg VCIssuerConfig }

// NewVCIssuer validates cfg and returns the issuer.
func NewVCIssuer(cfg VCIssuerConfig) (*VCIssuer, error) {
	switch {
	case cfg.Profile.ID == "" || cfg.Profile.Name == "":
		return nil, errors.New("wallet: VCIssuerConfig.Profile needs an ID and a Name")
	case cfg.Signer == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Signer is required")
	case vc.DIDOf(cfg.Signer.VerificationMethod()) != cfg.Profile.ID:
		return nil, fmt.Errorf("wallet: the signer's method %s is not a key of the issuer %s", cfg.Signer.VerificationMethod(), cfg.Profile.ID)
	case cfg.Achievement == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Achievement is required")
	case cfg.Status == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Status is required")
	}
	if cfg.Suite == "" {
		cfg.Suite = proof.SuiteEddsaRdfc2022
	}
	if cfg.SuiteV1 == "" {
		cfg.SuiteV1 = proof.SuiteEd25519Signature2020
	}
	return &VCIssuer{cfg: cfg}, nil
}

// Formats returns the formats the issuer produces (for Config.Formats).
func (i *VCIssuer) Formats() []string {
	if i.cfg.JWT == nil {
		return []string{vc.FormatLDP}
	}
	return []string{vc.FormatLDP, vc.FormatJWT}
}

// Issue implements Issuer.
func (i *VCIssuer) Issue(ctx context.Context, r IssueRequest) (IssuedCredential, error) {
	if r.IssuerID != i.cfg.Profile.ID {
		return IssuedCredential{}, fmt.Errorf("wallet: issuance record names issuer %s, the signer is %s's", r.IssuerID, i.cfg.Profile.ID)
	}
	ver, err := vc.DataModelVersion(r.DataModel)
	if err != nil {
		return IssuedCredential{}, Fail(ErrUnsupported, "%s", err.Error())
	}
	if r.Format == vc.FormatJWT && i.cfg.JWT == nil {
		return IssuedCredential{}, Fail(ErrUnsupported, "this issuer does not produce %s credentials", vc.FormatJWT)
	}
	ach, err := i.cfg.Achievement(ctx, r.Award)
	if err != nil {
		return IssuedCredential{}, fmt.Errorf("wallet: achievement of award %s: %w", r.Award.UUID, err)
	}
	status := make([]vc.StatusEntry, 0, len(r.Status))
	for _, ref := range r.Status {
		e, err := i.cfg.Status(ref, ver)
		if err != nil {
			return IssuedCredential{}, fmt.Errorf("wallet: status entry %+v: %w", ref, err)
		}
		status = append(status, e)
	}
	c, err := vc.Compose(vc.ComposeRequest{
		Award: r.Award, Learner: r.Learner, Issuer: i.cfg.Profile, Achievement: ach,
		HolderID: r.HolderDID, IncludeName: i.cfg.IncludeName, CredentialID: r.CredentialID,
		Version: ver, ValidFrom: r.IssuedAt, Status: status, Schema: i.cfg.Schema,
	})
	if err != nil {
		return IssuedCredential{}, err
	}
	switch r.Format {
	case vc.FormatLDP:
		doc, err := json.Marshal(c)
		if err != nil {
			return IssuedCredential{}, err
		}
		suite := i.cfg.Suite
		if ver == vc.V1 {
			suite = i.cfg.SuiteV1
		}
		signed, err := proof.Sign(ctx, doc, i.cfg.Signer, proof.Options{Suite: suite, Created: r.IssuedAt, Loader: i.cfg.Loader})
		if err != nil {
			return IssuedCredential{}, err
		}
		return IssuedCredential{ID: c.ID, Format: vc.FormatLDP, Credential: signed}, nil
	case vc.FormatJWT:
		jwt, err := i.cfg.JWT(ctx, c, i.cfg.Signer)
		if err != nil {
			return IssuedCredential{}, err
		}
		q, _ := json.Marshal(jwt)
		return IssuedCredential{ID: c.ID, Format: vc.FormatJWT, Credential: q}, nil
	}
	return IssuedCredential{}, Fail(ErrUnsupported, "format %q is not produced", clip(r.Format))
}
