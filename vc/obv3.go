package vc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/google/uuid"
)

// Data model names (as wallets and the issuance records name them).
const (
	// DataModelOBv3 is an Open Badges 3.0 OpenBadgeCredential on VC 2.0.
	DataModelOBv3 = "obv3"
	// DataModelOBv3VC1 is an OpenBadgeCredential on VC 1.1, for older
	// wallets and for DIDKit and aries-framework-go.
	DataModelOBv3VC1 = "obv3-vc1"
)

// OBv3SchemaURL is the OBv3 JSON Schema of an achievement credential.
const OBv3SchemaURL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

// achievementNamespace is the UUIDv5 namespace of achievement ids.
var achievementNamespace = uuid.MustParse("6c0f4bde-4c4e-5a43-9b0e-7a3f2a7c1d55")

// AchievementID returns a stable id for an achievement: the same for every
// learner and every issuance of one template, course or program
// (urn:uuid: with a name-based UUID of issuerID and ref).
func AchievementID(issuerID string, ref credential.AchievementRef) string {
	return "urn:uuid:" + uuid.NewSHA1(achievementNamespace, []byte(issuerID+"\x00"+ref.String())).String()
}

// DefaultAchievementType maps an achievement kind to an OBv3
// achievementType.
func DefaultAchievementType(k credential.Kind) string {
	switch k {
	case credential.KindBadge:
		return "Badge"
	default:
		return "Certificate"
	}
}

// ComposeRequest is what Compose builds an OpenBadgeCredential from.
type ComposeRequest struct {
	// Award is the award the credential attests; required, status awarded.
	Award credential.Award
	// Learner is the award's learner; FullName becomes the subject's name
	// when IncludeName is set, Email its hashed identifier when there is no
	// HolderID.
	Learner credential.Learner
	// Issuer is the issuer's Profile; ID (a DID) and Name are required.
	// Type defaults to ["Profile"].
	Issuer Profile
	// Achievement is the achievement's metadata (name, description,
	// criteria, image, alignment, tags, …); Name is required. An empty ID
	// becomes AchievementID(Issuer.ID, Award.Achievement); an empty Type
	// ["Achievement"]; an empty AchievementType DefaultAchievementType.
	Achievement Achievement
	// HolderID is the holder's DID (the subject's id). When empty the
	// subject is identified by a salted SHA-256 hash of the learner's
	// e-mail address.
	HolderID string
	// IdentitySalt salts the hashed e-mail identifier.
	IdentitySalt string
	// IncludeName puts the learner's full name into the subject.
	IncludeName bool
	// CredentialID is the credential's id; default urn:uuid:<new UUID>.
	CredentialID string
	// Name is the credential's name; default the achievement's name.
	Name string
	// Description is the credential's description.
	Description string
	// Version is V2 (default) or V1.
	Version Version
	// ValidFrom defaults to Award.AwardedAt. ValidUntil is optional.
	ValidFrom, ValidUntil time.Time
	// Status holds the credentialStatus entries (from the status list
	// allocator).
	Status []StatusEntry
	// Evidence is extra evidence; the award's Evidence map is added too.
	Evidence []Evidence
	// Schema adds the OBv3 JSON Schema as credentialSchema.
	Schema bool
}

// Compose builds an Open Badges 3.0 OpenBadgeCredential (unsigned) for an
// award: a course certificate, a program certificate or a badge.
func Compose(req ComposeRequest) (*Credential, error) {
	aw := req.Award
	if err := aw.Validate(); err != nil {
		return nil, Wrap(ErrInvalid, err, "vc: Compose")
	}
	if aw.Status != credential.StatusAwarded {
		return nil, Errorf(ErrInvalid, "vc: Compose: award %s is %s", aw.UUID, aw.Status)
	}
	if !strings.HasPrefix(req.Issuer.ID, "did:") {
		return nil, Errorf(ErrInvalid, "vc: Compose: issuer id %q is not a DID", req.Issuer.ID)
	}
	if req.Issuer.Name == "" {
		return nil, Errorf(ErrInvalid, "vc: Compose: the issuer needs a name")
	}
	if req.Achievement.Name == "" {
		return nil, Errorf(ErrInvalid, "vc: Compose: the achievement needs a name")
	}
	if req.HolderID == "" && req.Learner.Email == "" {
		return nil, Errorf(ErrInvalid, "vc: Compose: neither a holder DID nor a learner e-mail to identify the subject")
	}
	if req.HolderID != "" && !strings.Contains(req.HolderID, ":") {
		return nil, Errorf(ErrInvalid, "vc: Compose: holder id %q is not an IRI", req.HolderID)
	}
	ver := req.Version
	if ver == 0 {
		ver = V2
	}
	iss := req.Issuer
	if len(iss.Type) == 0 {
		iss.Type = Types{"Profile"}
	}
	ach := req.Achievement
	if ach.ID == "" {
		ach.ID = AchievementID(iss.ID, aw.Achievement)
	}
	if len(ach.Type) == 0 {
		ach.Type = Types{"Achievement"}
	}
	if ach.AchievementType == "" {
		ach.AchievementType = DefaultAchievementType(aw.Achievement.Kind)
	}
	if ach.Criteria == nil {
		ach.Criteria = &Criteria{Narrative: defaultNarrative(aw.Achievement.Kind, ach.Name)}
	}
	subj := Subject{ID: req.HolderID, Type: Types{"AchievementSubject"}, Achievement: &ach}
	if req.IncludeName && req.Learner.FullName != "" {
		subj.Name = req.Learner.FullName
	}
	if req.HolderID == "" {
		h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(req.Learner.Email)) + req.IdentitySalt))
		subj.Identifier = []IdentityObject{{
			Type: "IdentityObject", IdentityHash: "sha256$" + hex.EncodeToString(h[:]),
			IdentityType: "emailAddress", Hashed: true, Salt: req.IdentitySalt,
		}}
	}
	id := req.CredentialID
	if id == "" {
		id = "urn:uuid:" + uuid.NewString()
	}
	name := req.Name
	if name == "" {
		name = ach.Name
	}
	from := req.ValidFrom
	if from.IsZero() {
		from = aw.AwardedAt
	}
	from = from.UTC().Truncate(time.Second)
	until := req.ValidUntil.UTC().Truncate(time.Second)
	if !until.IsZero() && !until.After(from) {
		return nil, Errorf(ErrInvalid, "vc: Compose: validUntil %s is not after validFrom %s", until, from)
	}
	c := &Credential{
		ID:                id,
		Type:              Types{"VerifiableCredential", "OpenBadgeCredential"},
		Name:              name,
		Description:       req.Description,
		Issuer:            iss,
		AwardedDate:       aw.AwardedAt.UTC().Truncate(time.Second),
		CredentialSubject: Subjects{subj},
		CredentialStatus:  slices.Clone(req.Status),
	}
	keys := make([]string, 0, len(aw.Evidence))
	for k := range aw.Evidence {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		// An id on every evidence item: VC 1.1 verifiers (aries-framework-go)
		// validate against a schema that requires one.
		c.Evidence = append(c.Evidence, Evidence{ID: id + "#evidence-" + url.PathEscape(k), Type: Types{"Evidence"}, Name: k, Description: aw.Evidence[k]})
	}
	c.Evidence = append(c.Evidence, req.Evidence...)
	if req.Schema {
		c.CredentialSchema = Schemas{{ID: OBv3SchemaURL, Type: "1EdTechJsonSchemaValidator2019"}}
		defer c.AddContext(ContextOBv3Extensions)
	}
	switch ver {
	case V2:
		c.Context = Contexts{ContextV2, ContextOBv3}
		c.ValidFrom, c.ValidUntil = from, until
	case V1:
		c.Context = Contexts{ContextV1, ContextOBv3}
		c.IssuanceDate, c.ExpirationDate = from, until
	default:
		return nil, Errorf(ErrUnsupported, "vc: Compose: data model version %d", ver)
	}
	for _, s := range c.CredentialStatus {
		if s.Type == StatusList2021 {
			c.AddContext(ContextStatusList2021)
		}
		if s.Type == StatusBitstring && ver == V1 {
			c.AddContext(ContextBitstringStatusList)
		}
	}
	return c, nil
}

// ContextOBv3Extensions is the Open Badges 3.0 extensions context, which
// defines the 1EdTechJsonSchemaValidator2019 schema type.
const ContextOBv3Extensions = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"

// ContextBitstringStatusList is the Bitstring Status List context, needed
// for BitstringStatusListEntry on VC 1.1 (VC 2.0's base context has it).
const ContextBitstringStatusList = "https://www.w3.org/ns/credentials/status/v1"

func defaultNarrative(k credential.Kind, name string) string {
	switch k {
	case credential.KindCourseCertificate:
		return fmt.Sprintf("Awarded on completing the course %s with a passing grade.", name)
	case credential.KindProgramCertificate:
		return fmt.Sprintf("Awarded on completing every course of the program %s.", name)
	default:
		return fmt.Sprintf("Awarded on meeting the requirements of the badge %s.", name)
	}
}

// DataModelVersion maps a data model name to its version: DataModelOBv3
// (and "") to V2, DataModelOBv3VC1 to V1.
func DataModelVersion(model string) (Version, error) {
	switch model {
	case "", DataModelOBv3:
		return V2, nil
	case DataModelOBv3VC1:
		return V1, nil
	}
	return 0, Errorf(ErrUnsupported, "vc: unknown data model %q", model)
}
