package vc

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/credshare/credshare/vc/internal/jsonenc"
)

// The credential's encoder: one pass over the model into one buffer.
//
// Measured (credshare issue 13, go test -bench JWT -cpu 1 ./vc/jwt and
// -bench Sign ./vc/issuer): with a MarshalJSON per type built on
// encoding/json, signing a VC-JWT spent ~46% of its CPU in
// Credential.MarshalJSON, most of it encoding/json validating and
// compacting each nested type's MarshalJSON output again at every level
// above it (Credential → Subjects → Subject → Achievement → …), plus a
// decode of each level's output into a map to find which members it had
// written. The encoder below writes every level itself and produces the
// same bytes, which TestMarshalMatchesReference and
// FuzzMarshalMatchesReference check against that implementation (kept in
// reference_test.go):
//
//   - members in struct order with the same omitempty/omitzero rules, then
//     the Extra members the struct did not write, sorted by key;
//   - strings escaped as encoding/json does (HTML-safe, \ufffd for invalid
//     UTF-8, \u2028 and \u2029);
//   - raw members (Extra, proofs) copied verbatim at the level whose
//     MarshalJSON is called and compacted and HTML-escaped below it (as
//     encoding/json did to a nested Marshaler's output), an invalid one
//     below the top being an error.

// encoder appends JSON to b.
type encoder struct {
	b []byte
}

// obj tracks the members an object has written: n of them, the bits of
// its names list in written.
type obj struct {
	n       int
	written uint32
}

// member writes the separator and the quoted key q (a constant, already
// escaped, with its colon) of member bit.
func (e *encoder) member(o *obj, bit int, q string) {
	if o.n > 0 {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, q...)
	o.n++
	o.written |= 1 << bit
}

// extra appends the members of x the object has not written (names[i] is
// the key of bit i), sorted, and closes the object.
func (e *encoder) extra(o obj, names []string, x Extra, nested bool) error {
	if len(x) > 0 {
		var arr [8]string
		keys := arr[:0]
	next:
		for k := range x {
			for i, n := range names {
				if o.written&(1<<i) != 0 && n == k {
					continue next
				}
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if o.n > 0 {
				e.b = append(e.b, ',')
			}
			o.n++
			e.b = appendString(e.b, k)
			e.b = append(e.b, ':')
			if err := e.raw(x[k], nested); err != nil {
				return fmt.Errorf("member %q: %w", k, err)
			}
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// raw appends a raw JSON value: verbatim at the top, compacted and
// HTML-escaped (and so validated) below it.
func (e *encoder) raw(v []byte, nested bool) error {
	if !nested {
		e.b = append(e.b, v...)
		return nil
	}
	if len(v) == 0 {
		return fmt.Errorf("vc: empty raw JSON value")
	}
	// json.RawMessage's encoding is encoding/json's compaction of it, the
	// very thing it did to a nested MarshalJSON's output; raw members are
	// rare, so its allocation does not matter.
	out, err := json.Marshal(json.RawMessage(v))
	if err != nil {
		return err
	}
	e.b = append(e.b, out...)
	return nil
}

func (e *encoder) str(s string) { e.b = appendString(e.b, s) }

// types appends a type list (null when nil).
func (e *encoder) types(t Types) {
	if t == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i, s := range t {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) strings(t []string) {
	e.b = append(e.b, '[')
	for i, s := range t {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) contexts(c Contexts) error {
	if c == nil {
		e.b = append(e.b, "null"...)
		return nil
	}
	e.b = append(e.b, '[')
	for i, x := range c {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if s, ok := x.(string); ok {
			e.str(s)
			continue
		}
		// An inline context (a map) or whatever else the caller put there:
		// encoding/json's encoding, as before.
		out, err := json.Marshal(x)
		if err != nil {
			return err
		}
		e.b = append(e.b, out...)
	}
	e.b = append(e.b, ']')
	return nil
}

func (e *encoder) time(o *obj, bit int, q string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	e.member(o, bit, q)
	e.b = append(e.b, '"')
	var err error
	if e.b, err = t.AppendText(e.b); err != nil {
		return err
	}
	e.b = append(e.b, '"')
	return nil
}

var imageNames = []string{"id", "type", "caption"}

func (e *encoder) image(i *Image, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	e.member(&o, 0, `"id":`)
	e.str(i.ID)
	if i.Type != "" {
		e.member(&o, 1, `"type":`)
		e.str(i.Type)
	}
	if i.Caption != "" {
		e.member(&o, 2, `"caption":`)
		e.str(i.Caption)
	}
	return e.extra(o, imageNames, i.Extra, nested)
}

var profileNames = []string{"id", "type", "name", "url", "image", "email", "description"}

func (e *encoder) profile(p *Profile, nested bool) error {
	if len(p.Type) == 0 && p.Name == "" && p.URL == "" && p.Image == nil && p.Email == "" && p.Description == "" && len(p.Extra) == 0 {
		e.str(p.ID)
		return nil
	}
	var o obj
	e.b = append(e.b, '{')
	e.member(&o, 0, `"id":`)
	e.str(p.ID)
	if len(p.Type) > 0 {
		e.member(&o, 1, `"type":`)
		e.types(p.Type)
	}
	if p.Name != "" {
		e.member(&o, 2, `"name":`)
		e.str(p.Name)
	}
	if p.URL != "" {
		e.member(&o, 3, `"url":`)
		e.str(p.URL)
	}
	if p.Image != nil {
		e.member(&o, 4, `"image":`)
		if err := e.image(p.Image, true); err != nil {
			return err
		}
	}
	if p.Email != "" {
		e.member(&o, 5, `"email":`)
		e.str(p.Email)
	}
	if p.Description != "" {
		e.member(&o, 6, `"description":`)
		e.str(p.Description)
	}
	return e.extra(o, profileNames, p.Extra, nested)
}

var criteriaNames = []string{"id", "narrative"}

func (e *encoder) criteria(c *Criteria, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	if c.ID != "" {
		e.member(&o, 0, `"id":`)
		e.str(c.ID)
	}
	if c.Narrative != "" {
		e.member(&o, 1, `"narrative":`)
		e.str(c.Narrative)
	}
	return e.extra(o, criteriaNames, c.Extra, nested)
}

var alignmentNames = []string{"type", "targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode", "targetType"}

func (e *encoder) alignment(a *Alignment, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	e.member(&o, 0, `"type":`)
	e.types(a.Type)
	e.member(&o, 1, `"targetName":`)
	e.str(a.TargetName)
	e.member(&o, 2, `"targetUrl":`)
	e.str(a.TargetURL)
	if a.TargetDescription != "" {
		e.member(&o, 3, `"targetDescription":`)
		e.str(a.TargetDescription)
	}
	if a.TargetFramework != "" {
		e.member(&o, 4, `"targetFramework":`)
		e.str(a.TargetFramework)
	}
	if a.TargetCode != "" {
		e.member(&o, 5, `"targetCode":`)
		e.str(a.TargetCode)
	}
	if a.TargetType != "" {
		e.member(&o, 6, `"targetType":`)
		e.str(a.TargetType)
	}
	return e.extra(o, alignmentNames, a.Extra, nested)
}

var achievementNames = []string{"id", "type", "achievementType", "name", "description", "criteria", "image", "creator",
	"humanCode", "fieldOfStudy", "alignment", "tag"}

func (e *encoder) achievement(a *Achievement, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	e.member(&o, 0, `"id":`)
	e.str(a.ID)
	e.member(&o, 1, `"type":`)
	e.types(a.Type)
	if a.AchievementType != "" {
		e.member(&o, 2, `"achievementType":`)
		e.str(a.AchievementType)
	}
	e.member(&o, 3, `"name":`)
	e.str(a.Name)
	if a.Description != "" {
		e.member(&o, 4, `"description":`)
		e.str(a.Description)
	}
	if a.Criteria != nil {
		e.member(&o, 5, `"criteria":`)
		if err := e.criteria(a.Criteria, true); err != nil {
			return err
		}
	}
	if a.Image != nil {
		e.member(&o, 6, `"image":`)
		if err := e.image(a.Image, true); err != nil {
			return err
		}
	}
	if a.Creator != nil {
		e.member(&o, 7, `"creator":`)
		if err := e.profile(a.Creator, true); err != nil {
			return err
		}
	}
	if a.HumanCode != "" {
		e.member(&o, 8, `"humanCode":`)
		e.str(a.HumanCode)
	}
	if a.FieldOfStudy != "" {
		e.member(&o, 9, `"fieldOfStudy":`)
		e.str(a.FieldOfStudy)
	}
	if len(a.Alignment) > 0 {
		e.member(&o, 10, `"alignment":`)
		e.b = append(e.b, '[')
		for i := range a.Alignment {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.alignment(&a.Alignment[i], true); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
	}
	if len(a.Tag) > 0 {
		e.member(&o, 11, `"tag":`)
		e.strings(a.Tag)
	}
	return e.extra(o, achievementNames, a.Extra, nested)
}

func (e *encoder) identity(x *IdentityObject) {
	e.b = append(e.b, `{"type":`...)
	e.str(x.Type)
	e.b = append(e.b, `,"identityHash":`...)
	e.str(x.IdentityHash)
	e.b = append(e.b, `,"identityType":`...)
	e.str(x.IdentityType)
	if x.Hashed {
		e.b = append(e.b, `,"hashed":true`...)
	} else {
		e.b = append(e.b, `,"hashed":false`...)
	}
	if x.Salt != "" {
		e.b = append(e.b, `,"salt":`...)
		e.str(x.Salt)
	}
	e.b = append(e.b, '}')
}

var subjectNames = []string{"id", "type", "name", "identifier", "achievement"}

func (e *encoder) subject(s *Subject, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	if s.ID != "" {
		e.member(&o, 0, `"id":`)
		e.str(s.ID)
	}
	if len(s.Type) > 0 {
		e.member(&o, 1, `"type":`)
		e.types(s.Type)
	}
	if s.Name != "" {
		e.member(&o, 2, `"name":`)
		e.str(s.Name)
	}
	if len(s.Identifier) > 0 {
		e.member(&o, 3, `"identifier":`)
		e.b = append(e.b, '[')
		for i := range s.Identifier {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.identity(&s.Identifier[i])
		}
		e.b = append(e.b, ']')
	}
	if s.Achievement != nil {
		e.member(&o, 4, `"achievement":`)
		if err := e.achievement(s.Achievement, true); err != nil {
			return err
		}
	}
	return e.extra(o, subjectNames, s.Extra, nested)
}

// subjects appends one subject as an object, any other number as an
// array (null when nil).
func (e *encoder) subjects(s Subjects) error {
	if len(s) == 1 {
		return e.subject(&s[0], true)
	}
	if s == nil {
		e.b = append(e.b, "null"...)
		return nil
	}
	e.b = append(e.b, '[')
	for i := range s {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if err := e.subject(&s[i], true); err != nil {
			return err
		}
	}
	e.b = append(e.b, ']')
	return nil
}

var evidenceNames = []string{"id", "type", "name", "description", "narrative", "genre", "audience"}

func (e *encoder) evidence(x *Evidence, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	if x.ID != "" {
		e.member(&o, 0, `"id":`)
		e.str(x.ID)
	}
	e.member(&o, 1, `"type":`)
	e.types(x.Type)
	for i, f := range [...]struct {
		q, v string
	}{{`"name":`, x.Name}, {`"description":`, x.Description}, {`"narrative":`, x.Narrative}, {`"genre":`, x.Genre}, {`"audience":`, x.Audience}} {
		if f.v != "" {
			e.member(&o, 2+i, f.q)
			e.str(f.v)
		}
	}
	return e.extra(o, evidenceNames, x.Extra, nested)
}

var statusNames = []string{"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}

func (e *encoder) status(s *StatusEntry, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	if s.ID != "" {
		e.member(&o, 0, `"id":`)
		e.str(s.ID)
	}
	e.member(&o, 1, `"type":`)
	e.str(s.Type)
	e.member(&o, 2, `"statusPurpose":`)
	e.str(s.StatusPurpose)
	e.member(&o, 3, `"statusListIndex":`)
	e.str(s.StatusListIndex)
	e.member(&o, 4, `"statusListCredential":`)
	e.str(s.StatusListCredential)
	return e.extra(o, statusNames, s.Extra, nested)
}

// statuses appends one entry as an object, any other number as an array
// (null when nil).
func (e *encoder) statuses(s StatusEntries) error {
	if len(s) == 1 {
		return e.status(&s[0], true)
	}
	if s == nil {
		e.b = append(e.b, "null"...)
		return nil
	}
	e.b = append(e.b, '[')
	for i := range s {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if err := e.status(&s[i], true); err != nil {
			return err
		}
	}
	e.b = append(e.b, ']')
	return nil
}

var credentialNames = []string{"@context", "id", "type", "name", "description", "image", "issuer", "validFrom", "validUntil",
	"issuanceDate", "expirationDate", "awardedDate", "credentialSubject", "evidence", "credentialStatus", "credentialSchema", "proof"}

func (e *encoder) credential(c *Credential, nested bool) error {
	var o obj
	e.b = append(e.b, '{')
	e.member(&o, 0, `"@context":`)
	if err := e.contexts(c.Context); err != nil {
		return err
	}
	if c.ID != "" {
		e.member(&o, 1, `"id":`)
		e.str(c.ID)
	}
	e.member(&o, 2, `"type":`)
	e.types(c.Type)
	if c.Name != "" {
		e.member(&o, 3, `"name":`)
		e.str(c.Name)
	}
	if c.Description != "" {
		e.member(&o, 4, `"description":`)
		e.str(c.Description)
	}
	if c.Image != nil {
		e.member(&o, 5, `"image":`)
		if err := e.image(c.Image, true); err != nil {
			return err
		}
	}
	e.member(&o, 6, `"issuer":`)
	if err := e.profile(&c.Issuer, true); err != nil {
		return err
	}
	if err := e.time(&o, 7, `"validFrom":`, c.ValidFrom); err != nil {
		return err
	}
	if err := e.time(&o, 8, `"validUntil":`, c.ValidUntil); err != nil {
		return err
	}
	if err := e.time(&o, 9, `"issuanceDate":`, c.IssuanceDate); err != nil {
		return err
	}
	if err := e.time(&o, 10, `"expirationDate":`, c.ExpirationDate); err != nil {
		return err
	}
	if err := e.time(&o, 11, `"awardedDate":`, c.AwardedDate); err != nil {
		return err
	}
	e.member(&o, 12, `"credentialSubject":`)
	if err := e.subjects(c.CredentialSubject); err != nil {
		return err
	}
	if len(c.Evidence) > 0 {
		e.member(&o, 13, `"evidence":`)
		e.b = append(e.b, '[')
		for i := range c.Evidence {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.evidence(&c.Evidence[i], true); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
	}
	if len(c.CredentialStatus) > 0 {
		e.member(&o, 14, `"credentialStatus":`)
		if err := e.statuses(c.CredentialStatus); err != nil {
			return err
		}
	}
	if len(c.CredentialSchema) > 0 {
		e.member(&o, 15, `"credentialSchema":`)
		e.b = append(e.b, '[')
		for i, s := range c.CredentialSchema {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, `{"id":`...)
			e.str(s.ID)
			e.b = append(e.b, `,"type":`...)
			e.str(s.Type)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if len(c.Proof) > 0 {
		e.member(&o, 16, `"proof":`)
		if len(c.Proof) == 1 {
			if err := e.raw(c.Proof[0], true); err != nil {
				return fmt.Errorf("proof: %w", err)
			}
		} else {
			out, err := json.Marshal([]json.RawMessage(c.Proof))
			if err != nil {
				return err
			}
			e.b = append(e.b, out...)
		}
	}
	return e.extra(o, credentialNames, c.Extra, nested)
}

// AppendJSON appends c's JSON encoding, the bytes MarshalJSON returns, to
// dst (so a caller such as a JWT signer can write it straight into its own
// buffer).
func (c *Credential) AppendJSON(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	if err := e.credential(c, false); err != nil {
		return dst, fmt.Errorf("vc: encoding the credential: %w", err)
	}
	return e.b, nil
}

// AppendJSONMap is AppendJSON also returning the document the encoding
// decodes to, as DecodeJSON decodes it into a map[string]any (numbers as
// json.Number), with the same errors. When c cannot be encoded it returns
// dst unchanged with AppendJSON's error; otherwise the bytes are the
// encoding appended to dst, and the map shares nothing with them, so they
// may be reused once it is built.
//
// It trusts the encoder's output instead of checking its syntax again:
// everything is written by the encoder or compacted (and so checked) by
// encoding/json, except c's own Extra members, copied raw, which are
// checked here. Measured (credshare issue 13, go test -bench
// Bulk/eddsa-rdfc-2022 -cpu 1 -cpuprofile ./vc/issuer): vc/issuer
// encoding a credential and handing the bytes to proof.Sign, which
// decoded them with DecodeJSON, spent ~7% of an eddsa-rdfc-2022
// signature's CPU in json.Valid re-checking what the encoder had written.
func (c *Credential) AppendJSONMap(dst []byte) ([]byte, map[string]any, error) {
	b, err := c.AppendJSON(dst)
	if err != nil {
		return dst, nil, err
	}
	doc := b[len(dst):]
	for _, v := range c.Extra {
		if !json.Valid(v) {
			// DecodeJSON's error, from encoding/json's decoder.
			var m map[string]any
			if err := DecodeJSON(doc, &m); err != nil {
				return b, nil, err
			}
			return b, m, nil
		}
	}
	if err := CheckJSON(doc); err != nil {
		return b, nil, err
	}
	d := decoder{b: doc}
	m, _ := d.generic().(map[string]any)
	return b, m, nil
}

// appendString appends s as a JSON string escaped exactly as encoding/json
// escapes it (see jsonenc.AppendString).
func appendString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s) }

// encodeWith runs f on a fresh encoder and returns its bytes.
func encodeWith(f func(e *encoder) error) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 256)}
	if err := f(&e); err != nil {
		return nil, err
	}
	return e.b, nil
}
