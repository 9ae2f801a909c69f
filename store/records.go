package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// StatusRef points at one entry of a status list.
type StatusRef struct {
	// Purpose is the list's purpose: "revocation", "suspension" or "message".
	Purpose string `json:"purpose"`
	// ListID is the status list's id.
	ListID string `json:"list_id"`
	// Index is the entry's index in the list.
	Index int `json:"index"`
}

// Issuance states.
const (
	IssuancePending = "pending" // offered; waiting for the wallet
	IssuanceIssued  = "issued"  // a signed credential was returned
)

// IssuanceRecord is one request to put an award's credential into a wallet:
// one per (award, wallet request), with a one-time challenge.
type IssuanceRecord struct {
	// ID is the record's id; it appears in the wallet's request URL.
	ID uuid.UUID `json:"id"`
	// AwardUUID is the award the credential is issued for.
	AwardUUID uuid.UUID `json:"award_uuid"`
	// LearnerID owns the award; checked against the authenticated learner.
	LearnerID int64 `json:"learner_id"`
	// IssuerID is the issuer's DID.
	IssuerID string `json:"issuer_id"`
	// Wallet is the wallet protocol's id ("lcw", "vcapi", "oid4vci", …).
	Wallet string `json:"wallet"`
	// Format is the credential format ("ldp_vc", "jwt_vc_json").
	Format string `json:"format,omitempty"`
	// DataModel is the credential data model ("obv3", "obv3-vc1", …).
	DataModel string `json:"data_model,omitempty"`
	// Challenge is the one-time challenge the wallet must sign.
	Challenge string `json:"challenge"`
	// ChallengeExpires is when the challenge stops being accepted.
	ChallengeExpires time.Time `json:"challenge_expires"`
	// ChallengeUsedAt is set once the challenge was consumed.
	ChallengeUsedAt time.Time `json:"challenge_used_at,omitzero"`
	// State is IssuancePending or IssuanceIssued.
	State string `json:"state"`
	// HolderDID is the DID the wallet proved it controls.
	HolderDID string `json:"holder_did,omitempty"`
	// Status holds the status-list entries of the issued credential.
	Status []StatusRef `json:"status,omitempty"`
	// CredentialID is the issued credential's id.
	CredentialID string `json:"credential_id,omitempty"`
	// Credential is the issued credential as sent.
	Credential json.RawMessage `json:"credential,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	IssuedAt   time.Time       `json:"issued_at,omitzero"`
}

// Issuance stores VC issuance records.
type Issuance interface {
	// Create stores a new record. ErrConflict if the id exists; ErrInvalid
	// if AwardUUID, IssuerID or Challenge is missing.
	Create(ctx context.Context, r IssuanceRecord) error
	// Get returns the record, or ErrNotFound.
	Get(ctx context.Context, id uuid.UUID) (IssuanceRecord, error)
	// ConsumeChallenge atomically checks that the record's challenge equals
	// challenge, is unused and has not expired at now, and marks it used.
	// It returns the record. ErrNotFound for an unknown id; ErrConflict
	// (with the reason: used, expired, mismatch) otherwise. Two concurrent
	// calls never both succeed.
	ConsumeChallenge(ctx context.Context, id uuid.UUID, challenge string, now time.Time) (IssuanceRecord, error)
	// MarkIssued stores the outcome: holder, status entries, credential id
	// and document, state issued, IssuedAt = at. ErrNotFound if absent.
	MarkIssued(ctx context.Context, id uuid.UUID, holderDID string, status []StatusRef, credentialID string, credential json.RawMessage, at time.Time) error
	// ListByAward returns the records for an award, oldest first.
	ListByAward(ctx context.Context, award uuid.UUID) ([]IssuanceRecord, error)
}

// Status list purposes.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
	PurposeMessage    = "message"
)

// StatusList is the stored state of one status list.
type StatusList struct {
	// ID is the list's id (URL-safe; appears in the list credential's URL).
	ID string `json:"id"`
	// Issuer is the DID that signs the list and the credentials it covers.
	Issuer string `json:"issuer"`
	// Purpose is PurposeRevocation, PurposeSuspension or PurposeMessage.
	Purpose string `json:"purpose"`
	// Size is the number of entries (at least 131,072 for privacy).
	Size int `json:"size"`
	// StatusSize is the number of bits per entry (1 unless a message list).
	StatusSize int `json:"status_size"`
	// Seed keys the list's private permutation of indexes; secret.
	Seed []byte `json:"-"`
	// Next is how many entries have been handed out.
	Next int64 `json:"next"`
	// Version increases whenever an entry's value changes; publishers use
	// it to know when to re-sign.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StatusEntry is a non-zero entry of a list.
type StatusEntry struct {
	Index int `json:"index"`
	Value int `json:"value"`
}

// StatusLists stores status lists and allocates their entries.
type StatusLists interface {
	// Allocate hands out one entry: under a database lock (SELECT … FOR
	// UPDATE, or SQLite's write lock) it takes the newest list of (issuer,
	// purpose) whose Next < Size — creating newList() when there is none,
	// which must carry a fresh ID, Seed and Size — increments its Next and
	// returns the list as it was before the increment together with the
	// ordinal handed out (the old Next). The caller maps ordinals to
	// indexes. Used inside InTx, a rolled-back transaction gives the ordinal
	// back; committed ordinals are never handed out twice, whatever the
	// number of processes.
	Allocate(ctx context.Context, issuer, purpose string, newList func() StatusList) (StatusList, int64, error)
	// Get returns a list, or ErrNotFound.
	Get(ctx context.Context, id string) (StatusList, error)
	// List returns the lists of an issuer (all issuers when empty), oldest first.
	List(ctx context.Context, issuer string) ([]StatusList, error)
	// SetStatus sets entry index of list to value (0 clears it). It is
	// idempotent: changed is false when the entry already had that value.
	// A change increments the list's Version. ErrNotFound for an unknown
	// list, ErrInvalid for an index out of range or a value that does not
	// fit StatusSize bits.
	SetStatus(ctx context.Context, listID string, index, value int) (changed bool, err error)
	// Entries returns the non-zero entries of a list ordered by index, and
	// the list's Version read in the same transaction.
	Entries(ctx context.Context, listID string) ([]StatusEntry, int64, error)
}

// Exchange is the persistent state of one wallet protocol exchange (VC-API
// exchange, OID4VCI offer, token or nonce), so any replica can serve any step.
type Exchange struct {
	// ID is the exchange's id (unguessable).
	ID string `json:"id"`
	// Protocol names the wallet protocol ("vcapi", "oid4vci", …).
	Protocol string `json:"protocol"`
	// State is protocol-defined ("pending", "active", "complete", …).
	State string `json:"state"`
	// LearnerID and AwardUUID say whose credential the exchange is for.
	LearnerID int64     `json:"learner_id"`
	AwardUUID uuid.UUID `json:"award_uuid"`
	// Data is protocol-defined JSON.
	Data json.RawMessage `json:"data,omitempty"`
	// ExpiresAt is when the exchange stops being usable.
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Exchanges stores wallet exchanges with a time to live.
type Exchanges interface {
	// Create stores a new exchange. ErrConflict if the id exists.
	Create(ctx context.Context, e Exchange) error
	// Get returns the exchange, or ErrNotFound — also when it expired
	// before now.
	Get(ctx context.Context, id string, now time.Time) (Exchange, error)
	// Transition atomically moves the exchange from state from to state
	// to, replacing Data when data is non-nil, and returns the result.
	// ErrNotFound if absent or expired at now; ErrConflict if its state is
	// not from (someone else moved it first), so each step happens once.
	Transition(ctx context.Context, id, from, to string, data json.RawMessage, now time.Time) (Exchange, error)
	// DeleteExpired deletes exchanges that expired before now.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}

// ProviderAccount is an account at a badge provider (a Credly
// organisation, an Accredible API key).
type ProviderAccount struct {
	// ID is the account's id: the Credly organisation id, or a name the
	// host chooses for an Accredible key.
	ID string `json:"id"`
	// Provider is the provider id ("credly", "accredible", …).
	Provider string `json:"provider"`
	Name     string `json:"name,omitempty"`
	// Secret is the API token. Adapters never log it.
	Secret string `json:"-"`
	// Settings holds provider-specific options (webhook secret, sandbox).
	Settings  map[string]string `json:"settings,omitempty"`
	Active    bool              `json:"active"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Template states.
const (
	TemplateDraft    = "draft"
	TemplateActive   = "active"
	TemplateArchived = "archived"
)

// Template is a stored badge template with its current rule set.
type Template struct {
	UUID        uuid.UUID `json:"uuid"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ImageURL    string    `json:"image_url,omitempty"`
	// Provider issues the badge ("credly", "accredible", "obv3", a plugin's).
	Provider string `json:"provider"`
	// AccountID is the provider account the template belongs to.
	AccountID string `json:"account_id,omitempty"`
	// ExternalID is the provider's id for the template (Credly template
	// id, Accredible group id).
	ExternalID string `json:"external_id,omitempty"`
	// State is TemplateDraft, TemplateActive or TemplateArchived.
	State      string `json:"state"`
	Repeatable bool   `json:"repeatable"`
	// Rules is the rule set (JSON, owned by package badge/rules).
	Rules json.RawMessage `json:"rules,omitempty"`
	// RulesVersion is set by the store: 1 for the first rule set, +1 every
	// time PutTemplate stores different Rules.
	RulesVersion int       `json:"rules_version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TemplateFilter selects templates. Zero fields do not filter.
type TemplateFilter struct {
	Provider  string
	AccountID string
	State     string
}

// Config stores configuration: provider accounts and badge templates.
type Config interface {
	// PutAccount inserts or replaces an account (keyed by Provider and ID).
	PutAccount(ctx context.Context, a ProviderAccount) error
	// GetAccount returns an account, or ErrNotFound.
	GetAccount(ctx context.Context, provider, id string) (ProviderAccount, error)
	// ListAccounts returns the accounts of a provider (all when empty).
	ListAccounts(ctx context.Context, provider string) ([]ProviderAccount, error)
	// PutTemplate inserts or updates a template keyed by UUID. When Rules
	// differ (byte-wise after compaction) from the stored ones, a new rules
	// version is recorded and the old one kept (see RulesAt). It returns
	// the stored template with RulesVersion set.
	PutTemplate(ctx context.Context, t Template) (Template, error)
	// PutTemplateIf is PutTemplate as a compare-and-set: it stores t only
	// if the stored template's RulesVersion is rulesVersion (0: only if no
	// template with t.UUID is stored), in the same transaction as the
	// write. Otherwise it writes nothing and returns a
	// *RulesVersionConflict, which matches ErrConflict. A writer that read
	// a template, changed some fields and writes it back passes the
	// RulesVersion it read, so rules another writer stored in between are
	// never overwritten with the ones it read.
	PutTemplateIf(ctx context.Context, t Template, rulesVersion int) (Template, error)
	// GetTemplate returns a template, or ErrNotFound.
	GetTemplate(ctx context.Context, id uuid.UUID) (Template, error)
	// FindTemplate returns the template a provider account knows by
	// externalID, or ErrNotFound.
	FindTemplate(ctx context.Context, provider, accountID, externalID string) (Template, error)
	// ListTemplates returns templates matching f, ordered by UUID.
	ListTemplates(ctx context.Context, f TemplateFilter) ([]Template, error)
	// RulesAt returns a template's rule set at a given version, or ErrNotFound.
	RulesAt(ctx context.Context, id uuid.UUID, version int) (json.RawMessage, error)
}
