package credly

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
)

// Webhook event types credshare acts on.
const (
	EventTemplateCreated   = "badge_template.created"
	EventTemplateChanged   = "badge_template.changed"
	EventTemplateDeleted   = "badge_template.deleted"
	EventBadgeCreated      = "badge.created"
	EventBadgeStateChanged = "badge.state.changed"
	EventBadgeDeleted      = "badge.deleted"
)

// WebhookGroup is the processed-event group webhook events are recorded
// under (store.Events), which makes redelivery harmless.
const WebhookGroup = "webhook:credly"

// SettingWebhookSecret is the ProviderAccount.Settings key of an
// organisation's own webhook secret.
const SettingWebhookSecret = "webhook_secret"

// MaxWebhookBody is the largest webhook body accepted.
const MaxWebhookBody = 1 << 20

// Notification is the body Credly POSTs to the webhook URL: a summary of
// an event, fetched back in full from the API before anything is trusted.
type Notification struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	EventType      string `json:"event_type"`
	OccurredAt     Time   `json:"occurred_at"`
}

// ErrBadNotification is matched by every error of ParseNotification.
var ErrBadNotification = errors.New("credly webhook: malformed notification")

// maxEventType bounds the event_type of a notification.
const maxEventType = 200

// ParseNotification parses and checks a webhook body: a JSON object whose
// id and organization_id are Credly ids (ValidID: lowercase UUIDs, taken
// as they are, never trimmed or decoded) and whose event_type is a
// non-empty string of at most 200 printable ASCII characters. Its errors
// match ErrBadNotification (and ErrInvalidID for a malformed id).
func ParseNotification(body []byte) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("%w: body is not a JSON event: %w", ErrBadNotification, err)
	}
	switch {
	case n.ID == "" || n.OrganizationID == "" || n.EventType == "":
		return Notification{}, fmt.Errorf("%w: id, organization_id and event_type are required", ErrBadNotification)
	case !ValidID(n.ID):
		return Notification{}, fmt.Errorf("%w: id: %w", ErrBadNotification, ErrInvalidID)
	case !ValidID(n.OrganizationID):
		return Notification{}, fmt.Errorf("%w: organization_id: %w", ErrBadNotification, ErrInvalidID)
	case len(n.EventType) > maxEventType || !printable(n.EventType):
		return Notification{}, fmt.Errorf("%w: event_type is too long or not printable ASCII", ErrBadNotification)
	}
	return n, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// WebhookConfig configures a WebhookHandler.
type WebhookConfig struct {
	// Store receives template and badge-state changes and the
	// processed-event marks; its Config holds the organisations. Required.
	Store store.Store
	// Secret, when set, must be presented by every call (query parameter
	// "secret" of the webhook URL, or header X-Credshare-Webhook-Secret).
	// An organisation's Settings["webhook_secret"] overrides it. Credly
	// signs nothing, so the secret is an extra check on top of fetching
	// the event back with the organisation's token.
	Secret string
	// Logger receives one line per refused or failed call, with the
	// request's X-Request-Id when it has one; default slog.Default().
	// Tokens and secrets are never logged.
	Logger *slog.Logger
	// Revocations, when set, records a badge Credly reports revoked while
	// its award is awarded — a person revoked it at Credly — as a person's
	// revocation of the award (credential.RevokedByPerson), in the
	// webhook's transaction: the rules never award it again, badge.revoked
	// is published and status entries are set, and Credly is not called
	// to revoke it again. *pipeline.Pipeline (credential/pipeline)
	// implements it. Without it only the award's Credly state is updated.
	Revocations ProviderRevocations
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// ProviderRevocations records a revocation made at a badge provider, inside
// the transaction tx of the webhook that reported it, with the effects of
// a person's revocation except the call back to provider. It changes
// nothing for an award that is already revoked. credential/pipeline's
// Pipeline implements it.
type ProviderRevocations interface {
	RevokedAtProvider(ctx context.Context, tx store.Repos, award uuid.UUID, provider string, cause credential.Cause) (credential.Award, bool, error)
}

// Answers of the webhook handler. They are deliberately generic: what went
// wrong goes to the log only.
const (
	msgMalformed    = "malformed notification"
	msgUnauthorized = "unauthorized"
	msgRejected     = "event rejected"
	msgUnavailable  = "store unavailable"
	msgUpstream     = "cannot fetch the event from Credly"
)

// WebhookHandler receives Credly webhooks. For each POST it:
//
//  1. parses the body (400 when malformed — the event and organisation ids
//     must be Credly ids, see ParseNotification —, 413 when too large);
//  2. authenticates the call: the organisation is looked up in
//     Store.Config and the shared secret, when one is configured, checked;
//     a bad or missing secret and an unknown or inactive organisation get
//     the same answer (401, same body), so a stranger learns nothing about
//     which organisations exist;
//  3. answers 200 at once for an event id already processed;
//  4. fetches the event from the API with that organisation's token — the
//     authenticity check. The request URL is built from the validated ids
//     only, and the answer must be that very event (same id, same
//     organisation, same event type; ids inside it in Credly's format);
//     anything else, and an event Credly does not know, is refused (400)
//     with no effect; an API failure answers 503 so Credly retries later;
//  5. in one store transaction marks the event processed (group
//     WebhookGroup) and applies it: template created/changed → the template
//     is created or updated (a non-active state archives or drafts it,
//     rules kept); template deleted → archived, never deleted; badge events
//     → the award's Credly provider state is updated, and a badge revoked
//     at Credly while its award is awarded is recorded as a person's
//     revocation through WebhookConfig.Revocations.
//
// It answers 200 when the event is applied or ignored. Bad input never
// causes a 500.
type WebhookHandler struct {
	p   *Provider
	cfg WebhookConfig
}

// NewWebhookHandler returns a handler using p to fetch events.
func NewWebhookHandler(p *Provider, cfg WebhookConfig) (*WebhookHandler, error) {
	if p == nil || cfg.Store == nil {
		return nil, errors.New("credly: webhook needs a Provider and a Store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &WebhookHandler{p: p, cfg: cfg}, nil
}

// WebhookHandler implements badge.WebhookProvider.
func (p *Provider) WebhookHandler(st store.Store) (http.Handler, error) {
	return NewWebhookHandler(p, WebhookConfig{Store: st})
}

// fail answers status with the generic public message and logs reason and
// attrs with the request id.
func (h *WebhookHandler) fail(w http.ResponseWriter, r *http.Request, status int, public, reason string, attrs ...any) {
	base := []any{"status", status, "reason", reason}
	if id := requestID(r); id != "" {
		base = append(base, "request_id", id)
	}
	h.cfg.Logger.WarnContext(r.Context(), "credly webhook refused", append(base, attrs...)...)
	http.Error(w, public, status)
}

// requestID is the caller's X-Request-Id, bounded, for the log.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

// presentedSecret is the secret the call carries, if any.
func presentedSecret(r *http.Request) string {
	if got := r.URL.Query().Get("secret"); got != "" {
		return got
	}
	return r.Header.Get("X-Credshare-Webhook-Secret")
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, "body too large", "body too large")
			return
		}
		h.fail(w, r, http.StatusBadRequest, msgMalformed, "cannot read body", "err", err)
		return
	}
	n, err := ParseNotification(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, msgMalformed, "malformed notification", "err", err)
		return
	}
	ctx := r.Context()
	st := h.cfg.Store
	acc, err := st.Config().GetAccount(ctx, ProviderID, n.OrganizationID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, http.StatusServiceUnavailable, msgUnavailable, "store unavailable", "err", err)
		return
	}
	known := err == nil && acc.Active
	// Authentication first. An unknown organisation is checked against the
	// global secret like any other, and then refused with the same answer
	// as a bad secret.
	secret := h.cfg.Secret
	if s := acc.Settings[SettingWebhookSecret]; known && s != "" {
		secret = s
	}
	if secret != "" && subtle.ConstantTimeCompare([]byte(presentedSecret(r)), []byte(secret)) != 1 {
		h.fail(w, r, http.StatusUnauthorized, msgUnauthorized, "bad or missing webhook secret", "organization_id", n.OrganizationID)
		return
	}
	if !known {
		h.fail(w, r, http.StatusUnauthorized, msgUnauthorized, "unknown or inactive organisation", "organization_id", n.OrganizationID)
		return
	}
	done, err := st.Events().IsProcessed(ctx, WebhookGroup, n.ID)
	if err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, msgUnavailable, "store unavailable", "err", err)
		return
	}
	if done {
		w.WriteHeader(http.StatusOK)
		return
	}
	c, err := h.p.clients.For(acc)
	if err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, msgUpstream, "organisation cannot call the API", "organization_id", n.OrganizationID, "err", err)
		return
	}
	ev, err := c.Event(ctx, n.ID)
	switch {
	case errors.Is(err, ErrWrongObject) || errors.Is(err, ErrInvalidID):
		h.fail(w, r, http.StatusBadRequest, msgRejected, "the API answered with another object than the event", "event_id", n.ID, "err", err)
		return
	case errors.Is(err, badge.ErrNotFound):
		h.fail(w, r, http.StatusBadRequest, msgRejected, "event not known to Credly", "event_id", n.ID)
		return
	case err != nil:
		// 401 here means the stored token expired: 503 makes Credly retry
		// once it is replaced.
		h.fail(w, r, http.StatusServiceUnavailable, msgUpstream, "cannot fetch the event from Credly", "event_id", n.ID, "err", err)
		return
	}
	if reason := mismatch(n, ev); reason != "" {
		h.fail(w, r, http.StatusBadRequest, msgRejected, reason, "event_id", n.ID)
		return
	}
	if ev.EventType == "" {
		ev.EventType = n.EventType
	}
	at := ev.OccurredAt.Time
	if at.IsZero() {
		at = h.cfg.Now()
	}
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		first, err := tx.Events().MarkProcessed(ctx, WebhookGroup, n.ID, h.cfg.Now())
		if err != nil || !first {
			return err
		}
		return h.apply(ctx, tx, n.OrganizationID, ev, at)
	})
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			h.fail(w, r, http.StatusBadRequest, msgRejected, "event cannot be stored", "event_id", n.ID, "err", err)
			return
		}
		h.fail(w, r, http.StatusServiceUnavailable, msgUnavailable, "store failed", "event_id", n.ID, "err", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// mismatch says why a fetched event (whose id and organisation
// Client.Event has checked) cannot be the notified one, or "".
func mismatch(n Notification, ev Event) string {
	switch {
	case ev.ID != n.ID:
		return "fetched event has another id"
	case ev.OrganizationID != "" && ev.OrganizationID != n.OrganizationID:
		return "fetched event belongs to another organisation"
	case ev.EventType != "" && ev.EventType != n.EventType:
		return "fetched event has another event type"
	case ev.BadgeTemplate != nil && ev.BadgeTemplate.ID != "" && !ValidID(ev.BadgeTemplate.ID):
		return "fetched event names a badge template id not in Credly's format"
	case ev.Badge != nil && ev.Badge.ID != "" && !ValidID(ev.Badge.ID):
		return "fetched event names a badge id not in Credly's format"
	}
	return ""
}

// apply writes one fetched event's effect.
func (h *WebhookHandler) apply(ctx context.Context, tx store.Repos, org string, ev Event, at time.Time) error {
	switch ev.EventType {
	case EventTemplateCreated, EventTemplateChanged, EventTemplateDeleted:
		if ev.BadgeTemplate == nil || ev.BadgeTemplate.ID == "" {
			return nil
		}
		return applyTemplate(ctx, tx.Config(), org, ev.EventType, *ev.BadgeTemplate)
	case EventBadgeCreated, EventBadgeStateChanged, EventBadgeDeleted:
		if ev.Badge == nil || ev.Badge.ID == "" {
			return nil
		}
		state := ev.Badge.State
		if ev.EventType == EventBadgeDeleted {
			state = StateDeleted
		}
		if state == "" {
			return nil
		}
		a, err := tx.Awards().FindByProviderRef(ctx, ProviderID, ev.Badge.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // a badge issued outside credshare
		}
		if err != nil {
			return err
		}
		if ref, ok := a.Provider(ProviderID); !ok || ref.State != state {
			a.SetProvider(providerRef(ev.Badge.ID, state, at))
			if _, _, err = tx.Awards().Put(ctx, a); err != nil {
				return err
			}
		}
		if state != StateRevoked || a.Status != credential.StatusAwarded || h.cfg.Revocations == nil {
			return nil
		}
		_, changed, err := h.cfg.Revocations.RevokedAtProvider(ctx, tx, a.UUID, ProviderID, credential.Cause{
			EventID: ev.ID, EventTime: at.UTC(), Reason: "revoked at Credly (badge " + ev.Badge.ID + ")"})
		if err == nil && changed {
			h.cfg.Logger.InfoContext(ctx, "credly webhook: badge revoked at Credly recorded as a person's revocation",
				"award", a.UUID, "badge", ev.Badge.ID, "event_id", ev.ID)
		}
		return err
	}
	return nil
}

// applyTemplate stores what a template event says of the template's
// provider fields. It runs in the webhook's transaction, and another
// delivery, a sync or a rules file load may write the same template at the
// same time (on MariaDB a transaction sees their commits), so it goes
// through badge.PutProviderFields: only the name, description, image and
// state are written, onto the template as stored, with a compare-and-set
// on its rules version — rules stored meanwhile are kept.
func applyTemplate(ctx context.Context, cfg store.Config, org, eventType string, bt BadgeTemplate) error {
	find := func(ctx context.Context) (store.Template, error) {
		return cfg.FindTemplate(ctx, ProviderID, org, bt.ID)
	}
	_, _, err := badge.PutProviderFields(ctx, cfg, find, func(cur store.Template, exists bool) (store.Template, bool) {
		if eventType == EventTemplateDeleted {
			if !exists || cur.State == store.TemplateArchived {
				return cur, false
			}
			cur.State = store.TemplateArchived
			return cur, true
		}
		next := cur
		if !exists {
			next = store.Template{UUID: badge.TemplateUUID(ProviderID, org, bt.ID), Provider: ProviderID, AccountID: org, ExternalID: bt.ID}
		}
		if bt.Name != "" {
			next.Name = bt.Name
		}
		next.Description, next.ImageURL = bt.Description, bt.ImageURL
		next.State = templateState(bt.State)
		if bt.State == "" {
			next.State = store.TemplateActive
			if exists {
				next.State = cur.State
			}
		}
		unchanged := exists && next.Name == cur.Name && next.Description == cur.Description && next.ImageURL == cur.ImageURL && next.State == cur.State
		return next, !unchanged
	})
	return err
}

func providerRef(id, state string, at time.Time) credential.ProviderRef {
	return credential.ProviderRef{Provider: ProviderID, ExternalID: id, State: state, UpdatedAt: at.UTC()}
}
