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
	"strings"
	"time"

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

// ParseNotification parses and checks a webhook body: a JSON object with a
// non-empty id, organization_id and event_type, each a string of at most
// 200 characters.
func ParseNotification(body []byte) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("credly webhook: body is not a JSON event: %w", err)
	}
	n.ID, n.OrganizationID, n.EventType = strings.TrimSpace(n.ID), strings.TrimSpace(n.OrganizationID), strings.TrimSpace(n.EventType)
	switch {
	case n.ID == "" || n.OrganizationID == "" || n.EventType == "":
		return Notification{}, errors.New("credly webhook: id, organization_id and event_type are required")
	case len(n.ID) > 200 || len(n.OrganizationID) > 200 || len(n.EventType) > 200:
		return Notification{}, errors.New("credly webhook: field too long")
	}
	return n, nil
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
	// Logger receives one line per refused or failed call; default
	// slog.Default(). Tokens and secrets are never logged.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// WebhookHandler receives Credly webhooks. For each POST it:
//
//  1. parses the body (400 when malformed, 413 when too large);
//  2. finds the organisation in Store.Config (404 when unknown or inactive);
//  3. checks the shared secret when one is configured (401);
//  4. answers 200 at once for an event id already processed;
//  5. fetches the event from the API with that organisation's token — the
//     authenticity check: an event Credly does not know is refused (400);
//     an API failure answers 503 so Credly retries later;
//  6. in one store transaction marks the event processed (group
//     WebhookGroup) and applies it: template created/changed → the template
//     is created or updated (a non-active state archives or drafts it,
//     rules kept); template deleted → archived, never deleted; badge events
//     → the award's Credly provider state is updated.
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

func (h *WebhookHandler) fail(w http.ResponseWriter, r *http.Request, status int, msg string, attrs ...any) {
	h.cfg.Logger.WarnContext(r.Context(), "credly webhook refused", append([]any{"status", status, "reason", msg}, attrs...)...)
	http.Error(w, msg, status)
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
			h.fail(w, r, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		h.fail(w, r, http.StatusBadRequest, "cannot read body")
		return
	}
	n, err := ParseNotification(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	st := h.cfg.Store
	acc, err := st.Config().GetAccount(ctx, ProviderID, n.OrganizationID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !acc.Active):
		h.fail(w, r, http.StatusNotFound, "unknown organisation", "organization_id", n.OrganizationID)
		return
	case err != nil:
		h.fail(w, r, http.StatusServiceUnavailable, "store unavailable", "err", err)
		return
	}
	secret := h.cfg.Secret
	if s := acc.Settings[SettingWebhookSecret]; s != "" {
		secret = s
	}
	if secret != "" {
		got := r.URL.Query().Get("secret")
		if got == "" {
			got = r.Header.Get("X-Credshare-Webhook-Secret")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			h.fail(w, r, http.StatusUnauthorized, "bad or missing webhook secret", "organization_id", n.OrganizationID)
			return
		}
	}
	done, err := st.Events().IsProcessed(ctx, WebhookGroup, n.ID)
	if err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, "store unavailable", "err", err)
		return
	}
	if done {
		w.WriteHeader(http.StatusOK)
		return
	}
	c, err := h.p.clientFor(acc)
	if err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, "organisation cannot call the API", "organization_id", n.OrganizationID, "err", err)
		return
	}
	ev, err := c.Event(ctx, n.ID)
	switch {
	case errors.Is(err, badge.ErrNotFound):
		h.fail(w, r, http.StatusBadRequest, "event not known to Credly", "event_id", n.ID)
		return
	case err != nil:
		// 401 here means the stored token expired: 503 makes Credly retry
		// once it is replaced.
		h.fail(w, r, http.StatusServiceUnavailable, "cannot fetch the event from Credly", "event_id", n.ID, "err", err)
		return
	}
	if (ev.OrganizationID != "" && ev.OrganizationID != n.OrganizationID) || (ev.EventType != "" && ev.EventType != n.EventType) {
		h.fail(w, r, http.StatusBadRequest, "event does not match the notification", "event_id", n.ID)
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
		return apply(ctx, tx, n.OrganizationID, ev, at)
	})
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			h.fail(w, r, http.StatusBadRequest, "event cannot be stored", "event_id", n.ID, "err", err)
			return
		}
		h.fail(w, r, http.StatusServiceUnavailable, "store failed", "event_id", n.ID, "err", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// apply writes one fetched event's effect.
func apply(ctx context.Context, tx store.Repos, org string, ev Event, at time.Time) error {
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
		if ref, ok := a.Provider(ProviderID); ok && ref.State == state {
			return nil
		}
		a.SetProvider(providerRef(ev.Badge.ID, state, at))
		_, _, err = tx.Awards().Put(ctx, a)
		return err
	}
	return nil
}

func applyTemplate(ctx context.Context, cfg store.Config, org, eventType string, bt BadgeTemplate) error {
	cur, err := cfg.FindTemplate(ctx, ProviderID, org, bt.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if eventType == EventTemplateDeleted {
		if !exists || cur.State == store.TemplateArchived {
			return nil
		}
		cur.State = store.TemplateArchived
		_, err = cfg.PutTemplate(ctx, cur)
		return err
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
	if exists && next.Name == cur.Name && next.Description == cur.Description && next.ImageURL == cur.ImageURL && next.State == cur.State {
		return nil
	}
	_, err = cfg.PutTemplate(ctx, next)
	return err
}

func providerRef(id, state string, at time.Time) credential.ProviderRef {
	return credential.ProviderRef{Provider: ProviderID, ExternalID: id, State: state, UpdatedAt: at.UTC()}
}
