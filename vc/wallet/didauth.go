package wallet

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/vc"
)

// Presentation is what credshare reads from a wallet's DIDAuth presentation
// before the proof itself is verified: who the holder claims to be and what
// each proof says about itself.
type Presentation struct {
	// Holder is the holder's DID (the "holder" member, a string or an
	// object with an "id").
	Holder string
	// Types are the presentation's types.
	Types []string
	// Proofs are the proofs ("proof" may be one object or an array).
	Proofs []ProofInfo
	// Credentials counts embedded credentials (a DIDAuth presentation
	// usually has none).
	Credentials int
}

// ProofInfo is the self-description of one proof.
type ProofInfo struct {
	Type               string
	Cryptosuite        string
	ProofPurpose       string
	VerificationMethod string
	Challenge          string
	// Domains holds "domain" (a string or an array of strings).
	Domains []string
	Created string
}

// MaxProofs bounds the proofs accepted on one presentation.
const MaxProofs = 4

type rawPresentation struct {
	Type                 json.RawMessage `json:"type"`
	Holder               json.RawMessage `json:"holder"`
	Proof                json.RawMessage `json:"proof"`
	VerifiableCredential json.RawMessage `json:"verifiableCredential"`
}

type rawProof struct {
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	ProofPurpose       string          `json:"proofPurpose"`
	VerificationMethod json.RawMessage `json:"verificationMethod"`
	Challenge          string          `json:"challenge"`
	Domain             json.RawMessage `json:"domain"`
	Created            string          `json:"created"`
}

// ParsePresentation parses a DIDAuth presentation. It checks the shape
// only; errors match ErrMalformed.
func ParsePresentation(b []byte) (Presentation, error) {
	var p Presentation
	var raw rawPresentation
	if err := DecodeJSON(b, &raw); err != nil {
		return p, err
	}
	types, err := stringOrStrings(raw.Type)
	if err != nil || !slices.Contains(types, "VerifiablePresentation") {
		return p, Fail(ErrMalformed, `the presentation's "type" must include "VerifiablePresentation"`)
	}
	p.Types = types
	if p.Holder, err = idOf(raw.Holder); err != nil || p.Holder == "" {
		return p, Fail(ErrMalformed, `the presentation has no "holder" (a DID)`)
	}
	proofs, err := oneOrMany[rawProof](raw.Proof)
	if err != nil {
		return p, Fail(ErrMalformed, `the presentation's "proof" is not an object or an array of objects`)
	}
	if len(proofs) == 0 {
		return p, Fail(ErrProof, "the presentation has no proof")
	}
	if len(proofs) > MaxProofs {
		return p, Fail(ErrMalformed, "the presentation has %d proofs; at most %d are accepted", len(proofs), MaxProofs)
	}
	for _, rp := range proofs {
		vm, err := idOf(rp.VerificationMethod)
		if err != nil {
			return p, Fail(ErrMalformed, `a proof's "verificationMethod" is not a string or an object with an id`)
		}
		doms, err := stringOrStrings(rp.Domain)
		if err != nil {
			return p, Fail(ErrMalformed, `a proof's "domain" is not a string or an array of strings`)
		}
		p.Proofs = append(p.Proofs, ProofInfo{
			Type: rp.Type, Cryptosuite: rp.Cryptosuite, ProofPurpose: rp.ProofPurpose,
			VerificationMethod: vm, Challenge: rp.Challenge, Domains: doms, Created: rp.Created,
		})
	}
	if len(bytes.TrimSpace(raw.VerifiableCredential)) > 0 && !isNull(raw.VerifiableCredential) {
		vcs, err := oneOrMany[json.RawMessage](raw.VerifiableCredential)
		if err != nil {
			return p, Fail(ErrMalformed, `the presentation's "verifiableCredential" is not an object or an array`)
		}
		p.Credentials = len(vcs)
	}
	return p, nil
}

// CheckDIDAuth checks what can be checked without cryptography: every
// proof has proofPurpose "authentication", carries challenge (and domain,
// when domain is non-empty), and its verificationMethod belongs to the
// holder's DID — so the key that signed is one the holder controls (the
// proof verifier then resolves that key from the holder's DID document).
// Errors match ErrChallenge or ErrProof.
func CheckDIDAuth(p Presentation, challenge, domain string) error {
	if !strings.HasPrefix(p.Holder, "did:") {
		return Fail(ErrProof, "the presentation's holder %q is not a DID", clip(p.Holder))
	}
	for i, pr := range p.Proofs {
		if pr.ProofPurpose != "authentication" {
			return Fail(ErrProof, "proof %d has proofPurpose %q; DID authentication requires \"authentication\"", i, clip(pr.ProofPurpose))
		}
		if pr.Challenge == "" {
			return Fail(ErrChallenge, "proof %d carries no challenge", i)
		}
		if !EqualToken(pr.Challenge, challenge) {
			return Fail(ErrChallenge, "proof %d was made for another challenge than this request's", i)
		}
		if domain != "" && !slices.Contains(pr.Domains, domain) {
			return Fail(ErrChallenge, "proof %d was made for another domain than %q", i, domain)
		}
		if pr.VerificationMethod == "" {
			return Fail(ErrProof, "proof %d names no verificationMethod", i)
		}
		if vc.DIDOf(pr.VerificationMethod) != p.Holder {
			return Fail(ErrProof, "proof %d was made with %q, which is not a key of the holder %q", i, clip(pr.VerificationMethod), clip(p.Holder))
		}
	}
	return nil
}

// CheckProofTimes checks each proof's "created" against the clock: a proof
// created more than skew after now, or more than skew before issued (when
// the challenge it signs was handed out), is refused with ErrProof — such a
// proof did not answer this challenge at the time it claims. A created
// that is not an RFC 3339 date-time is ErrMalformed. A proof without
// created is accepted (Data Integrity makes it optional): the one-time
// challenge it signs, which expires, is what bounds its age.
func CheckProofTimes(p Presentation, issued, now time.Time, skew time.Duration) error {
	for i, pr := range p.Proofs {
		if pr.Created == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, pr.Created)
		if err != nil {
			return Fail(ErrMalformed, "proof %d: created is not an RFC 3339 date-time", i)
		}
		switch {
		case t.After(now.Add(skew)):
			return Fail(ErrProof, "proof %d was created in the future (more than %s ahead of the issuer's clock)", i, skew)
		case t.Before(issued.Add(-skew)):
			return Fail(ErrProof, "proof %d was created before its challenge was issued (more than %s earlier)", i, skew)
		}
	}
	return nil
}

// clip shortens attacker-supplied strings before they go into a reason.
func clip(s string) string {
	const n = 120
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

func stringOrStrings(b json.RawMessage) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || isNull(b) {
		return nil, nil
	}
	if b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		return []string{s}, err
	}
	var ss []string
	err := json.Unmarshal(b, &ss)
	return ss, err
}

func idOf(b json.RawMessage) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || isNull(b) {
		return "", nil
	}
	if b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	}
	var o struct {
		ID string `json:"id"`
	}
	err := json.Unmarshal(b, &o)
	return o.ID, err
}

func oneOrMany[T any](b json.RawMessage) ([]T, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || isNull(b) {
		return nil, nil
	}
	if b[0] == '[' {
		var out []T
		err := json.Unmarshal(b, &out)
		return out, err
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}
