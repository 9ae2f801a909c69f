package credly

import (
	"context"
	"errors"
	"iter"
	"sort"
	"strings"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/store"
)

// AccountSource finds provider accounts; see badge.AccountSource.
type AccountSource = badge.AccountSource

// StaticAccounts is an AccountSource from a map of account id to API
// token; see badge.StaticAccounts.
type StaticAccounts = badge.StaticAccounts

// Provider is the Credly badge.Provider. It serves every organisation its
// AccountSource knows: a request's Template.AccountID is the organisation
// id, and the account's Secret is its authorization token (looked up on
// every call, so a rotated token is used at once).
//
// Besides badge.Provider it implements badge.TemplateLister,
// badge.StateGetter, badge.WebhookProvider and badge.RateLimited.
type Provider struct {
	clients *httpapi.Accounts[*Client] // by organisation id; remade when the token changes
	limits  badge.Limits
}

// NewProvider returns a Provider reading organisation tokens from accounts.
func NewProvider(accounts AccountSource, opts ...Option) (*Provider, error) {
	if accounts == nil {
		return nil, errors.New("credly: an AccountSource is required")
	}
	o, api, err := build(opts)
	if err != nil {
		return nil, err
	}
	clients, err := httpapi.NewAccounts(httpapi.AccountsConfig[*Client]{
		Provider: ProviderID, Source: accounts, Noun: "Credly organisation", SecretNoun: "token",
		New: func(acc store.ProviderAccount) (*Client, error) {
			if !safeSegment(acc.ID) {
				return nil, &badge.Error{Provider: ProviderID, Message: "Credly organisation id cannot be a URL path segment", Kind: badge.ErrInvalid, Err: ErrInvalidID}
			}
			return &Client{api: api, org: acc.ID, token: acc.Secret}, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return &Provider{clients: clients, limits: o.Limits}, nil
}

// ID returns "credly".
func (p *Provider) ID() string { return ProviderID }

// Limits returns the limits given with WithLimits (Credly publishes none).
func (p *Provider) Limits() badge.Limits { return p.limits }

// Client returns the API client of organisation org. The error matches
// badge.ErrInvalid for an unknown or inactive organisation.
func (p *Provider) Client(ctx context.Context, org string) (*Client, error) {
	return p.clients.Get(ctx, org)
}

func names(req badge.IssueRequest) (first, last string) {
	first, last = req.Recipient.FirstLastName()
	if first == "" {
		first = req.Recipient.Username
	}
	if last == "" {
		last = req.Recipient.Username
	}
	if last == "" {
		last = first
	}
	return first, last
}

func evidence(m map[string]string) []Evidence {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Evidence, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			out = append(out, Evidence{Type: "UrlEvidence", Name: k, URL: v})
		} else {
			out = append(out, Evidence{Type: "TextEvidence", Title: k, Description: v})
		}
	}
	return out
}

func withProvider(err error) error {
	var e *badge.Error
	if errors.As(err, &e) && e.Provider == "badge" {
		cp := *e
		cp.Provider = ProviderID
		return &cp
	}
	return err
}

// Issue issues a badge: POST organizations/{org}/badges with the
// recipient, the template, issued_at = req.IssuedAt (the award's time, not
// the template's creation date Open edX sends), the expiry, the evidence
// and issuer_earner_id = the learner id. When Credly refuses the badge as a
// duplicate (a retry after a lost response, or a second call with the same
// key), the existing badge for that template and recipient is returned
// instead; if that badge is revoked, the error matches badge.ErrConflict.
func (p *Provider) Issue(ctx context.Context, req badge.IssueRequest) (badge.Result, error) {
	if err := ctx.Err(); err != nil {
		return badge.Result{}, badge.TransportError(ProviderID, "issue", err)
	}
	if err := req.Validate(); err != nil {
		return badge.Result{}, withProvider(err)
	}
	c, err := p.Client(ctx, req.Template.AccountID)
	if err != nil {
		return badge.Result{}, err
	}
	first, last := names(req)
	body := IssueBadgeRequest{
		RecipientEmail:    req.Recipient.Email,
		IssuedToFirstName: first,
		IssuedToLastName:  last,
		BadgeTemplateID:   req.Template.ExternalID,
		IssuedAt:          req.IssuedAt.Format(IssuedAtFormat),
		IssuerEarnerID:    req.Recipient.Key(),
		Evidence:          evidence(req.Evidence),
	}
	if !req.ExpiresAt.IsZero() {
		body.ExpiresAt = req.ExpiresAt.Format(IssuedAtFormat)
	}
	b, err := c.IssueBadge(ctx, body)
	if err == nil {
		return badge.Result{ExternalID: b.ID, State: b.State}, nil
	}
	var e *badge.Error
	if !errors.As(err, &e) || e.StatusCode != 422 {
		return badge.Result{}, err
	}
	existing, found, ferr := p.find(ctx, c, req.Template.ExternalID, req.Recipient.Email, req.Recipient.Key())
	if ferr != nil {
		return badge.Result{}, ferr
	}
	if !found {
		return badge.Result{}, err
	}
	if existing.State == StateRevoked {
		return badge.Result{ExternalID: existing.ID, State: existing.State}, &badge.Error{
			Provider: ProviderID, Op: "issue", StatusCode: e.StatusCode, Kind: badge.ErrConflict,
			Message: "a revoked badge " + existing.ID + " for this template and recipient blocks a new one (allow duplicates on the template to re-issue)",
		}
	}
	return badge.Result{ExternalID: existing.ID, State: existing.State}, nil
}

// find returns the badge of template for the recipient, preferring one that
// is not revoked.
func (p *Provider) find(ctx context.Context, c *Client, template, email, earnerID string) (Badge, bool, error) {
	filter := "badge_template_id::" + filterValue(template) + "|recipient_email::" + filterValue(email)
	var best Badge
	found := false
	for b, err := range c.Badges(ctx, filter) {
		if err != nil {
			return Badge{}, false, err
		}
		if b.BadgeTemplate.ID != "" && b.BadgeTemplate.ID != template {
			continue
		}
		if !strings.EqualFold(b.RecipientEmail, email) && (b.IssuerEarnerID == "" || b.IssuerEarnerID != earnerID) {
			continue
		}
		if !found || (best.State == StateRevoked && b.State != StateRevoked) {
			best, found = b, true
		}
	}
	return best, found, nil
}

// Revoke revokes a badge: PUT organizations/{org}/badges/{id}/revoke with
// the reason. Without ExternalID the badge is looked up by template and
// recipient. Revoking a revoked badge succeeds; an unknown badge gives an
// error matching badge.ErrNotFound.
func (p *Provider) Revoke(ctx context.Context, req badge.RevokeRequest) (badge.Result, error) {
	if err := ctx.Err(); err != nil {
		return badge.Result{}, badge.TransportError(ProviderID, "revoke", err)
	}
	if err := req.Validate(); err != nil {
		return badge.Result{}, withProvider(err)
	}
	c, err := p.Client(ctx, req.Template.AccountID)
	if err != nil {
		return badge.Result{}, err
	}
	id := req.ExternalID
	if id == "" {
		b, found, err := p.find(ctx, c, req.Template.ExternalID, req.Recipient.Email, req.Recipient.Key())
		if err != nil {
			return badge.Result{}, err
		}
		if !found {
			return badge.Result{}, &badge.Error{Provider: ProviderID, Op: "revoke", Kind: badge.ErrNotFound,
				Message: "no badge of template " + req.Template.ExternalID + " for this recipient"}
		}
		if b.State == StateRevoked {
			return badge.Result{ExternalID: b.ID, State: b.State}, nil
		}
		id = b.ID
	}
	reason := req.Reason
	if reason == "" {
		reason = "Revoked by the issuer"
	}
	b, err := c.RevokeBadge(ctx, id, reason, false)
	if err == nil {
		if b.ID == "" {
			b.ID = id
		}
		if b.State == "" {
			b.State = StateRevoked
		}
		return badge.Result{ExternalID: b.ID, State: b.State}, nil
	}
	var e *badge.Error
	if errors.As(err, &e) && (e.StatusCode == 422 || e.StatusCode == 409) {
		// Possibly already revoked: ask.
		cur, gerr := c.Badge(ctx, id)
		if gerr == nil && cur.State == StateRevoked {
			return badge.Result{ExternalID: id, State: cur.State}, nil
		}
	}
	return badge.Result{}, err
}

// BadgeState implements badge.StateGetter (GET organizations/{org}/badges/{id}).
func (p *Provider) BadgeState(ctx context.Context, ref badge.BadgeRef) (badge.Result, error) {
	c, err := p.Client(ctx, ref.Template.AccountID)
	if err != nil {
		return badge.Result{}, err
	}
	if ref.ExternalID == "" {
		return badge.Result{}, &badge.Error{Provider: ProviderID, Op: "get badge", Message: "external_id is required", Kind: badge.ErrInvalid}
	}
	b, err := c.Badge(ctx, ref.ExternalID)
	if err != nil {
		return badge.Result{}, err
	}
	return badge.Result{ExternalID: b.ID, State: b.State}, nil
}

// ListTemplates implements badge.TemplateLister: the organisation's active
// badge templates, every page.
func (p *Provider) ListTemplates(ctx context.Context, accountID string) iter.Seq2[badge.RemoteTemplate, error] {
	return func(yield func(badge.RemoteTemplate, error) bool) {
		c, err := p.Client(ctx, accountID)
		if err != nil {
			yield(badge.RemoteTemplate{}, err)
			return
		}
		for t, err := range c.BadgeTemplates(ctx, "state::active") {
			if err != nil {
				yield(badge.RemoteTemplate{}, err)
				return
			}
			if !yield(remote(accountID, t), nil) {
				return
			}
		}
	}
}

func remote(org string, t BadgeTemplate) badge.RemoteTemplate {
	return badge.RemoteTemplate{
		AccountID: org, ExternalID: t.ID, Name: t.Name, Description: t.Description,
		ImageURL: t.ImageURL, State: templateState(t.State), CreatedAt: t.CreatedAt.Time, UpdatedAt: t.UpdatedAt.Time,
	}
}

func templateState(s string) string {
	switch s {
	case "active":
		return store.TemplateActive
	case "draft":
		return store.TemplateDraft
	default:
		return store.TemplateArchived
	}
}
