package did

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/credshare/credshare/vc"
)

// Verification method types.
const (
	TypeMultikey                   = "Multikey"
	TypeEd25519VerificationKey2020 = "Ed25519VerificationKey2020"
	TypeEd25519VerificationKey2018 = "Ed25519VerificationKey2018"
	TypeJSONWebKey2020             = "JsonWebKey2020"
)

// Verification relationships.
const (
	AssertionMethod      = "assertionMethod"
	Authentication       = "authentication"
	CapabilityInvocation = "capabilityInvocation"
	CapabilityDelegation = "capabilityDelegation"
)

// Method is a verification method of a DID document.
type Method struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase,omitempty"`
	PublicKeyJwk       *JWK   `json:"publicKeyJwk,omitempty"`
	PublicKeyBase58    string `json:"publicKeyBase58,omitempty"`
}

// PublicKey returns the method's Ed25519 key, whichever way it is given.
func (m Method) PublicKey() (ed25519.PublicKey, error) {
	switch {
	case m.PublicKeyMultibase != "":
		return DecodeMultikey(m.PublicKeyMultibase)
	case m.PublicKeyJwk != nil:
		return m.PublicKeyJwk.PublicKey()
	case m.PublicKeyBase58 != "":
		b, err := DecodeBase58(m.PublicKeyBase58)
		if err != nil {
			return nil, err
		}
		if len(b) != ed25519.PublicKeySize {
			return nil, vc.Errorf(vc.ErrMalformed, "did: publicKeyBase58 of %d bytes", len(b))
		}
		return ed25519.PublicKey(b), nil
	}
	return nil, vc.Errorf(vc.ErrMalformed, "did: verification method %s has no public key", clip(m.ID))
}

// Relationship lists verification method references of one relationship.
// Methods embedded in the relationship (objects, not references) are kept
// in Embedded.
type Relationship struct {
	Refs     []string
	Embedded []Method
}

// MarshalJSON writes references and embedded methods as one array.
func (r Relationship) MarshalJSON() ([]byte, error) {
	all := make([]any, 0, len(r.Refs)+len(r.Embedded))
	for _, s := range r.Refs {
		all = append(all, s)
	}
	for _, m := range r.Embedded {
		all = append(all, m)
	}
	return json.Marshal(all)
}

// UnmarshalJSON reads an array of strings and method objects.
func (r *Relationship) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Relationship{}
	for _, x := range raw {
		x = bytes.TrimSpace(x)
		if len(x) > 0 && x[0] == '"' {
			var s string
			if err := json.Unmarshal(x, &s); err != nil {
				return err
			}
			r.Refs = append(r.Refs, s)
			continue
		}
		var m Method
		if err := json.Unmarshal(x, &m); err != nil {
			return err
		}
		r.Embedded = append(r.Embedded, m)
	}
	return nil
}

// Document is a DID document (the members verification needs; others are
// ignored).
type Document struct {
	Context              []any        `json:"@context"`
	ID                   string       `json:"id"`
	AlsoKnownAs          []string     `json:"alsoKnownAs,omitempty"`
	VerificationMethod   []Method     `json:"verificationMethod,omitempty"`
	Authentication       Relationship `json:"authentication,omitzero"`
	AssertionMethod      Relationship `json:"assertionMethod,omitzero"`
	CapabilityInvocation Relationship `json:"capabilityInvocation,omitzero"`
	CapabilityDelegation Relationship `json:"capabilityDelegation,omitzero"`
}

func (r Relationship) isZero() bool { return len(r.Refs) == 0 && len(r.Embedded) == 0 }

// IsZero reports whether r is empty (for omitzero).
func (r Relationship) IsZero() bool { return r.isZero() }

// ParseDocument decodes a DID document under the vc size and depth limits.
func ParseDocument(b []byte) (*Document, error) {
	if err := vc.CheckJSON(b); err != nil {
		return nil, err
	}
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "did: decoding DID document")
	}
	if !strings.HasPrefix(d.ID, "did:") {
		return nil, vc.Errorf(vc.ErrMalformed, "did: document id %q is not a DID", clip(d.ID))
	}
	return &d, nil
}

// absolute turns a relative reference ("#key-1") into a DID URL.
func (d *Document) absolute(ref string) string {
	if strings.HasPrefix(ref, "#") {
		return d.ID + ref
	}
	return ref
}

// Method returns the verification method id (absolute or "#fragment")
// with the relationships it is listed under.
func (d *Document) Method(id string) (vc.VerificationMethod, error) {
	id = d.absolute(id)
	var found *Method
	for i := range d.VerificationMethod {
		if d.absolute(d.VerificationMethod[i].ID) == id {
			found = &d.VerificationMethod[i]
			break
		}
	}
	rels := []struct {
		name string
		r    Relationship
	}{{AssertionMethod, d.AssertionMethod}, {Authentication, d.Authentication},
		{CapabilityInvocation, d.CapabilityInvocation}, {CapabilityDelegation, d.CapabilityDelegation}}
	var names []string
	for _, rel := range rels {
		for _, ref := range rel.r.Refs {
			if d.absolute(ref) == id {
				names = append(names, rel.name)
			}
		}
		for i := range rel.r.Embedded {
			if d.absolute(rel.r.Embedded[i].ID) == id {
				names = append(names, rel.name)
				if found == nil {
					found = &rel.r.Embedded[i]
				}
			}
		}
	}
	if found == nil {
		return vc.VerificationMethod{}, vc.Errorf(vc.ErrResolve, "did: %s has no verification method %s", clip(d.ID), clip(id))
	}
	pub, err := found.PublicKey()
	if err != nil {
		return vc.VerificationMethod{}, err
	}
	ctrl := found.Controller
	if ctrl == "" {
		ctrl = d.ID
	}
	if ctrl != d.ID {
		return vc.VerificationMethod{}, vc.Errorf(vc.ErrResolve, "did: method %s is controlled by %s, not by %s", clip(id), clip(ctrl), clip(d.ID))
	}
	return vc.VerificationMethod{ID: id, Controller: ctrl, Type: found.Type, PublicKey: pub, Relationships: names}, nil
}

// NewDocument returns a DID document for did with one Multikey
// verification method per key (ids did#key-1, did#key-2, … unless ids
// are given), each usable for assertion (issuing) and authentication.
// Several keys let an issuer rotate: sign with the new one while
// credentials signed with the old one still verify.
func NewDocument(did string, keys []ed25519.PublicKey, ids ...string) (*Document, error) {
	if !strings.HasPrefix(did, "did:") {
		return nil, vc.Errorf(vc.ErrInvalid, "did: %q is not a DID", clip(did))
	}
	if len(keys) == 0 {
		return nil, vc.Errorf(vc.ErrInvalid, "did: a DID document needs a key")
	}
	if len(ids) != 0 && len(ids) != len(keys) {
		return nil, vc.Errorf(vc.ErrInvalid, "did: %d ids for %d keys", len(ids), len(keys))
	}
	d := &Document{Context: []any{vc.ContextDIDv1, vc.ContextMultikeyV1}, ID: did}
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, vc.Errorf(vc.ErrInvalid, "did: key %d is not an Ed25519 public key", i)
		}
		id := did + "#key-" + strconv.Itoa(i+1)
		if len(ids) > 0 {
			id = ids[i]
			if strings.HasPrefix(id, "#") {
				id = did + id
			}
		}
		d.VerificationMethod = append(d.VerificationMethod, Method{ID: id, Type: TypeMultikey, Controller: did, PublicKeyMultibase: EncodeMultikey(k)})
		for _, r := range []*Relationship{&d.AssertionMethod, &d.Authentication, &d.CapabilityInvocation, &d.CapabilityDelegation} {
			r.Refs = append(r.Refs, id)
		}
	}
	return d, nil
}
