package status

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/credshare/credshare/vc"
)

// Format is the publication format of a status list.
type Format string

// Formats.
const (
	// FormatBitstring is a BitstringStatusListCredential (VC Data Model
	// 2.0), pointed at by BitstringStatusListEntry entries. Wallets read it.
	FormatBitstring Format = "bitstring"
	// FormatStatusList2021 is a StatusList2021Credential (VC Data Model
	// 1.1), pointed at by StatusList2021Entry entries in VC 1.1 credentials
	// for older verifiers. It carries the same bits.
	FormatStatusList2021 Format = "2021"
)

// Credential and entry types.
const (
	TypeBitstringCredential = "BitstringStatusListCredential"
	TypeBitstringList       = "BitstringStatusList"
	TypeBitstringEntry      = vc.StatusBitstring
	Type2021Credential      = "StatusList2021Credential"
	Type2021List            = "StatusList2021"
	Type2021Entry           = vc.StatusList2021
)

// ListCredential is an unsigned status list credential.
type ListCredential struct {
	// URL is the credential's id: where it is published, and what status
	// entries name as statusListCredential.
	URL string
	// Issuer is the issuer's DID; it must be the issuer of the credentials
	// the list covers.
	Issuer string
	// Purpose is the list's statusPurpose.
	Purpose string
	// Format selects the data model and types.
	Format Format
	// ValidFrom and ValidUntil bound the document's validity; ValidUntil
	// is optional (zero) but a publisher always sets it.
	ValidFrom, ValidUntil time.Time
	// List holds the bits.
	List *Bitstring
}

// Document returns the credential as JSON, ready to be signed: for
// FormatBitstring a VC 2.0 BitstringStatusListCredential with validFrom
// and validUntil; for FormatStatusList2021 a VC 1.1
// StatusList2021Credential with issuanceDate and expirationDate.
func (lc ListCredential) Document() ([]byte, error) {
	m, err := lc.document()
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func (lc ListCredential) document() (map[string]any, error) {
	switch {
	case lc.URL == "" || lc.Issuer == "" || lc.List == nil:
		return nil, errorf(ErrInvalid, "a list credential needs a URL, an issuer and a list")
	case lc.ValidFrom.IsZero():
		return nil, errorf(ErrInvalid, "a list credential needs validFrom")
	case !validPurpose(lc.Purpose):
		return nil, errorf(ErrInvalid, "unknown status purpose %q", lc.Purpose)
	}
	subject := map[string]any{"id": lc.URL + "#list", "statusPurpose": lc.Purpose}
	m := map[string]any{"id": lc.URL, "issuer": lc.Issuer, "credentialSubject": subject}
	var enc string
	var err error
	switch lc.Format {
	case FormatBitstring:
		enc, err = lc.List.Encode()
		m["@context"] = []any{vc.ContextV2}
		m["type"] = []any{"VerifiableCredential", TypeBitstringCredential}
		m["validFrom"] = xsdTime(lc.ValidFrom)
		if !lc.ValidUntil.IsZero() {
			m["validUntil"] = xsdTime(lc.ValidUntil)
		}
		subject["type"] = TypeBitstringList
	case FormatStatusList2021:
		if lc.List.StatusSize() != 1 || lc.Purpose == PurposeMessage {
			return nil, errorf(ErrInvalid, "StatusList2021 has no message lists")
		}
		enc, err = lc.List.EncodeStatusList2021()
		m["@context"] = []any{vc.ContextV1, vc.ContextStatusList2021}
		m["type"] = []any{"VerifiableCredential", Type2021Credential}
		m["issuanceDate"] = xsdTime(lc.ValidFrom)
		if !lc.ValidUntil.IsZero() {
			m["expirationDate"] = xsdTime(lc.ValidUntil)
		}
		subject["type"] = Type2021List
	default:
		return nil, errorf(ErrInvalid, "unknown list format %q", lc.Format)
	}
	if err != nil {
		return nil, err
	}
	subject["encodedList"] = enc
	return m, nil
}

func xsdTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// Status purposes (the same strings as store.Purpose*).
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
	PurposeMessage    = "message"
)

func validPurpose(p string) bool {
	return p == PurposeRevocation || p == PurposeSuspension || p == PurposeMessage
}

// validListID reports whether id can be a list id in a URL path segment:
// 1 to 64 characters of [A-Za-z0-9_-].
func validListID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseListPath reads the part of a list URL's path after the base:
// "<id>" for FormatBitstring, "<id>/2021" for FormatStatusList2021.
func parseListPath(rest string) (string, Format, error) {
	id, suffix, hasSuffix := strings.Cut(rest, "/")
	f := FormatBitstring
	if hasSuffix {
		if suffix != string(FormatStatusList2021) {
			return "", "", errorf(ErrMalformed, "unknown list path suffix %q", clip(suffix))
		}
		f = FormatStatusList2021
	}
	if !validListID(id) {
		return "", "", errorf(ErrMalformed, "%q is not a list id", clip(id))
	}
	return id, f, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
