package vc

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ContextCLR is the Comprehensive Learner Record 2.0 context (2.0.1).
const ContextCLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

// CLRSchemaURL is the CLR 2.0 JSON Schema of a ClrCredential.
const CLRSchemaURL = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"

// Credential and subject types of a CLR 2.0 transcript.
const (
	// TypeClrCredential is the type of a CLR 2.0 credential.
	TypeClrCredential = "ClrCredential"
	// TypeClrSubject is the type of its subject.
	TypeClrSubject = "ClrSubject"
)

// CLR 2.0 association types (Association.AssociationType): how the
// achievement SourceID relates to the achievement TargetID.
const (
	AssociationExactMatchOf = "exactMatchOf"
	AssociationIsChildOf    = "isChildOf"
	AssociationIsParentOf   = "isParentOf"
	AssociationIsPartOf     = "isPartOf"
	AssociationIsPeerOf     = "isPeerOf"
	AssociationIsRelatedTo  = "isRelatedTo"
	AssociationPrecedes     = "precedes"
	AssociationReplacedBy   = "replacedBy"
)

var associationTypes = []string{AssociationExactMatchOf, AssociationIsChildOf, AssociationIsParentOf, AssociationIsPartOf,
	AssociationIsPeerOf, AssociationIsRelatedTo, AssociationPrecedes, AssociationReplacedBy}

// Association relates two achievements of a CLR: SourceID
// AssociationType TargetID ("course isChildOf program").
type Association struct {
	// Type is "Association" (the default).
	Type string `json:"type"`
	// AssociationType is one of the Association* constants.
	AssociationType string `json:"associationType"`
	// SourceID and TargetID are achievement ids of the CLR.
	SourceID string `json:"sourceId"`
	TargetID string `json:"targetId"`
}

// ChildOf returns the associations "child isChildOf parent" for each
// child: the courses of a program, say.
func ChildOf(parent string, children ...string) []Association {
	out := make([]Association, 0, len(children))
	for _, c := range children {
		out = append(out, Association{Type: "Association", AssociationType: AssociationIsChildOf, SourceID: c, TargetID: parent})
	}
	return out
}

// CLRSubject is the typed view of a ClrSubject (Credential.CLR).
type CLRSubject struct {
	ID         string           `json:"id,omitempty"`
	Type       Types            `json:"type"`
	Identifier []IdentityObject `json:"identifier,omitempty"`
	// Achievement lists the achievements of the record.
	Achievement []Achievement `json:"achievement,omitempty"`
	// VerifiableCredential holds the embedded credentials as received
	// (their proofs are checked on these bytes).
	VerifiableCredential []json.RawMessage `json:"verifiableCredential"`
	// Association relates achievements of the record.
	Association []Association `json:"association,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler; a single object is accepted
// where a list is expected (JSON-LD reads both alike).
func (s *CLRSubject) UnmarshalJSON(b []byte) error {
	var x struct {
		ID                   string          `json:"id"`
		Type                 Types           `json:"type"`
		Identifier           json.RawMessage `json:"identifier"`
		Achievement          json.RawMessage `json:"achievement"`
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
		Association          json.RawMessage `json:"association"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*s = CLRSubject{ID: x.ID, Type: x.Type}
	for _, f := range []struct {
		raw json.RawMessage
		dst any
	}{{x.Identifier, &s.Identifier}, {x.Achievement, &s.Achievement}, {x.VerifiableCredential, &s.VerifiableCredential}, {x.Association, &s.Association}} {
		if len(f.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(oneToMany(f.raw), f.dst); err != nil {
			return err
		}
	}
	return nil
}

// CLR returns the ClrSubject of a ClrCredential, or an ErrMalformed error
// when c is not one (not of type ClrCredential, not exactly one subject of
// type ClrSubject, no embedded credential).
func (c *Credential) CLR() (*CLRSubject, error) {
	if !c.Type.Has(TypeClrCredential) {
		return nil, Errorf(ErrMalformed, "vc: not a %s", TypeClrCredential)
	}
	if len(c.CredentialSubject) != 1 {
		return nil, Errorf(ErrMalformed, "vc: a %s has exactly one subject, not %d", TypeClrCredential, len(c.CredentialSubject))
	}
	b, err := json.Marshal(c.CredentialSubject[0])
	if err != nil {
		return nil, Wrap(ErrMalformed, err, "vc: ClrSubject")
	}
	var s CLRSubject
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, Wrap(ErrMalformed, err, "vc: ClrSubject")
	}
	if !s.Type.Has(TypeClrSubject) {
		return nil, Errorf(ErrMalformed, "vc: the subject of a %s is not a %s", TypeClrCredential, TypeClrSubject)
	}
	if len(s.VerifiableCredential) == 0 {
		return nil, Errorf(ErrMalformed, "vc: the %s has no verifiableCredential", TypeClrSubject)
	}
	return &s, nil
}

// ComposeCLRRequest is what ComposeCLR builds a ClrCredential from.
type ComposeCLRRequest struct {
	// Issuer is the CLR's issuer Profile; ID (a DID) and Name are
	// required. Type defaults to ["Profile"]. The embedded credentials may
	// come from other issuers.
	Issuer Profile
	// Credentials are the signed OBv3 credentials the record bundles
	// (OpenBadgeCredential or AchievementCredential, each with an embedded
	// proof — a VC-JWT cannot be embedded); at least one. They are
	// embedded byte for byte.
	Credentials []json.RawMessage
	// HolderID is the learner's DID, the ClrSubject's id; every embedded
	// credential's subject must have it. When empty, the subject is
	// identified like the embedded credentials: by the union of their
	// identifiers (hashed e-mail addresses), and none may have an id.
	HolderID string
	// Achievements lists achievements the record names first (a program
	// whose certificate is not among the credentials, say, or richer
	// descriptions); the embedded credentials' achievements not listed
	// follow, in order. Each id appears once.
	Achievements []Achievement
	// Associations relate achievements of the list (see ChildOf); each
	// SourceID and TargetID must be the id of one of them.
	Associations []Association
	// CredentialID is the CLR's id; default urn:uuid:<new UUID>.
	CredentialID string
	// Name defaults to "Comprehensive Learner Record"; Description is
	// optional.
	Name, Description string
	// Partial marks a record that holds part of the learner's
	// achievements (the CLR "partial" flag).
	Partial bool
	// Version is V2 (default) or V1.
	Version Version
	// ValidFrom defaults to the latest validity start of the embedded
	// credentials; ValidUntil is optional.
	ValidFrom, ValidUntil time.Time
	// Status holds the CLR's own credentialStatus entries.
	Status []StatusEntry
	// Schema adds the CLR 2.0 JSON Schema as credentialSchema.
	Schema bool
}

// ComposeCLR builds a Comprehensive Learner Record 2.0 ClrCredential
// (unsigned): a transcript bundling a learner's signed OBv3 credentials
// (the courses of a program and the program certificate, say), their
// achievements and the associations between them. Sign it with
// issuer.Issue like any credential; verify.Verifier checks the embedded
// credentials' own proofs too.
func ComposeCLR(req ComposeCLRRequest) (*Credential, error) {
	if !strings.HasPrefix(req.Issuer.ID, "did:") {
		return nil, Errorf(ErrInvalid, "vc: ComposeCLR: issuer id %q is not a DID", req.Issuer.ID)
	}
	if req.Issuer.Name == "" {
		return nil, Errorf(ErrInvalid, "vc: ComposeCLR: the issuer needs a name")
	}
	if len(req.Credentials) == 0 {
		return nil, Errorf(ErrInvalid, "vc: ComposeCLR: no credentials to bundle")
	}
	if req.HolderID != "" && !strings.Contains(req.HolderID, ":") {
		return nil, Errorf(ErrInvalid, "vc: ComposeCLR: holder id %q is not an IRI", req.HolderID)
	}
	ver := req.Version
	if ver == 0 {
		ver = V2
	}
	var (
		achievements []Achievement
		seen         = map[string]bool{}
		identifiers  []IdentityObject
		hashes       = map[string]bool{}
		from         time.Time
		embedded     = make([]json.RawMessage, 0, len(req.Credentials))
	)
	for _, a := range req.Achievements {
		if a.ID == "" || a.Name == "" {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: an achievement needs an id and a name")
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			achievements = append(achievements, a)
		}
	}
	for i, raw := range req.Credentials {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d is not a JSON-LD credential with an embedded proof (a VC-JWT cannot be embedded)", i)
		}
		c, err := ParseCredential(raw)
		if err != nil {
			return nil, Wrap(ErrInvalid, err, "vc: ComposeCLR: credential "+itoa(i))
		}
		if !c.Type.Has("OpenBadgeCredential") && !c.Type.Has("AchievementCredential") {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) is not an OpenBadgeCredential", i, c.ID)
		}
		if len(c.Proof) == 0 {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) is not signed", i, c.ID)
		}
		if len(c.CredentialSubject) != 1 || c.CredentialSubject[0].Achievement == nil {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) has no single AchievementSubject", i, c.ID)
		}
		s := c.CredentialSubject[0]
		switch {
		case req.HolderID != "" && s.ID != req.HolderID:
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) is about %q, not the holder %q", i, c.ID, s.ID, req.HolderID)
		case req.HolderID == "" && s.ID != "":
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) is about %q: set HolderID", i, c.ID, s.ID)
		case req.HolderID == "" && len(s.Identifier) == 0:
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: credential %d (%s) identifies no subject", i, c.ID)
		}
		if req.HolderID == "" {
			for _, id := range s.Identifier {
				if !hashes[id.IdentityHash] {
					hashes[id.IdentityHash] = true
					identifiers = append(identifiers, id)
				}
			}
		}
		if a := *s.Achievement; !seen[a.ID] {
			seen[a.ID] = true
			achievements = append(achievements, a)
		}
		if f, _ := c.Validity(); f.After(from) {
			from = f
		}
		embedded = append(embedded, raw)
	}
	for _, a := range req.Associations {
		if !slices.Contains(associationTypes, a.AssociationType) {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: association type %q", a.AssociationType)
		}
		if !seen[a.SourceID] || !seen[a.TargetID] {
			return nil, Errorf(ErrInvalid, "vc: ComposeCLR: association %s %s %s names an achievement not in the record", a.SourceID, a.AssociationType, a.TargetID)
		}
	}
	assoc := slices.Clone(req.Associations)
	for i := range assoc {
		if assoc[i].Type == "" {
			assoc[i].Type = "Association"
		}
	}
	if !req.ValidFrom.IsZero() {
		from = req.ValidFrom
	}
	from = from.UTC().Truncate(time.Second)
	until := req.ValidUntil.UTC().Truncate(time.Second)
	if !until.IsZero() && !until.After(from) {
		return nil, Errorf(ErrInvalid, "vc: ComposeCLR: validUntil %s is not after validFrom %s", until, from)
	}
	extra := Extra{}
	for k, v := range map[string]any{"achievement": achievements, "verifiableCredential": embedded, "association": assoc} {
		if k == "association" && len(assoc) == 0 {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, Wrap(ErrInvalid, err, "vc: ComposeCLR: "+k)
		}
		extra[k] = b
	}
	iss := req.Issuer
	if len(iss.Type) == 0 {
		iss.Type = Types{"Profile"}
	}
	id := req.CredentialID
	if id == "" {
		id = "urn:uuid:" + uuid.NewString()
	}
	name := req.Name
	if name == "" {
		name = "Comprehensive Learner Record"
	}
	c := &Credential{
		ID:          id,
		Type:        Types{"VerifiableCredential", TypeClrCredential},
		Name:        name,
		Description: req.Description,
		Issuer:      iss,
		CredentialSubject: Subjects{{ID: req.HolderID, Type: Types{TypeClrSubject}, Identifier: identifiers,
			Extra: extra}},
		CredentialStatus: slices.Clone(req.Status),
	}
	if req.Partial {
		c.Extra = Extra{"partial": json.RawMessage("true")}
	}
	switch ver {
	case V2:
		c.Context = Contexts{ContextV2, ContextCLR, ContextOBv3}
		c.ValidFrom, c.ValidUntil = from, until
	case V1:
		c.Context = Contexts{ContextV1, ContextCLR, ContextOBv3}
		c.IssuanceDate, c.ExpirationDate = from, until
	default:
		return nil, Errorf(ErrUnsupported, "vc: ComposeCLR: data model version %d", ver)
	}
	if req.Schema {
		c.CredentialSchema = Schemas{{ID: CLRSchemaURL, Type: "1EdTechJsonSchemaValidator2019"}}
		c.AddContext(ContextOBv3Extensions)
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

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
