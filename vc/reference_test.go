package vc

// The reference implementation of the credential's JSON encoding and
// decoding: the model's types as they were before the one-pass encoder
// (encode.go) and decoder (decode.go), with their MarshalJSON and
// UnmarshalJSON built on encoding/json, kept to test that the new code
// writes the same bytes and reads the same values (differential_test.go).
// The types have the same layout as the model's, so a *Credential and a
// *refCredential convert with unsafe (TestReferenceLayout checks it).

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

func refOneToMany(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '[' && !bytes.Equal(b, []byte("null")) {
		out := make([]byte, 0, len(b)+2)
		out = append(out, '[')
		out = append(out, b...)
		return append(out, ']')
	}
	return b
}

// refImage is an OBv3 refImage: a URL (or data: URI) with an optional caption.
// It is written as an object; a bare string is accepted when reading.
type refImage struct {
	ID      string `json:"id"`
	Type    string `json:"type,omitempty"`
	Caption string `json:"caption,omitempty"`
	Extra   Extra  `json:"-"`
}

type refImageAlias refImage

// MarshalJSON implements json.Marshaler.
func (i refImage) MarshalJSON() ([]byte, error) { return refMarshalExtra(refImageAlias(i), i.Extra) }

// UnmarshalJSON implements json.Unmarshaler.
func (i *refImage) UnmarshalJSON(b []byte) error {
	if s, ok := refAsString(b); ok {
		*i = refImage{ID: s}
		return nil
	}
	var a refImageAlias
	extra, err := refUnmarshalExtra(b, &a)
	*i = refImage(a)
	i.Extra = extra
	return err
}

func refAsString(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// refProfile is an issuer (an OBv3 refProfile). When it has nothing but an ID it
// is written as a plain string; a string is accepted when reading.
type refProfile struct {
	ID          string    `json:"id"`
	Type        Types     `json:"type,omitempty"`
	Name        string    `json:"name,omitempty"`
	URL         string    `json:"url,omitempty"`
	Image       *refImage `json:"image,omitempty"`
	Email       string    `json:"email,omitempty"`
	Description string    `json:"description,omitempty"`
	Extra       Extra     `json:"-"`
}

type refProfileAlias refProfile

// MarshalJSON implements json.Marshaler.
func (p refProfile) MarshalJSON() ([]byte, error) {
	if len(p.Type) == 0 && p.Name == "" && p.URL == "" && p.Image == nil && p.Email == "" && p.Description == "" && len(p.Extra) == 0 {
		return json.Marshal(p.ID)
	}
	return refMarshalExtra(refProfileAlias(p), p.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *refProfile) UnmarshalJSON(b []byte) error {
	if s, ok := refAsString(b); ok {
		*p = refProfile{ID: s}
		return nil
	}
	var a refProfileAlias
	extra, err := refUnmarshalExtra(b, &a)
	*p = refProfile(a)
	p.Extra = extra
	return err
}

// refCriteria says how an achievement is earned.
type refCriteria struct {
	ID        string `json:"id,omitempty"`
	Narrative string `json:"narrative,omitempty"`
	Extra     Extra  `json:"-"`
}

type refCriteriaAlias refCriteria

// MarshalJSON implements json.Marshaler.
func (c refCriteria) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refCriteriaAlias(c), c.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *refCriteria) UnmarshalJSON(b []byte) error {
	var a refCriteriaAlias
	extra, err := refUnmarshalExtra(b, &a)
	*c = refCriteria(a)
	c.Extra = extra
	return err
}

// refAlignment ties an achievement to a framework or competency.
type refAlignment struct {
	Type              Types  `json:"type"`
	TargetName        string `json:"targetName"`
	TargetURL         string `json:"targetUrl"`
	TargetDescription string `json:"targetDescription,omitempty"`
	TargetFramework   string `json:"targetFramework,omitempty"`
	TargetCode        string `json:"targetCode,omitempty"`
	TargetType        string `json:"targetType,omitempty"`
	Extra             Extra  `json:"-"`
}

type refAlignmentAlias refAlignment

// MarshalJSON implements json.Marshaler.
func (a refAlignment) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refAlignmentAlias(a), a.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *refAlignment) UnmarshalJSON(b []byte) error {
	var x refAlignmentAlias
	extra, err := refUnmarshalExtra(b, &x)
	*a = refAlignment(x)
	a.Extra = extra
	return err
}

// refAchievement is an OBv3 refAchievement: what was accomplished. Its ID is
// stable per template, course or program, never per learner.
type refAchievement struct {
	ID              string         `json:"id"`
	Type            Types          `json:"type"`
	AchievementType string         `json:"achievementType,omitempty"`
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	Criteria        *refCriteria   `json:"criteria,omitempty"`
	Image           *refImage      `json:"image,omitempty"`
	Creator         *refProfile    `json:"creator,omitempty"`
	HumanCode       string         `json:"humanCode,omitempty"`
	FieldOfStudy    string         `json:"fieldOfStudy,omitempty"`
	Alignment       []refAlignment `json:"alignment,omitempty"`
	Tag             []string       `json:"tag,omitempty"`
	Extra           Extra          `json:"-"`
}

type refAchievementAlias refAchievement

// MarshalJSON implements json.Marshaler.
func (a refAchievement) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refAchievementAlias(a), a.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *refAchievement) UnmarshalJSON(b []byte) error {
	var x refAchievementAlias
	extra, err := refUnmarshalExtra(b, &x)
	*a = refAchievement(x)
	a.Extra = extra
	return err
}

// refSubject is a credential subject; for OBv3 an AchievementSubject.
type refSubject struct {
	ID          string           `json:"id,omitempty"`
	Type        Types            `json:"type,omitempty"`
	Name        string           `json:"name,omitempty"`
	Identifier  []IdentityObject `json:"identifier,omitempty"`
	Achievement *refAchievement  `json:"achievement,omitempty"`
	Extra       Extra            `json:"-"`
}

type refSubjectAlias refSubject

// MarshalJSON implements json.Marshaler.
func (s refSubject) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refSubjectAlias(s), s.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *refSubject) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	var list json.RawMessage
	if a, ok := all["achievement"]; ok && len(bytes.TrimSpace(a)) > 0 && bytes.TrimSpace(a)[0] == '[' {
		list = a
		delete(all, "achievement")
		var err error
		if b, err = json.Marshal(all); err != nil {
			return err
		}
	}
	var x refSubjectAlias
	extra, err := refUnmarshalExtra(b, &x)
	*s = refSubject(x)
	if list != nil {
		if extra == nil {
			extra = Extra{}
		}
		extra["achievement"] = list
	}
	s.Extra = extra
	return err
}

// refSubjects holds one or more subjects; one is written as an object.
type refSubjects []refSubject

// MarshalJSON implements json.Marshaler.
func (s refSubjects) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]refSubject(s))
}

// UnmarshalJSON accepts an object or an array of objects.
func (s *refSubjects) UnmarshalJSON(b []byte) error {
	var many []refSubject
	if err := json.Unmarshal(refOneToMany(b), &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// refEvidence describes the work that led to an award.
type refEvidence struct {
	ID          string `json:"id,omitempty"`
	Type        Types  `json:"type"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Narrative   string `json:"narrative,omitempty"`
	Genre       string `json:"genre,omitempty"`
	Audience    string `json:"audience,omitempty"`
	Extra       Extra  `json:"-"`
}

type refEvidenceAlias refEvidence

// MarshalJSON implements json.Marshaler.
func (e refEvidence) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refEvidenceAlias(e), e.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *refEvidence) UnmarshalJSON(b []byte) error {
	var x refEvidenceAlias
	extra, err := refUnmarshalExtra(b, &x)
	*e = refEvidence(x)
	e.Extra = extra
	return err
}

// refEvidenceList holds evidence; an object is accepted when reading.
type refEvidenceList []refEvidence

// UnmarshalJSON accepts an object or an array of objects.
func (l *refEvidenceList) UnmarshalJSON(b []byte) error {
	var many []refEvidence
	if err := json.Unmarshal(refOneToMany(b), &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// refStatusEntry is one credentialStatus entry.
type refStatusEntry struct {
	ID                   string `json:"id,omitempty"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
	Extra                Extra  `json:"-"`
}

type refStatusAlias refStatusEntry

// MarshalJSON implements json.Marshaler.
func (s refStatusEntry) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refStatusAlias(s), s.Extra)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *refStatusEntry) UnmarshalJSON(b []byte) error {
	var x refStatusAlias
	extra, err := refUnmarshalExtra(b, &x)
	*s = refStatusEntry(x)
	s.Extra = extra
	return err
}

// refStatusEntries holds one or more entries; one is written as an object.
type refStatusEntries []refStatusEntry

// MarshalJSON implements json.Marshaler.
func (s refStatusEntries) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]refStatusEntry(s))
}

// UnmarshalJSON accepts an object or an array of objects.
func (s *refStatusEntries) UnmarshalJSON(b []byte) error {
	var many []refStatusEntry
	if err := json.Unmarshal(refOneToMany(b), &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// refCredential is a verifiable credential, VC Data Model 2.0 or 1.1, with
// the Open Badges 3.0 members typed. Members it does not name are kept in
// Extra (and those of its parts in theirs), so a credential read and
// written again loses nothing. Proofs are checked on the bytes received,
// never on a re-encoding of this value.
type refCredential struct {
	Context           Contexts         `json:"@context"`
	ID                string           `json:"id,omitempty"`
	Type              Types            `json:"type"`
	Name              string           `json:"name,omitempty"`
	Description       string           `json:"description,omitempty"`
	Image             *refImage        `json:"image,omitempty"`
	Issuer            refProfile       `json:"issuer"`
	ValidFrom         time.Time        `json:"validFrom,omitzero"`
	ValidUntil        time.Time        `json:"validUntil,omitzero"`
	IssuanceDate      time.Time        `json:"issuanceDate,omitzero"`
	ExpirationDate    time.Time        `json:"expirationDate,omitzero"`
	AwardedDate       time.Time        `json:"awardedDate,omitzero"`
	CredentialSubject refSubjects      `json:"credentialSubject"`
	Evidence          refEvidenceList  `json:"evidence,omitempty"`
	CredentialStatus  refStatusEntries `json:"credentialStatus,omitempty"`
	CredentialSchema  Schemas          `json:"credentialSchema,omitempty"`
	Proof             Proofs           `json:"proof,omitempty"`
	Extra             Extra            `json:"-"`
}

type refCredentialAlias refCredential

// MarshalJSON implements json.Marshaler.
func (c refCredential) MarshalJSON() ([]byte, error) {
	return refMarshalExtra(refCredentialAlias(c), c.Extra)
}

// UnmarshalJSON implements json.Unmarshaler. It does not apply the size
// and depth limits; ParseCredential does.
func (c *refCredential) UnmarshalJSON(b []byte) error {
	var x refCredentialAlias
	extra, err := refUnmarshalExtra(b, &x)
	*c = refCredential(x)
	c.Extra = extra
	return err
}

var refKnownKeys sync.Map // reflect.Type -> map[string]bool

func refKeysOf(t reflect.Type) map[string]bool {
	if k, ok := refKnownKeys.Load(t); ok {
		return k.(map[string]bool)
	}
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		m[name] = true
	}
	refKnownKeys.Store(t, m)
	return m
}

// refMarshalExtra marshals v (a struct value of an alias type without methods)
// and adds the members of extra that v's encoding does not hold.
func refMarshalExtra(v any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	// Members the struct wrote win; an Extra member fills a typed member
	// left empty (so Extra can carry a shape the typed field cannot).
	var written map[string]json.RawMessage
	if err := json.Unmarshal(b, &written); err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(written))
	for k := range written {
		known[k] = true
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	first := len(b) == 2
	// Deterministic order keeps signatures over JCS and test output stable.
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// refUnmarshalExtra decodes b into v (a pointer to a struct of an alias type)
// and returns the members v's type does not name.
func refUnmarshalExtra(b []byte, v any) (Extra, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	known := refKeysOf(reflect.TypeOf(v).Elem())
	var extra Extra
	for k, raw := range all {
		if known[k] {
			continue
		}
		if extra == nil {
			extra = Extra{}
		}
		extra[k] = raw
	}
	return extra, nil
}
