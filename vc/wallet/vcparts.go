package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/google/uuid"
)

// AchievementFunc returns the metadata of an award's achievement (name,
// description, criteria, image, …) for the credential; the host knows its
// course and program titles, the store its badge templates. repos are the
// issuance transaction's, for reads only.
type AchievementFunc func(ctx context.Context, repos store.Repos, aw credential.Award) (vc.Achievement, error)

// StatusEntryFunc turns an allocated status entry into the credential's
// credentialStatus member for data model version v (a
// BitstringStatusListEntry on VC 2.0, a StatusList2021Entry on VC 1.1);
// the status package knows the list URLs.
type StatusEntryFunc func(ref store.StatusRef, v vc.Version) (vc.StatusEntry, error)

// VCIssuerConfig configures a VCIssuer.
type VCIssuerConfig struct {
	// Profile is the issuer's profile; ID (the issuer's DID, the same as the
	// Service's IssuerID) and Name are required.
	Profile vc.Profile
	// Signer signs (vc/issuer: Data Integrity or Ed25519Signature2020
	// proofs by data model version, or VC-JWT); its DID must be Profile.ID.
	Signer *issuer.Issuer
	// Achievement supplies achievement metadata; required.
	Achievement AchievementFunc
	// Status maps status entries; required.
	Status StatusEntryFunc
	// IncludeName puts the learner's full name into the subject.
	IncludeName bool
	// Schema adds the OBv3 JSON Schema as credentialSchema.
	Schema bool
}

// VCIssuer is the Issuer of the vc packages: vc.Compose builds the Open
// Badges 3.0 credential and vc/issuer signs it as ldp_vc or jwt_vc_json.
type VCIssuer struct{ cfg VCIssuerConfig }

// NewVCIssuer validates cfg and returns the issuer.
func NewVCIssuer(cfg VCIssuerConfig) (*VCIssuer, error) {
	switch {
	case cfg.Profile.ID == "" || cfg.Profile.Name == "":
		return nil, errors.New("wallet: VCIssuerConfig.Profile needs an ID and a Name")
	case cfg.Signer == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Signer is required")
	case cfg.Signer.IssuerID() != cfg.Profile.ID:
		return nil, fmt.Errorf("wallet: the signer is %s, not the issuer %s", cfg.Signer.IssuerID(), cfg.Profile.ID)
	case cfg.Achievement == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Achievement is required")
	case cfg.Status == nil:
		return nil, errors.New("wallet: VCIssuerConfig.Status is required")
	}
	return &VCIssuer{cfg: cfg}, nil
}

// Issue implements Issuer.
func (i *VCIssuer) Issue(ctx context.Context, r IssueRequest) (IssuedCredential, error) {
	if r.IssuerID != i.cfg.Profile.ID {
		return IssuedCredential{}, fmt.Errorf("wallet: issuance record names issuer %s, the signer is %s's", r.IssuerID, i.cfg.Profile.ID)
	}
	if r.Format != vc.FormatLDP && r.Format != vc.FormatJWT {
		return IssuedCredential{}, Fail(ErrUnsupported, "format %q is not produced", clip(r.Format))
	}
	ver, err := vc.DataModelVersion(r.DataModel)
	if err != nil {
		return IssuedCredential{}, Fail(ErrUnsupported, "data model %q is not produced", clip(r.DataModel)).WithCause(err)
	}
	ach, err := i.cfg.Achievement(ctx, r.Repos, r.Award)
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
	signed, err := i.cfg.Signer.Issue(ctx, c, r.Format)
	if err != nil {
		return IssuedCredential{}, err
	}
	return IssuedCredential{ID: c.ID, Format: r.Format, Credential: signed}, nil
}

// StoreAchievements returns the AchievementFunc that describes an award
// from what the store and the award know: a badge from its stored template
// (name, description, image, a criteria narrative); a course or program
// certificate from the titles its certificate event carried, kept as award
// evidence (course_name and mode; program_title and program_type), named
// after its id when the event had none. org, when set, names the
// organisation in certificates' descriptions ("… offered by org").
//
// When other is set it describes course and program certificates instead,
// for a host that knows their titles better (a course catalogue). The
// function reads through repos, the issuance transaction's; a caller
// outside one passes the store.Store itself.
func StoreAchievements(org string, other AchievementFunc) AchievementFunc {
	return func(ctx context.Context, repos store.Repos, aw credential.Award) (vc.Achievement, error) {
		ref := aw.Achievement
		if ref.Kind != credential.KindBadge && other != nil {
			return other(ctx, repos, aw)
		}
		var a vc.Achievement
		switch ref.Kind {
		case credential.KindBadge:
			id, err := uuid.Parse(ref.ID)
			if err != nil {
				return a, fmt.Errorf("wallet: badge template id %q: %w", ref.ID, err)
			}
			if repos == nil {
				return a, errors.New("wallet: no store to read badge template " + id.String())
			}
			tpl, err := repos.Config().GetTemplate(ctx, id)
			if err != nil {
				return a, fmt.Errorf("wallet: badge template %s: %w", id, err)
			}
			a.Name, a.Description = tpl.Name, tpl.Description
			if tpl.ImageURL != "" {
				a.Image = &vc.Image{ID: tpl.ImageURL, Type: "Image"}
			}
			narrative := tpl.Description
			if narrative == "" {
				narrative = "Earned the " + tpl.Name + " badge."
			}
			a.Criteria = &vc.Criteria{Narrative: narrative}
		case credential.KindCourseCertificate:
			name := aw.Evidence["course_name"]
			if name == "" {
				name = ref.ID
			}
			a.Name = name
			a.Description = fmt.Sprintf("Certificate of achievement for the course %s%s.", name, byOrg(org))
			narrative := "Passed the course " + name
			if m := aw.Evidence["mode"]; m != "" {
				narrative += " in the " + m + " track"
			}
			a.Criteria = &vc.Criteria{Narrative: narrative + "."}
			a.HumanCode = ref.ID
		case credential.KindProgramCertificate:
			name := aw.Evidence["program_title"]
			if name == "" {
				name = "program " + ref.ID
			}
			a.Name = name
			kind := aw.Evidence["program_type"]
			if kind == "" {
				kind = "program"
			}
			a.Description = fmt.Sprintf("Certificate of completion of the %s %s%s.", kind, name, byOrg(org))
			a.Criteria = &vc.Criteria{Narrative: "Completed every course of the " + strings.TrimSpace(kind+" "+name) + "."}
		default:
			return a, credential.Invalid("award.achievement.kind", string(ref.Kind))
		}
		return a, nil
	}
}

func byOrg(org string) string {
	if org == "" {
		return ""
	}
	return " offered by " + org
}
