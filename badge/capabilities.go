package badge

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/store"
)

// RemoteTemplate is a badge template (Credly) or group (Accredible) as the
// provider describes it.
type RemoteTemplate struct {
	// AccountID is the provider account the template belongs to.
	AccountID string `json:"account_id"`
	// ExternalID is the provider's id for it.
	ExternalID string `json:"external_id"`
	// Name, Description and ImageURL describe it.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
	// State is store.TemplateActive, store.TemplateDraft or
	// store.TemplateArchived.
	State string `json:"state"`
	// CreatedAt and UpdatedAt are the provider's times, when known.
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// TemplateLister is implemented by providers that can list the templates
// of an account. It is what SyncTemplates reads.
type TemplateLister interface {
	// ListTemplates yields every template of the account that can issue
	// badges (Credly: active templates; Accredible: the account's groups),
	// following every page. It stops at the first error, which it yields
	// with a zero RemoteTemplate; a consumer must treat the listing as
	// incomplete then. Breaking out of the loop stops the requests.
	ListTemplates(ctx context.Context, accountID string) iter.Seq2[RemoteTemplate, error]
}

// BadgeRef names an issued badge at a provider.
type BadgeRef struct {
	// Template is the badge's template (its AccountID selects the account).
	Template TemplateRef `json:"template"`
	// ExternalID is the provider's id for the badge.
	ExternalID string `json:"external_id"`
}

// StateGetter is implemented by providers that can report a badge's
// current state (for providers without webhooks, this is how the state is
// kept fresh by polling).
type StateGetter interface {
	// BadgeState returns the badge's current state. ErrNotFound when the
	// provider does not know it.
	BadgeState(ctx context.Context, ref BadgeRef) (Result, error)
}

// WebhookProvider is implemented by providers that push changes to
// credshare. The handler authenticates each call, applies it to st
// (templates, award provider states) idempotently on the provider's event
// id, answers 4xx for bad input and never 500.
type WebhookProvider interface {
	WebhookHandler(st store.Store) (http.Handler, error)
}

// Limits describes how hard a provider may be driven. Zero fields mean
// "unknown": the caller picks its own default.
type Limits struct {
	// Rate is the most calls per second the provider accepts (per account
	// or per client IP, as the provider counts them).
	Rate float64 `json:"rate,omitempty"`
	// Burst is how many calls may be made at once above Rate.
	Burst int `json:"burst,omitempty"`
	// Concurrency is the most calls worth having in flight.
	Concurrency int `json:"concurrency,omitempty"`
}

// RateLimited is implemented by providers that know their rate limit. The
// outbox dispatcher turns Limits into its per-target limits, so that calls
// are paced instead of bouncing off 429s.
type RateLimited interface {
	Limits() Limits
}

// templateNamespace roots the name-based UUIDs of synchronised templates.
const templateNamespace = "9b3c5a9e-51f6-4a53-8f33-6f0e3c3a1d47"

// TemplateUUID returns the credshare template UUID for a provider template:
// a name-based (SHA-1) UUID of provider, account and external id, so that a
// sync and a webhook that see the same template create the same record.
func TemplateUUID(provider, accountID, externalID string) uuid.UUID {
	return uuid.NewSHA1(uuid.MustParse(templateNamespace), []byte(provider+"\x00"+accountID+"\x00"+externalID))
}
