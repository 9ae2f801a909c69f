package badge

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/credential"
)

// TemplateRef identifies a badge template at a provider.
type TemplateRef struct {
	// UUID is credshare's template UUID.
	UUID uuid.UUID `json:"uuid"`
	// AccountID is the provider account (Credly organisation, Accredible key name).
	AccountID string `json:"account_id,omitempty"`
	// ExternalID is the provider's template id (Credly template id,
	// Accredible group id).
	ExternalID string `json:"external_id,omitempty"`
	// Name is the template's display name.
	Name string `json:"name,omitempty"`
}

// IssueRequest asks a provider to issue a badge.
type IssueRequest struct {
	// IdempotencyKey is stable across retries of the same award: a
	// provider must not issue twice for one key.
	IdempotencyKey string `json:"idempotency_key"`
	// AwardUUID is credshare's award id.
	AwardUUID uuid.UUID `json:"award_uuid"`
	// Template is the template to issue.
	Template TemplateRef `json:"template"`
	// Recipient is the learner (e-mail and names are sent to the provider).
	Recipient credential.Learner `json:"recipient"`
	// IssuedAt is the award's time (the causing event's time).
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt is an optional expiry.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Evidence holds supporting facts shown with the badge.
	Evidence map[string]string `json:"evidence,omitempty"`
}

// RevokeRequest asks a provider to revoke a badge it issued.
type RevokeRequest struct {
	// IdempotencyKey is stable across retries of the same revocation.
	IdempotencyKey string `json:"idempotency_key"`
	// AwardUUID is credshare's award id.
	AwardUUID uuid.UUID `json:"award_uuid"`
	// Template is the badge's template; with Recipient it lets a provider
	// find the badge when ExternalID is unknown.
	Template TemplateRef `json:"template"`
	// Recipient is the learner the badge was issued to.
	Recipient credential.Learner `json:"recipient"`
	// ExternalID is the provider's id for the issued badge, when known.
	ExternalID string `json:"external_id,omitempty"`
	// Reason is shown to the learner where the provider supports it.
	Reason string `json:"reason,omitempty"`
	// RevokedAt is when the award was revoked.
	RevokedAt time.Time `json:"revoked_at"`
}

// Validate checks what every provider needs: an idempotency key, a
// template with an external id, and a recipient with a user id and an
// e-mail address. Errors match ErrInvalid.
func (r IssueRequest) Validate() error {
	switch {
	case r.IdempotencyKey == "":
		return invalidRequest("issue", "idempotency_key is required")
	case r.Template.ExternalID == "":
		return invalidRequest("issue", "template.external_id is required")
	case r.Recipient.Email == "":
		return invalidRequest("issue", "recipient.email is required")
	case r.IssuedAt.IsZero():
		return invalidRequest("issue", "issued_at is required")
	}
	if err := r.Recipient.Validate(); err != nil {
		return &Error{Op: "issue", Message: err.Error(), Kind: ErrInvalid, Err: err}
	}
	return nil
}

// Validate checks that the request names a badge: an idempotency key and
// either ExternalID or a template with an external id plus a recipient
// e-mail. Errors match ErrInvalid.
func (r RevokeRequest) Validate() error {
	switch {
	case r.IdempotencyKey == "":
		return invalidRequest("revoke", "idempotency_key is required")
	case r.ExternalID == "" && (r.Template.ExternalID == "" || r.Recipient.Email == ""):
		return invalidRequest("revoke", "external_id, or template.external_id and recipient.email, is required")
	}
	return nil
}

func invalidRequest(op, msg string) error {
	return &Error{Provider: "badge", Op: op, Message: msg, Kind: ErrInvalid}
}

// Result is what a provider reports about a badge after a call.
type Result struct {
	// ExternalID is the provider's id for the badge.
	ExternalID string `json:"external_id"`
	// State is the provider's state for it (e.g. pending, accepted, revoked).
	State string `json:"state"`
}

// Provider issues and revokes badges at a badge platform (or natively).
// Implementations must be safe for concurrent use.
//
// Errors should be *Error values (or wrap one of the sentinels) so that
// retry.IsPermanent (credential/retry) gives the right verdict: the outbox
// retries the others with backoff (waiting at least retry.Delay) and
// dead-letters the permanent ones.
// A cancelled or expired ctx must end the call promptly with an error that
// matches ctx.Err(). Optional capabilities are separate interfaces
// (TemplateLister, StateGetter, WebhookProvider, RateLimited).
type Provider interface {
	// ID returns the provider's id ("credly", "accredible", …).
	ID() string
	// Issue issues a badge. Called again with the same IdempotencyKey (a
	// retry), it must return the badge already issued rather than a second
	// one. Errors say whether a retry can help (see retry.IsPermanent).
	Issue(ctx context.Context, req IssueRequest) (Result, error)
	// Revoke revokes a badge. Revoking a badge that is already revoked
	// succeeds. A badge the provider never issued gives an error matching
	// ErrNotFound.
	Revoke(ctx context.Context, req RevokeRequest) (Result, error)
}
