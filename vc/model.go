package vc

import (
	"bytes"
	"encoding/json"
	"time"
)

// Well-known context URLs.
const (
	// ContextV1 is the VC Data Model 1.1 base context.
	ContextV1 = "https://www.w3.org/2018/credentials/v1"
	// ContextV2 is the VC Data Model 2.0 base context.
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
	// ContextOBv3 is the current Open Badges 3.0.x context (3.0.3).
	ContextOBv3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	// ContextOBv30 is the original Open Badges 3.0 context, accepted when
	// reading.
	ContextOBv30 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
	// ContextEd25519Signature2020 is the Ed25519Signature2020 suite
	// context; it must be in a credential secured with that suite.
	ContextEd25519Signature2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
	// ContextDataIntegrityV2 is the Data Integrity context; a VC 1.1
	// credential secured with a DataIntegrityProof needs it (VC 2.0's base
	// context includes it).
	ContextDataIntegrityV2 = "https://w3id.org/security/data-integrity/v2"
	// ContextStatusList2021 is the StatusList2021 context (VC 1.1 lists).
	ContextStatusList2021 = "https://w3id.org/vc/status-list/2021/v1"
	// ContextDIDv1 is the DID Core context.
	ContextDIDv1 = "https://www.w3.org/ns/did/v1"
	// ContextMultikeyV1 is the Multikey context.
	ContextMultikeyV1 = "https://w3id.org/security/multikey/v1"
)

// Version is a VC Data Model version.
type Version int

// Data model versions.
const (
	// V2 is VC Data Model 2.0 (validFrom, validUntil); the default.
	V2 Version = 2
	// V1 is VC Data Model 1.1 (issuanceDate, expirationDate), for older
	// wallets and verifiers.
	V1 Version = 1
)

// Contexts is a JSON-LD @context: strings (URLs) and, rarely, inline
// context objects (kept as map[string]any). A single string is accepted
// when reading; it is always written as an array.
type Contexts []any

// UnmarshalJSON accepts a string, an object or an array of them.
func (c *Contexts) UnmarshalJSON(b []byte) error {
	var many []any
	if err := json.Unmarshal(oneToMany(b), &many); err != nil {
		return err
	}
	*c = many
	return nil
}

// Has reports whether url is one of the context URLs.
func (c Contexts) Has(url string) bool {
	for _, x := range c {
		if s, ok := x.(string); ok && s == url {
			return true
		}
	}
	return false
}

// Types is a JSON-LD type list. A single string is accepted when reading;
// it is always written as an array, which JSON-LD treats the same. One
// consumer compares a type as a plain string: Digital Bazaar's status
// list checkers require a list credential's credentialSubject "type" to
// be the string "BitstringStatusList" (or "StatusList2021"), so build list
// credentials with that member as a string: leave Subject.Type empty and
// put "type" in Subject.Extra (an Extra member fills a typed member left
// empty).
type Types []string

// UnmarshalJSON accepts a string or an array of strings.
func (t *Types) UnmarshalJSON(b []byte) error {
	var many []string
	if err := json.Unmarshal(oneToMany(b), &many); err != nil {
		return err
	}
	*t = many
	return nil
}

// Has reports whether typ is in t.
func (t Types) Has(typ string) bool {
	for _, x := range t {
		if x == typ {
			return true
		}
	}
	return false
}

func oneToMany(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '[' && !bytes.Equal(b, []byte("null")) {
		out := make([]byte, 0, len(b)+2)
		out = append(out, '[')
		out = append(out, b...)
		return append(out, ']')
	}
	return b
}

// Image is an OBv3 Image: a URL (or data: URI) with an optional caption.
// It is written as an object; a bare string is accepted when reading.
type Image struct {
	ID      string `json:"id"`
	Type    string `json:"type,omitempty"`
	Caption string `json:"caption,omitempty"`
	Extra   Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (i Image) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.image(&i, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Image) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.image(i) })
}

// Profile is an issuer (an OBv3 Profile). When it has nothing but an ID it
// is written as a plain string; a string is accepted when reading.
type Profile struct {
	ID          string `json:"id"`
	Type        Types  `json:"type,omitempty"`
	Name        string `json:"name,omitempty"`
	URL         string `json:"url,omitempty"`
	Image       *Image `json:"image,omitempty"`
	Email       string `json:"email,omitempty"`
	Description string `json:"description,omitempty"`
	Extra       Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (p Profile) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.profile(&p, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Profile) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.profile(p) })
}

// Criteria says how an achievement is earned.
type Criteria struct {
	ID        string `json:"id,omitempty"`
	Narrative string `json:"narrative,omitempty"`
	Extra     Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (c Criteria) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.criteria(&c, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Criteria) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.criteria(c) })
}

// Alignment ties an achievement to a framework or competency.
type Alignment struct {
	Type              Types  `json:"type"`
	TargetName        string `json:"targetName"`
	TargetURL         string `json:"targetUrl"`
	TargetDescription string `json:"targetDescription,omitempty"`
	TargetFramework   string `json:"targetFramework,omitempty"`
	TargetCode        string `json:"targetCode,omitempty"`
	TargetType        string `json:"targetType,omitempty"`
	Extra             Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (a Alignment) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.alignment(&a, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Alignment) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.alignment(a) })
}

// Achievement is an OBv3 Achievement: what was accomplished. Its ID is
// stable per template, course or program, never per learner.
type Achievement struct {
	ID              string      `json:"id"`
	Type            Types       `json:"type"`
	AchievementType string      `json:"achievementType,omitempty"`
	Name            string      `json:"name"`
	Description     string      `json:"description,omitempty"`
	Criteria        *Criteria   `json:"criteria,omitempty"`
	Image           *Image      `json:"image,omitempty"`
	Creator         *Profile    `json:"creator,omitempty"`
	HumanCode       string      `json:"humanCode,omitempty"`
	FieldOfStudy    string      `json:"fieldOfStudy,omitempty"`
	Alignment       []Alignment `json:"alignment,omitempty"`
	Tag             []string    `json:"tag,omitempty"`
	Extra           Extra       `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (a Achievement) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.achievement(&a, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Achievement) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.achievement(a) })
}

// IdentityObject identifies a subject by a (usually hashed) identifier
// such as an e-mail address, for holders without a DID.
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt,omitempty"`
}

// Subject is a credential subject; for OBv3 an AchievementSubject.
type Subject struct {
	ID          string           `json:"id,omitempty"`
	Type        Types            `json:"type,omitempty"`
	Name        string           `json:"name,omitempty"`
	Identifier  []IdentityObject `json:"identifier,omitempty"`
	Achievement *Achievement     `json:"achievement,omitempty"`
	Extra       Extra            `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (s Subject) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.subject(&s, false) })
}

// UnmarshalJSON implements json.Unmarshaler. An "achievement" that is a
// list (a CLR 2.0 ClrSubject's) is kept in Extra and Achievement left nil;
// Credential.CLR reads it.
func (s *Subject) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.subject(s) })
}

// Subjects holds one or more subjects; one is written as an object.
type Subjects []Subject

// MarshalJSON implements json.Marshaler.
func (s Subjects) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.subjects(s) })
}

// UnmarshalJSON accepts an object or an array of objects.
func (s *Subjects) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return many(d, (*[]Subject)(s), d.subject) })
}

// Evidence describes the work that led to an award.
type Evidence struct {
	ID          string `json:"id,omitempty"`
	Type        Types  `json:"type"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Narrative   string `json:"narrative,omitempty"`
	Genre       string `json:"genre,omitempty"`
	Audience    string `json:"audience,omitempty"`
	Extra       Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (e Evidence) MarshalJSON() ([]byte, error) {
	return encodeWith(func(x *encoder) error { return x.evidence(&e, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Evidence) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.evidence(e) })
}

// EvidenceList holds evidence; an object is accepted when reading.
type EvidenceList []Evidence

// UnmarshalJSON accepts an object or an array of objects.
func (l *EvidenceList) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return many(d, (*[]Evidence)(l), d.evidence) })
}

// Status list entry types and purposes.
const (
	// StatusBitstring is a Bitstring Status List v1.0 entry (VC 2.0, and
	// what wallets check).
	StatusBitstring = "BitstringStatusListEntry"
	// StatusList2021 is a StatusList2021 entry (older VC 1.1 verifiers).
	StatusList2021 = "StatusList2021Entry"
	// PurposeRevocation marks a permanent revocation.
	PurposeRevocation = "revocation"
	// PurposeSuspension marks a reversible suspension.
	PurposeSuspension = "suspension"
)

// StatusEntry is one credentialStatus entry.
type StatusEntry struct {
	ID                   string `json:"id,omitempty"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
	Extra                Extra  `json:"-"`
}

// MarshalJSON implements json.Marshaler.
func (s StatusEntry) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.status(&s, false) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *StatusEntry) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.status(s) })
}

// StatusEntries holds one or more entries; one is written as an object.
type StatusEntries []StatusEntry

// MarshalJSON implements json.Marshaler.
func (s StatusEntries) MarshalJSON() ([]byte, error) {
	return encodeWith(func(e *encoder) error { return e.statuses(s) })
}

// UnmarshalJSON accepts an object or an array of objects.
func (s *StatusEntries) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return many(d, (*[]StatusEntry)(s), d.status) })
}

// Schema is a credentialSchema entry.
type Schema struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Schemas holds schema entries; an object is accepted when reading.
type Schemas []Schema

// UnmarshalJSON accepts an object or an array of objects.
func (s *Schemas) UnmarshalJSON(b []byte) error {
	var many []Schema
	if err := json.Unmarshal(oneToMany(b), &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Proofs holds the proofs on a document as raw JSON objects; one is
// written as an object.
type Proofs []json.RawMessage

// MarshalJSON implements json.Marshaler.
func (p Proofs) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return p[0], nil
	}
	return json.Marshal([]json.RawMessage(p))
}

// UnmarshalJSON accepts an object or an array of objects.
func (p *Proofs) UnmarshalJSON(b []byte) error {
	var many []json.RawMessage
	if err := json.Unmarshal(oneToMany(b), &many); err != nil {
		return err
	}
	*p = many
	return nil
}

// Credential is a verifiable credential, VC Data Model 2.0 or 1.1, with
// the Open Badges 3.0 members typed. Members it does not name are kept in
// Extra (and those of its parts in theirs), so a credential read and
// written again loses nothing. Proofs are checked on the bytes received,
// never on a re-encoding of this value.
type Credential struct {
	Context           Contexts      `json:"@context"`
	ID                string        `json:"id,omitempty"`
	Type              Types         `json:"type"`
	Name              string        `json:"name,omitempty"`
	Description       string        `json:"description,omitempty"`
	Image             *Image        `json:"image,omitempty"`
	Issuer            Profile       `json:"issuer"`
	ValidFrom         time.Time     `json:"validFrom,omitzero"`
	ValidUntil        time.Time     `json:"validUntil,omitzero"`
	IssuanceDate      time.Time     `json:"issuanceDate,omitzero"`
	ExpirationDate    time.Time     `json:"expirationDate,omitzero"`
	AwardedDate       time.Time     `json:"awardedDate,omitzero"`
	CredentialSubject Subjects      `json:"credentialSubject"`
	Evidence          EvidenceList  `json:"evidence,omitempty"`
	CredentialStatus  StatusEntries `json:"credentialStatus,omitempty"`
	CredentialSchema  Schemas       `json:"credentialSchema,omitempty"`
	Proof             Proofs        `json:"proof,omitempty"`
	Extra             Extra         `json:"-"`
}

// MarshalJSON implements json.Marshaler: the members in the struct's
// order, then the Extra members the struct did not write, sorted by key
// (encoding/json's bytes; see AppendJSON).
func (c Credential) MarshalJSON() ([]byte, error) {
	return c.AppendJSON(make([]byte, 0, 2048))
}

// UnmarshalJSON implements json.Unmarshaler. It does not apply the size
// and depth limits; ParseCredential does.
func (c *Credential) UnmarshalJSON(b []byte) error {
	return decode(b, func(d *decoder) error { return d.credential(c) })
}

// Version returns V1 when the first context is the VC 1.1 context, V2
// otherwise.
func (c *Credential) Version() Version {
	if len(c.Context) > 0 && c.Context[0] == ContextV1 {
		return V1
	}
	return V2
}

// Validity returns the validity period: validFrom/validUntil for VC 2.0,
// issuanceDate/expirationDate for VC 1.1 (each falling back on the other
// pair). Zero times mean "not set".
func (c *Credential) Validity() (from, until time.Time) {
	from, until = c.ValidFrom, c.ValidUntil
	if from.IsZero() {
		from = c.IssuanceDate
	}
	if until.IsZero() {
		until = c.ExpirationDate
	}
	return from, until
}

// AddContext appends url to the contexts unless it is already there.
func (c *Credential) AddContext(url string) {
	if !c.Context.Has(url) {
		c.Context = append(c.Context, url)
	}
}

// Validate checks the members every credential must have: a base
// context first, a type list with "VerifiableCredential", an issuer id, at
// least one subject, and the issuance date VC 1.1 requires.
func (c *Credential) Validate() error {
	if len(c.Context) == 0 || (c.Context[0] != ContextV1 && c.Context[0] != ContextV2) {
		return Errorf(ErrMalformed, "credential: the first @context must be %s or %s", ContextV2, ContextV1)
	}
	if !c.Type.Has("VerifiableCredential") {
		return Errorf(ErrMalformed, `credential: "type" must include "VerifiableCredential"`)
	}
	if c.Issuer.ID == "" {
		return Errorf(ErrMalformed, "credential: no issuer id")
	}
	if len(c.CredentialSubject) == 0 {
		return Errorf(ErrMalformed, "credential: no credentialSubject")
	}
	if c.Version() == V1 && c.IssuanceDate.IsZero() {
		return Errorf(ErrMalformed, "credential: a VC 1.1 credential needs issuanceDate")
	}
	return nil
}

// ParseCredential decodes a credential, refusing documents over
// MaxDocumentSize or nested deeper than MaxDepth, and validates it.
// Errors match ErrMalformed, ErrTooLarge or ErrTooDeep.
func ParseCredential(b []byte) (*Credential, error) {
	if err := CheckJSON(b); err != nil {
		return nil, err
	}
	var c Credential
	if err := decode(b, func(d *decoder) error { return d.credential(&c) }); err != nil {
		return nil, Wrap(ErrMalformed, err, "credential: decoding")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Presentation is a verifiable presentation: a holder's wrapper around
// credentials, and, with an authentication proof over a challenge, a DID
// authentication.
type Presentation struct {
	Context              Contexts          `json:"@context"`
	ID                   string            `json:"id,omitempty"`
	Type                 Types             `json:"type"`
	Holder               string            `json:"holder,omitempty"`
	VerifiableCredential []json.RawMessage `json:"verifiableCredential,omitempty"`
	Proof                Proofs            `json:"proof,omitempty"`
	Extra                Extra             `json:"-"`
}

type presentationAlias Presentation

// MarshalJSON implements json.Marshaler.
func (p Presentation) MarshalJSON() ([]byte, error) {
	return marshalExtra(presentationAlias(p), p.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Presentation) UnmarshalJSON(b []byte) error {
	var x presentationAlias
	extra, err := unmarshalExtra(oneVCToMany(b), &x)
	*p = Presentation(x)
	p.Extra = extra
	return err
}

func oneVCToMany(b []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	if raw, ok := m["verifiableCredential"]; ok {
		m["verifiableCredential"] = oneToMany(raw)
		if out, err := json.Marshal(m); err == nil {
			return out
		}
	}
	return b
}

// ParsePresentation decodes a presentation under the same limits as
// ParseCredential and checks its base context and type.
func ParsePresentation(b []byte) (*Presentation, error) {
	if err := CheckJSON(b); err != nil {
		return nil, err
	}
	var p Presentation
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, Wrap(ErrMalformed, err, "presentation: decoding")
	}
	if len(p.Context) == 0 || (p.Context[0] != ContextV1 && p.Context[0] != ContextV2) {
		return nil, Errorf(ErrMalformed, "presentation: the first @context must be %s or %s", ContextV2, ContextV1)
	}
	if !p.Type.Has("VerifiablePresentation") {
		return nil, Errorf(ErrMalformed, `presentation: "type" must include "VerifiablePresentation"`)
	}
	return &p, nil
}
