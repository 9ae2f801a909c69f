package vc

import (
	"context"
	"crypto/ed25519"
	"strings"
	"time"
)

// Verdict is the outcome of verifying a credential.
type Verdict string

// Verdicts.
const (
	// VerdictValid: every proof verifies, the issuer resolved, the validity
	// period holds and every status entry was read and is clear.
	VerdictValid Verdict = "valid"
	// VerdictInvalid: something is wrong (see Result.Reasons).
	VerdictInvalid Verdict = "invalid"
	// VerdictRevoked: the credential checks out but its issuer revoked it.
	VerdictRevoked Verdict = "revoked"
	// VerdictSuspended: the credential checks out but is suspended.
	VerdictSuspended Verdict = "suspended"
	// VerdictStatusUnknown: the credential checks out but a status entry
	// could not be checked (list unreachable, unsigned, of another issuer).
	// It is never reported as valid.
	VerdictStatusUnknown Verdict = "status-unknown"
)

// Reason codes (Reason.Code).
const (
	ReasonMalformed   = "malformed"
	ReasonProof       = "proof"
	ReasonNoProof     = "no-proof"
	ReasonResolve     = "issuer-resolution"
	ReasonContext     = "json-ld"
	ReasonNotYetValid = "not-yet-valid"
	ReasonExpired     = "expired"
	ReasonRevoked     = "revoked"
	ReasonSuspended   = "suspended"
	ReasonStatus      = "status-unknown"
	ReasonUnsupported = "unsupported"
	ReasonIssuer      = "issuer-mismatch"
	// ReasonEmbedded: a credential embedded in a CLR 2.0 ClrCredential is
	// not valid, or not about the CLR's subject (see Result.Embedded).
	ReasonEmbedded = "embedded-credential"
)

// Reason says why a credential is not valid.
type Reason struct {
	// Code is one of the Reason* constants.
	Code string `json:"code"`
	// Message explains it to a person.
	Message string `json:"message"`
}

// Result is the structured result of verifying a credential.
type Result struct {
	// Verdict is the outcome.
	Verdict Verdict `json:"verdict"`
	// Reasons lists what is wrong; empty when Verdict is VerdictValid.
	Reasons []Reason `json:"reasons,omitempty"`
	// Issuer is the issuer's id (as the credential states it).
	Issuer string `json:"issuer,omitempty"`
	// Format is FormatLDP or FormatJWT.
	Format string `json:"format,omitempty"`
	// ProofTypes lists the verified proof types (cryptosuites for
	// DataIntegrityProof, "JWT" for VC-JWT).
	ProofTypes []string `json:"proof_types,omitempty"`
	// VerificationMethods lists the keys that signed.
	VerificationMethods []string `json:"verification_methods,omitempty"`
	// Credential is the parsed credential when it could be parsed.
	Credential *Credential `json:"-"`
	// Embedded holds the results of the credentials embedded in a CLR 2.0
	// ClrCredential, in order; the CLR's verdict is the worst of its own
	// and theirs.
	Embedded []Result `json:"embedded,omitempty"`
}

// Valid reports whether the verdict is VerdictValid.
func (r Result) Valid() bool { return r.Verdict == VerdictValid }

// Error returns nil for a valid result and an error listing the reasons
// otherwise.
func (r Result) Error() error {
	if r.Valid() {
		return nil
	}
	msgs := make([]string, 0, len(r.Reasons))
	for _, x := range r.Reasons {
		msgs = append(msgs, x.Code+": "+x.Message)
	}
	kind := ErrProof
	if r.Verdict != VerdictInvalid {
		kind = ErrInvalid
	}
	return Errorf(kind, "credential %s: %s", r.Verdict, strings.Join(msgs, "; "))
}

// Has reports whether the result has a reason with code.
func (r Result) Has(code string) bool {
	for _, x := range r.Reasons {
		if x.Code == code {
			return true
		}
	}
	return false
}

// StatusResult is what a StatusChecker found for one entry.
type StatusResult struct {
	// Set reports whether the entry's bit is set (revoked for the
	// revocation purpose, suspended for suspension).
	Set bool
	// Purpose is the entry's statusPurpose.
	Purpose string
	// Message is the status message, for the "message" purpose.
	Message string
}

// StatusChecker reads a credential's status entry: it loads the status
// list credential (entry.StatusListCredential), verifies its proof and
// that its issuer is issuerID, checks the purpose matches, and reads the
// bit at entry.StatusListIndex. Any failure to do all of that is an error,
// which a verifier reports as VerdictStatusUnknown — never as valid. It is
// safe for concurrent use and may cache lists within their validity.
type StatusChecker interface {
	CheckStatus(ctx context.Context, issuerID string, entry StatusEntry) (StatusResult, error)
}

// VerificationMethod is a resolved public key.
type VerificationMethod struct {
	// ID is the method's DID URL.
	ID string
	// Controller is the DID that controls the key.
	Controller string
	// Type is the method type (Multikey, Ed25519VerificationKey2020, JsonWebKey2020).
	Type string
	// PublicKey is the Ed25519 key.
	PublicKey ed25519.PublicKey
	// Relationships lists the verification relationships the controller's
	// DID document grants the method ("assertionMethod", "authentication", …).
	Relationships []string
}

// Allows reports whether the method may be used for proofPurpose.
func (m VerificationMethod) Allows(proofPurpose string) bool {
	for _, r := range m.Relationships {
		if r == proofPurpose {
			return true
		}
	}
	return false
}

// Resolver resolves a verification method id (a DID URL) to its key.
// Errors match ErrResolve or ErrUnsupported.
type Resolver interface {
	ResolveVerificationMethod(ctx context.Context, id string) (VerificationMethod, error)
}

// Clock returns the current time; tests and verifiers checking a past
// moment set it.
type Clock func() time.Time

// Credential formats a wallet may ask for (wallet.OfferRequest.Format in vc/wallet), named
// as OID4VCI names them.
const (
	// FormatLDP is a JSON-LD credential secured with a Data Integrity or
	// Ed25519Signature2020 proof.
	FormatLDP = "ldp_vc"
	// FormatJWT is a VC-JWT (a compact JWS whose payload holds the credential).
	FormatJWT = "jwt_vc_json"
)
