package verifypage

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
)

// State is the verification outcome a page shows.
type State string

// States.
const (
	// StateValid: the proofs verify, the issuer signed it, it is within its
	// validity period and every status entry was read and is clear.
	StateValid State = "valid"
	// StateRevoked: it verifies but its issuer revoked it.
	StateRevoked State = "revoked"
	// StateSuspended: it verifies but is suspended.
	StateSuspended State = "suspended"
	// StateExpired: it verifies but its validity period has ended.
	StateExpired State = "expired"
	// StateInvalid: a proof, the issuer's key, the structure or the
	// validity period (not yet valid) fails.
	StateInvalid State = "invalid"
	// StateUnknown: it verifies but a status entry could not be read.
	StateUnknown State = "unknown"
)

var labels = map[State]string{
	StateValid: "Valid", StateRevoked: "Revoked", StateSuspended: "Suspended",
	StateExpired: "Expired", StateInvalid: "Invalid", StateUnknown: "Status unknown",
}

var summaries = map[State]string{
	StateValid:     "The issuer's signature verifies, and the credential is neither revoked, suspended nor expired.",
	StateRevoked:   "The issuer has revoked this credential. It no longer attests the achievement.",
	StateSuspended: "The issuer has suspended this credential. It does not attest the achievement while suspended.",
	StateExpired:   "This credential's validity period has ended.",
	StateInvalid:   "This credential does not verify: its signature, its issuer or its content is not what the issuer signed.",
	StateUnknown:   "The credential's signature verifies, but its revocation status could not be checked right now. It is not shown as valid.",
}

// View is what a page shows, and the JSON document served for machines.
type View struct {
	// CredentialID is the credential's id ("urn:uuid:…").
	CredentialID string `json:"credential_id"`
	// URL is the page's URL; JSONURL the JSON document's.
	URL     string `json:"url"`
	JSONURL string `json:"json_url"`
	// Result is the verification outcome.
	Result Result `json:"result"`
	// Name is the credential's own name, when it has one.
	Name string `json:"name,omitempty"`
	// Achievement is what was achieved; nil when the credential could not
	// be read.
	Achievement *Achievement `json:"achievement,omitempty"`
	// Issuer is the issuer as the credential names it.
	Issuer *Issuer `json:"issuer,omitempty"`
	// Recipient is what the credential discloses of its subject.
	Recipient *Recipient `json:"recipient,omitempty"`
	// ValidFrom and ValidUntil are the validity period (validFrom /
	// issuanceDate, validUntil / expirationDate); zero when absent.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// AwardedAt is the OBv3 awardedDate, when set.
	AwardedAt time.Time `json:"awarded_at,omitzero"`
	// Format is the stored format (vc.FormatLDP or vc.FormatJWT).
	Format string `json:"format,omitempty"`
	// StatusEntries lists each credentialStatus entry as Config.Status
	// read it; empty without one.
	StatusEntries []StatusEntry `json:"status_entries,omitempty"`
}

// Result is a verification outcome.
type Result struct {
	// State is the outcome; Label its English name ("Revoked").
	State State  `json:"state"`
	Label string `json:"label"`
	// Summary explains the outcome in a sentence.
	Summary string `json:"summary"`
	// Purpose is the status purpose behind a revoked or suspended state
	// ("revocation", "suspension").
	Purpose string `json:"purpose,omitempty"`
	// Verdict is vc/verify's verdict, Reasons its reason codes.
	Verdict vc.Verdict `json:"verdict"`
	Reasons []string   `json:"reasons,omitempty"`
	// CheckedAt is when the verification ran.
	CheckedAt time.Time `json:"checked_at"`
}

// Achievement is the achievement shown.
type Achievement struct {
	ID          string `json:"id,omitempty"`
	Type        string `json:"achievement_type,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Image is an https URL or a raster data: URI; empty otherwise.
	Image        string `json:"image,omitempty"`
	ImageCaption string `json:"image_caption,omitempty"`
	// CriteriaURL is the criteria's https id; Criteria its narrative.
	CriteriaURL string `json:"criteria_url,omitempty"`
	Criteria    string `json:"criteria,omitempty"`
}

// Issuer is the issuer shown. Its e-mail address is left out.
type Issuer struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// URL is the issuer's https web site; Image its https or data: image.
	URL   string `json:"url,omitempty"`
	Image string `json:"image,omitempty"`
}

// Recipient is what the credential discloses of its subject: a DID and a
// name, when it carries them. Never an e-mail address or its hash.
type Recipient struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// StatusEntry is one credentialStatus entry and what reading it found.
type StatusEntry struct {
	Purpose string `json:"purpose"`
	// State is "set" (revoked, suspended), "clear", or "unknown" when it
	// could not be read.
	State string `json:"state"`
	// Message is the status message of a message entry.
	Message string `json:"message,omitempty"`
}

// Page is what the page template is executed with.
type Page struct {
	View
	// Nonce must be the nonce attribute of every style element.
	Nonce string
	// Style is the built-in style sheet.
	Style template.CSS
}

// StateOf maps a vc/verify result to the page's state: an invalid result
// whose only reasons are expiry is StateExpired.
func StateOf(r vc.Result) State {
	switch r.Verdict {
	case vc.VerdictValid:
		return StateValid
	case vc.VerdictRevoked:
		return StateRevoked
	case vc.VerdictSuspended:
		return StateSuspended
	case vc.VerdictStatusUnknown:
		return StateUnknown
	}
	if len(r.Reasons) > 0 {
		expired := true
		for _, x := range r.Reasons {
			if x.Code != vc.ReasonExpired {
				expired = false
			}
		}
		if expired {
			return StateExpired
		}
	}
	return StateInvalid
}

func (h *Handler) build(ctx context.Context, rec store.IssuanceRecord, res vc.Result, now time.Time) View {
	id := rec.ID.String()
	st := StateOf(res)
	v := View{
		CredentialID: rec.CredentialID, URL: h.base + "/" + id, JSONURL: h.base + "/" + id + ".json", Format: rec.Format,
		Result: Result{State: st, Label: labels[st], Summary: summaries[st], Verdict: res.Verdict, CheckedAt: now.UTC().Truncate(time.Second)},
	}
	if v.CredentialID == "" {
		v.CredentialID = "urn:uuid:" + id
	}
	switch st {
	case StateRevoked:
		v.Result.Purpose = vc.PurposeRevocation
	case StateSuspended:
		v.Result.Purpose = vc.PurposeSuspension
	}
	for _, x := range res.Reasons {
		v.Result.Reasons = append(v.Result.Reasons, x.Code)
	}
	c := res.Credential
	if c == nil {
		return v
	}
	// A credential that does not verify is shown under its Invalid banner:
	// what it claims, not what its issuer signed.
	v.Name = c.Name
	v.ValidFrom, v.ValidUntil = c.Validity()
	v.AwardedAt = c.AwardedDate
	v.Issuer = &Issuer{ID: c.Issuer.ID, Name: c.Issuer.Name, URL: httpsURL(c.Issuer.URL)}
	if c.Issuer.Image != nil {
		v.Issuer.Image = imageURL(c.Issuer.Image.ID)
	}
	if len(c.CredentialSubject) > 0 {
		s := c.CredentialSubject[0]
		for _, x := range c.CredentialSubject {
			if x.Achievement != nil {
				s = x
				break
			}
		}
		var rcp Recipient
		if strings.HasPrefix(s.ID, "did:") {
			rcp.ID = s.ID
		}
		if !strings.Contains(s.Name, "@") { // never an e-mail address
			rcp.Name = s.Name
		}
		if rcp != (Recipient{}) {
			v.Recipient = &rcp
		}
		if a := s.Achievement; a != nil {
			v.Achievement = &Achievement{ID: a.ID, Type: a.AchievementType, Name: a.Name, Description: a.Description}
			if a.Image != nil {
				v.Achievement.Image = imageURL(a.Image.ID)
				if v.Achievement.Image != "" {
					v.Achievement.ImageCaption = a.Image.Caption
				}
			}
			if a.Criteria != nil {
				v.Achievement.CriteriaURL = httpsURL(a.Criteria.ID)
				v.Achievement.Criteria = a.Criteria.Narrative
			}
		}
	}
	// Status entries are read only from a credential whose proofs verified
	// (the Verifier reads them only then too): the list URLs of one that
	// does not are not the issuer's, and are never fetched.
	if h.cfg.Status != nil && res.Verdict != vc.VerdictInvalid {
		for _, e := range c.CredentialStatus {
			se := StatusEntry{Purpose: e.StatusPurpose, State: "unknown"}
			sr, err := h.cfg.Status.CheckStatus(ctx, c.Issuer.ID, e)
			if err == nil {
				se.State, se.Message = "clear", sr.Message
				if sr.Set {
					se.State = "set"
				}
			} else {
				h.cfg.Logger.InfoContext(ctx, "verifypage: status entry could not be read", "record", id,
					"purpose", e.StatusPurpose, "err", err)
			}
			v.StatusEntries = append(v.StatusEntries, se)
		}
	}
	return v
}

// httpsURL returns s when it is an absolute https URL with a host and no
// user information, "" otherwise.
func httpsURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// rasterTypes are the data: image types shown (no SVG).
var rasterTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// imageURL returns s when it is an https URL (httpsURL) or a base64 data:
// URI of a raster image, "" otherwise.
func imageURL(s string) string {
	if u := httpsURL(s); u != "" {
		return u
	}
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return ""
	}
	mt, data, ok := strings.Cut(rest, ";base64,")
	if !ok {
		return ""
	}
	known := false
	for _, t := range rasterTypes {
		known = known || strings.EqualFold(mt, t)
	}
	if !known {
		return ""
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil {
		return ""
	}
	return s
}
