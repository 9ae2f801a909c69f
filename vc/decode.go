package vc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The credential's decoder: one walk over a document json.Valid has
// accepted, each level read once.
//
// Measured (credshare issue 13, -bench Verify ./vc/issuer and -bench JWT
// ./vc/jwt, -cpu 1): with an UnmarshalJSON per type built on
// encoding/json, ParseCredential was ~37–54% of verifying a credential:
// every level was decoded twice (into its struct, then into a map for the
// members the struct does not name) and each UnmarshalJSON validated its
// bytes again, so the cost grew with depth. The walk below reads the
// value encoding/json would have produced — the same fields, the same
// Extra members (raw bytes of the input), the same acceptance, including
// encoding/json's quirks: keys matched case-insensitively when no key
// matches exactly (such a key also lands in Extra), null leaving a string
// or time as it was, a repeated key decoding into what the first one
// left. TestParseMatchesReference and FuzzParseMatchesReference check it
// against that implementation (kept in reference_test.go).

// decoder walks a valid JSON document.
type decoder struct {
	b     []byte // a private copy of the document: raw members are slices of it
	i     int
	stack []any // generic's array elements being collected
}

// decode checks that b is one JSON value, copies it and runs f at its
// start.
func decode(b []byte, f func(d *decoder) error) error {
	if !json.Valid(b) {
		// encoding/json's syntax error, for the message.
		var v json.RawMessage
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		return fmt.Errorf("invalid JSON")
	}
	d := decoder{b: bytes.Clone(b)}
	d.ws()
	return f(&d)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next returns the first byte of the value at d.i (after whitespace).
func (d *decoder) next() byte {
	d.ws()
	return d.b[d.i]
}

func (d *decoder) skipString() {
	i := d.i + 1
	for {
		switch d.b[i] {
		case '"':
			d.i = i + 1
			return
		case '\\':
			i += 2
			continue
		}
		i++
	}
}

// skip consumes the value at d.i.
func (d *decoder) skip() {
	d.ws()
	switch d.b[d.i] {
	case '"':
		d.skipString()
	case '{', '[':
		depth := 0
		for {
			switch d.b[d.i] {
			case '"':
				d.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					d.i++
					return
				}
			}
			d.i++
		}
	default: // a number or a literal
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			d.i++
		}
	}
}

// raw consumes the value at d.i and returns its bytes (capacity capped, so
// appending to one cannot overwrite the next).
func (d *decoder) raw() []byte {
	d.ws()
	s := d.i
	d.skip()
	return d.b[s:d.i:d.i]
}

// quoted consumes the string at d.i and returns its contents, unescaped
// as encoding/json unescapes them (invalid UTF-8 becomes U+FFFD). The
// result aliases d.b when the string needs no unescaping.
func (d *decoder) quoted() []byte {
	s := d.i
	d.skipString()
	in := d.b[s+1 : d.i-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return in
	}
	var out string
	_ = json.Unmarshal(d.b[s:d.i], &out) // a valid string literal
	return []byte(out)
}

type typeError struct {
	what string
	got  byte
}

func (e *typeError) Error() string {
	kind := "a number"
	switch e.got {
	case '"':
		kind = "a string"
	case '{':
		kind = "an object"
	case '[':
		kind = "an array"
	case 't', 'f':
		kind = "a boolean"
	case 'n':
		kind = "null"
	}
	return e.what + " is " + kind
}

func (d *decoder) mismatch(what string) error { return &typeError{what: what, got: d.next()} }

// isNull consumes a null at d.i and reports whether there was one.
func (d *decoder) isNull() bool {
	if d.next() == 'n' {
		d.i += 4
		return true
	}
	return false
}

// object walks the object at d.i (which must be one), calling f with each
// key (valid until f returns) and d.i at the member's value, which f
// consumes.
func (d *decoder) object(f func(key []byte) error) error {
	d.i++ // {
	if d.next() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		k := d.quoted()
		d.ws()
		d.i++ // :
		d.ws()
		if err := f(k); err != nil {
			return err
		}
		d.ws()
		c := d.b[d.i]
		d.i++
		if c == '}' {
			return nil
		}
	}
}

// array walks the array at d.i (which must be one), calling f with d.i at
// each element, which f consumes.
func (d *decoder) array(f func() error) error {
	d.i++ // [
	if d.next() == ']' {
		d.i++
		return nil
	}
	for {
		if err := f(); err != nil {
			return err
		}
		d.ws()
		c := d.b[d.i]
		d.i++
		if c == ']' {
			return nil
		}
		d.ws()
	}
}

// fold returns the index of the name key matches case-insensitively as
// encoding/json matches it (bytes.EqualFold), or -1.
func fold(key []byte, names []string) int {
	for i, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return i
		}
	}
	return -1
}

// members walks an object with Extra: field(i) decodes the member of
// names[i]; a key that is not exactly one of names goes into *extra (and,
// matching one case-insensitively, into that field too, as encoding/json
// did).
func (d *decoder) members(names []string, extra *Extra, exact func(key []byte) int, field func(i int) error) error {
	return d.object(func(key []byte) error {
		i := exact(key)
		if i >= 0 {
			return field(i)
		}
		s := d.i
		if i = fold(key, names); i >= 0 {
			if err := field(i); err != nil {
				return err
			}
		} else {
			d.skip()
		}
		if *extra == nil {
			*extra = Extra{}
		}
		(*extra)[string(key)] = d.b[s:d.i:d.i]
		return nil
	})
}

// str decodes a string into *p; null leaves it.
func (d *decoder) str(p *string, what string) error {
	switch d.next() {
	case '"':
		*p = string(d.quoted())
		return nil
	case 'n':
		d.i += 4
		return nil
	}
	return d.mismatch(what)
}

// types decodes a Types (a string or an array of strings; null is nil).
func (d *decoder) types(p *Types, what string) error {
	switch d.next() {
	case 'n':
		d.i += 4
		*p = nil
		return nil
	case '"':
		*p = Types{string(d.quoted())}
		return nil
	case '[':
		t := Types{}
		err := d.array(func() error {
			var s string
			if err := d.str(&s, what); err != nil {
				return err
			}
			t = append(t, s)
			return nil
		})
		*p = t
		return err
	}
	return d.mismatch(what)
}

// growOne extends s by one element as encoding/json's array decoding does
// (reflect.Value.Grow(1) at capacity, else reslicing — an element left
// from an earlier, longer value reappears).
func growOne[E any](s []E) []E {
	if len(s) == cap(s) {
		var zero E
		return append(s, zero)
	}
	return s[:len(s)+1]
}

// strings decodes a []string into what *p holds (null elements keep
// their strings), as encoding/json does.
func (d *decoder) strings(p *[]string, what string) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	if d.next() != '[' {
		return d.mismatch(what)
	}
	s, i := *p, 0
	err := d.array(func() error {
		if i >= len(s) {
			s = growOne(s)
		}
		i++
		return d.str(&s[i-1], what)
	})
	if i == 0 {
		s = []string{}
	}
	*p = s[:i]
	return err
}

func (d *decoder) time(p interface{ UnmarshalJSON([]byte) error }) error {
	return p.UnmarshalJSON(d.raw())
}

// contexts decodes a @context as Contexts.UnmarshalJSON does.
func (d *decoder) contexts(p *Contexts) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	elem := func() error {
		if d.next() == '"' {
			*p = append(*p, string(d.quoted()))
			return nil
		}
		var x any
		if err := json.Unmarshal(d.raw(), &x); err != nil {
			return err
		}
		*p = append(*p, x)
		return nil
	}
	*p = Contexts{}
	if d.next() != '[' {
		return elem()
	}
	return d.array(elem)
}

// many decodes a list of which one element may stand alone (Subjects,
// EvidenceList, StatusEntries, Schemas): null is nil, an array its
// elements, anything else one element.
func many[E any](d *decoder, p *[]E, elem func(*E) error) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	one := func() error {
		*p = append(*p, *new(E))
		return elem(&(*p)[len(*p)-1])
	}
	if d.next() != '[' {
		*p = nil
		return one()
	}
	*p = []E{}
	return d.array(one)
}

func exactIn(names []string) func(key []byte) int {
	return func(key []byte) int {
		for i, n := range names {
			if string(key) == n {
				return i
			}
		}
		return -1
	}
}

// image decodes an Image (a string is its id; null the zero Image).
func (d *decoder) image(x *Image) error {
	*x = Image{}
	switch d.next() {
	case 'n':
		d.i += 4
		return nil
	case '"':
		x.ID = string(d.quoted())
		return nil
	case '{':
	default:
		return d.mismatch("image")
	}
	return d.members(imageNames, &x.Extra, exactIn(imageNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "image id")
		case 1:
			return d.str(&x.Type, "image type")
		default:
			return d.str(&x.Caption, "image caption")
		}
	})
}

// ptr decodes into *p with dec, allocating it; null sets it to nil.
func ptr[T any](d *decoder, p **T, dec func(*T) error) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	if *p == nil {
		*p = new(T)
	}
	return dec(*p)
}

func (d *decoder) profile(x *Profile) error {
	*x = Profile{}
	switch d.next() {
	case 'n':
		d.i += 4
		return nil
	case '"':
		x.ID = string(d.quoted())
		return nil
	case '{':
	default:
		return d.mismatch("profile")
	}
	return d.members(profileNames, &x.Extra, exactIn(profileNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "profile id")
		case 1:
			return d.types(&x.Type, "profile type")
		case 2:
			return d.str(&x.Name, "profile name")
		case 3:
			return d.str(&x.URL, "profile url")
		case 4:
			return ptr(d, &x.Image, d.image)
		case 5:
			return d.str(&x.Email, "profile email")
		default:
			return d.str(&x.Description, "profile description")
		}
	})
}

// open resets an object-only value: null leaves it zero (done), an object
// is walked, anything else is an error.
func (d *decoder) open(what string) (done bool, err error) {
	switch d.next() {
	case 'n':
		d.i += 4
		return true, nil
	case '{':
		return false, nil
	}
	return true, d.mismatch(what)
}

func (d *decoder) criteria(x *Criteria) error {
	*x = Criteria{}
	if done, err := d.open("criteria"); done {
		return err
	}
	return d.members(criteriaNames, &x.Extra, exactIn(criteriaNames), func(i int) error {
		if i == 0 {
			return d.str(&x.ID, "criteria id")
		}
		return d.str(&x.Narrative, "criteria narrative")
	})
}

func (d *decoder) alignment(x *Alignment) error {
	*x = Alignment{}
	if done, err := d.open("alignment"); done {
		return err
	}
	return d.members(alignmentNames, &x.Extra, exactIn(alignmentNames), func(i int) error {
		switch i {
		case 0:
			return d.types(&x.Type, "alignment type")
		case 1:
			return d.str(&x.TargetName, "alignment member")
		case 2:
			return d.str(&x.TargetURL, "alignment member")
		case 3:
			return d.str(&x.TargetDescription, "alignment member")
		case 4:
			return d.str(&x.TargetFramework, "alignment member")
		case 5:
			return d.str(&x.TargetCode, "alignment member")
		default:
			return d.str(&x.TargetType, "alignment member")
		}
	})
}

// alignments decodes the []Alignment into what *p holds, as encoding/json
// does (each element replaced by Alignment's decoding).
func (d *decoder) alignments(p *[]Alignment) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	if d.next() != '[' {
		return d.mismatch("alignment")
	}
	s, i := *p, 0
	err := d.array(func() error {
		if i >= len(s) {
			s = growOne(s)
		}
		i++
		return d.alignment(&s[i-1])
	})
	if i == 0 {
		s = []Alignment{}
	}
	*p = s[:i]
	return err
}

func (d *decoder) achievement(x *Achievement) error {
	*x = Achievement{}
	if done, err := d.open("achievement"); done {
		return err
	}
	return d.members(achievementNames, &x.Extra, exactIn(achievementNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "achievement id")
		case 1:
			return d.types(&x.Type, "achievement type")
		case 2:
			return d.str(&x.AchievementType, "achievementType")
		case 3:
			return d.str(&x.Name, "achievement name")
		case 4:
			return d.str(&x.Description, "achievement description")
		case 5:
			return ptr(d, &x.Criteria, d.criteria)
		case 6:
			return ptr(d, &x.Image, d.image)
		case 7:
			return ptr(d, &x.Creator, d.profile)
		case 8:
			return d.str(&x.HumanCode, "humanCode")
		case 9:
			return d.str(&x.FieldOfStudy, "fieldOfStudy")
		case 10:
			return d.alignments(&x.Alignment)
		default:
			return d.strings(&x.Tag, "tag")
		}
	})
}

var identityNames = []string{"type", "identityHash", "identityType", "hashed", "salt"}

// identity decodes an IdentityObject into what *x holds (encoding/json's
// decoding of a plain struct: null leaves it, members absent keep their
// values, unknown ones are dropped).
func (d *decoder) identity(x *IdentityObject) error {
	if done, err := d.open("identifier"); done {
		return err
	}
	return d.object(func(key []byte) error {
		i := exactIn(identityNames)(key)
		if i < 0 {
			i = fold(key, identityNames)
		}
		switch i {
		case 0:
			return d.str(&x.Type, "identifier type")
		case 1:
			return d.str(&x.IdentityHash, "identityHash")
		case 2:
			return d.str(&x.IdentityType, "identityType")
		case 3:
			switch d.next() {
			case 't':
				x.Hashed, d.i = true, d.i+4
			case 'f':
				x.Hashed, d.i = false, d.i+5
			case 'n':
				d.i += 4
			default:
				return d.mismatch("hashed")
			}
			return nil
		case 4:
			return d.str(&x.Salt, "salt")
		}
		d.skip()
		return nil
	})
}

func (d *decoder) identities(p *[]IdentityObject) error {
	if d.isNull() {
		*p = nil
		return nil
	}
	if d.next() != '[' {
		return d.mismatch("identifier")
	}
	s, i := *p, 0
	err := d.array(func() error {
		if i >= len(s) {
			s = growOne(s)
		}
		i++
		return d.identity(&s[i-1])
	})
	if i == 0 {
		s = []IdentityObject{}
	}
	*p = s[:i]
	return err
}

func (d *decoder) subject(x *Subject) error {
	*x = Subject{}
	if done, err := d.open("credentialSubject"); done {
		return err
	}
	return d.members(subjectNames, &x.Extra, exactIn(subjectNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "subject id")
		case 1:
			return d.types(&x.Type, "subject type")
		case 2:
			return d.str(&x.Name, "subject name")
		case 3:
			return d.identities(&x.Identifier)
		default:
			if d.next() == '[' {
				// A list of achievements (a ClrSubject's) is kept as is
				// in Extra; Achievement holds one achievement only.
				s := d.i
				d.skip()
				if x.Extra == nil {
					x.Extra = Extra{}
				}
				x.Extra["achievement"] = d.b[s:d.i:d.i]
				return nil
			}
			return ptr(d, &x.Achievement, d.achievement)
		}
	})
}

func (d *decoder) evidence(x *Evidence) error {
	*x = Evidence{}
	if done, err := d.open("evidence"); done {
		return err
	}
	return d.members(evidenceNames, &x.Extra, exactIn(evidenceNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "evidence id")
		case 1:
			return d.types(&x.Type, "evidence type")
		case 2:
			return d.str(&x.Name, "evidence member")
		case 3:
			return d.str(&x.Description, "evidence member")
		case 4:
			return d.str(&x.Narrative, "evidence member")
		case 5:
			return d.str(&x.Genre, "evidence member")
		default:
			return d.str(&x.Audience, "evidence member")
		}
	})
}

func (d *decoder) status(x *StatusEntry) error {
	*x = StatusEntry{}
	if done, err := d.open("credentialStatus"); done {
		return err
	}
	return d.members(statusNames, &x.Extra, exactIn(statusNames), func(i int) error {
		switch i {
		case 0:
			return d.str(&x.ID, "status id")
		case 1:
			return d.str(&x.Type, "status type")
		case 2:
			return d.str(&x.StatusPurpose, "statusPurpose")
		case 3:
			return d.str(&x.StatusListIndex, "statusListIndex")
		default:
			return d.str(&x.StatusListCredential, "statusListCredential")
		}
	})
}

var schemaNames = []string{"id", "type"}

// schema decodes a Schema into the zero value *x holds (a plain struct).
func (d *decoder) schema(x *Schema) error {
	if done, err := d.open("credentialSchema"); done {
		return err
	}
	return d.object(func(key []byte) error {
		i := exactIn(schemaNames)(key)
		if i < 0 {
			i = fold(key, schemaNames)
		}
		switch i {
		case 0:
			return d.str(&x.ID, "schema id")
		case 1:
			return d.str(&x.Type, "schema type")
		}
		d.skip()
		return nil
	})
}

// proofs decodes proofs as raw values, as Proofs.UnmarshalJSON does.
func (d *decoder) proofs(p *Proofs) error {
	return many(d, (*[]json.RawMessage)(p), func(r *json.RawMessage) error {
		*r = d.raw()
		return nil
	})
}

func (d *decoder) credential(x *Credential) error {
	*x = Credential{}
	if done, err := d.open("credential"); done {
		return err
	}
	return d.members(credentialNames, &x.Extra, exactCredential, func(i int) error {
		switch i {
		case 0:
			return d.contexts(&x.Context)
		case 1:
			return d.str(&x.ID, "credential id")
		case 2:
			return d.types(&x.Type, "credential type")
		case 3:
			return d.str(&x.Name, "credential name")
		case 4:
			return d.str(&x.Description, "credential description")
		case 5:
			return ptr(d, &x.Image, d.image)
		case 6:
			return d.profile(&x.Issuer)
		case 7:
			return d.time(&x.ValidFrom)
		case 8:
			return d.time(&x.ValidUntil)
		case 9:
			return d.time(&x.IssuanceDate)
		case 10:
			return d.time(&x.ExpirationDate)
		case 11:
			return d.time(&x.AwardedDate)
		case 12:
			return many(d, (*[]Subject)(&x.CredentialSubject), d.subject)
		case 13:
			return many(d, (*[]Evidence)(&x.Evidence), d.evidence)
		case 14:
			return many(d, (*[]StatusEntry)(&x.CredentialStatus), d.status)
		case 15:
			return many(d, (*[]Schema)(&x.CredentialSchema), d.schema)
		default:
			return d.proofs(&x.Proof)
		}
	})
}

func exactCredential(key []byte) int {
	switch string(key) {
	case "@context":
		return 0
	case "id":
		return 1
	case "type":
		return 2
	case "name":
		return 3
	case "description":
		return 4
	case "image":
		return 5
	case "issuer":
		return 6
	case "validFrom":
		return 7
	case "validUntil":
		return 8
	case "issuanceDate":
		return 9
	case "expirationDate":
		return 10
	case "awardedDate":
		return 11
	case "credentialSubject":
		return 12
	case "evidence":
		return 13
	case "credentialStatus":
		return 14
	case "credentialSchema":
		return 15
	case "proof":
		return 16
	}
	return -1
}

// generic decodes the value at d.i as DecodeJSON does into an any:
// map[string]any, []any, string, json.Number, bool or nil.
func (d *decoder) generic() any {
	switch d.next() {
	case '{':
		m := map[string]any{}
		_ = d.object(func(key []byte) error {
			k, ok := internedKeys[string(key)]
			if !ok {
				k = string(key)
			}
			m[k] = d.generic()
			return nil
		})
		return m
	case '[':
		// The elements go onto d.stack, then into a slice of the right
		// size: one allocation per array, not one per doubling.
		base := len(d.stack)
		_ = d.array(func() error {
			v := d.generic()
			d.stack = append(d.stack, v)
			return nil
		})
		a := make([]any, len(d.stack)-base)
		copy(a, d.stack[base:])
		clear(d.stack[base:])
		d.stack = d.stack[:base]
		return a
	case '"':
		q := d.quoted()
		if v, ok := internedValues[string(q)]; ok {
			return v
		}
		return string(q)
	case 't':
		d.i += 4
		return true
	case 'f':
		d.i += 5
		return false
	case 'n':
		d.i += 4
		return nil
	}
	return json.Number(d.raw())
}

// ParseCredentialMap is ParseCredential that also returns the document
// as DecodeJSON decodes it into a map[string]any (numbers as
// json.Number), which proof verification works on: one size, depth and
// syntax check for both instead of one each, and no reflection for the
// map. The map shares nothing with the credential.
//
// Measured (credshare issue 13, -bench Verify ./vc/issuer -cpu 1):
// vc/verify decoding the document into a map with DecodeJSON after
// ParseCredential was ~13% of verifying a Data Integrity proof.
func ParseCredentialMap(b []byte) (*Credential, map[string]any, error) {
	if err := CheckJSON(b); err != nil {
		return nil, nil, err
	}
	var c Credential
	var m map[string]any
	err := decode(b, func(d *decoder) error {
		start := d.i
		if err := d.credential(&c); err != nil {
			return err
		}
		d.i = start
		switch d.next() {
		case '{':
			m = d.generic().(map[string]any)
		case 'n':
		default:
			return d.mismatch("document")
		}
		return nil
	})
	if err != nil {
		return nil, nil, Wrap(ErrMalformed, err, "credential: decoding")
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	return &c, m, nil
}
