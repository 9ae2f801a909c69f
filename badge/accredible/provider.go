package accredible

import (
	"context"
	"errors"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/store"
)

// AccountSource finds provider accounts; see badge.AccountSource.
type AccountSource = badge.AccountSource

// StaticAccounts is an AccountSource from a map of account id to API
// token; see badge.StaticAccounts.
type StaticAccounts = badge.StaticAccounts

// Provider is the Accredible badge.Provider. A request's
// Template.AccountID names the API account (a name the host chose; its
// Secret is the API key) and Template.ExternalID is the group id.
//
// Accredible offers no webhooks for credential changes, so the Provider
// implements badge.StateGetter for polling, plus badge.TemplateLister
// (groups) and badge.RateLimited (DefaultLimits unless WithLimits). It is safe for
// concurrent use.
type Provider struct {
	clients *httpapi.Accounts[*Client] // by account; remade when the key changes
	limits  badge.Limits
	now     func() time.Time
}

// NewProvider returns a Provider reading API keys from accounts.
func NewProvider(accounts AccountSource, opts ...Option) (*Provider, error) {
	if accounts == nil {
		return nil, errors.New("accredible: an AccountSource is required")
	}
	o, api, err := build(opts)
	if err != nil {
		return nil, err
	}
	clients, err := httpapi.NewAccounts(httpapi.AccountsConfig[*Client]{
		Provider: ProviderID, Source: accounts, Noun: "Accredible account", SecretNoun: "API key",
		New: func(acc store.ProviderAccount) (*Client, error) { return &Client{api: api, key: acc.Secret}, nil },
	})
	if err != nil {
		return nil, err
	}
	return &Provider{clients: clients, limits: o.Limits, now: o.Now}, nil
}

// ID returns "accredible".
func (p *Provider) ID() string { return ProviderID }

// Limits implements badge.RateLimited.
func (p *Provider) Limits() badge.Limits { return p.limits }

// Client returns the API client of an account. Unknown or inactive
// accounts give an error matching badge.ErrInvalid.
func (p *Provider) Client(ctx context.Context, account string) (*Client, error) {
	return p.clients.Get(ctx, account)
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

func invalid(op, msg string) error {
	return &badge.Error{Provider: ProviderID, Op: op, Message: msg, Kind: badge.ErrInvalid}
}

// find returns the credentials of group for the recipient e-mail.
func find(ctx context.Context, c *Client, group, email string) ([]Credential, error) {
	var out []Credential
	for cr, err := range c.SearchCredentials(ctx, Search{GroupID: group, Email: email}) {
		if err != nil {
			return nil, err
		}
		if (cr.GroupID == "" || string(cr.GroupID) == group) && strings.EqualFold(cr.Recipient.Email, email) {
			out = append(out, cr)
		}
	}
	return out, nil
}

func evidence(m map[string]string) []EvidenceItem {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]EvidenceItem, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			out = append(out, EvidenceItem{Description: k, Category: "url", URL: v})
		} else {
			out = append(out, EvidenceItem{Description: k, Category: "text", StringObject: v})
		}
	}
	return out
}

// Issue creates a credential in the template's group for the recipient
// (POST credentials with recipient name, e-mail and id, group_id,
// issued_on = the award's date, expired_on, complete = true, evidence and
// the award's id in meta_data). Accredible does not refuse duplicates, so
// Issue first searches the group for a valid credential of the recipient
// and returns it when there is one; and the create itself is not repeated
// inside the call after an ambiguous failure (timeout, 5xx, unreadable
// answer): the retryable error goes back to the outbox, whose later retry
// searches again and finds the credential if the lost call made it.
func (p *Provider) Issue(ctx context.Context, req badge.IssueRequest) (badge.Result, error) {
	if err := ctx.Err(); err != nil {
		return badge.Result{}, badge.TransportError(ProviderID, "issue", err)
	}
	if err := req.Validate(); err != nil {
		return badge.Result{}, withProvider(err)
	}
	gid, ok := groupID(req.Template.ExternalID)
	if !ok {
		return badge.Result{}, invalid("issue", "template.external_id must be an Accredible group id (a positive integer)")
	}
	c, err := p.Client(ctx, req.Template.AccountID)
	if err != nil {
		return badge.Result{}, err
	}
	now := p.now()
	existing, err := find(ctx, c, req.Template.ExternalID, req.Recipient.Email)
	if err != nil {
		return badge.Result{}, err
	}
	for _, cr := range existing {
		if cr.State(now) != StateExpired {
			return badge.Result{ExternalID: string(cr.ID), State: cr.State(now)}, nil
		}
	}
	name := strings.TrimSpace(req.Recipient.FullName)
	if name == "" {
		name = req.Recipient.Username
	}
	in := CredentialInput{
		Recipient:     Recipient{Name: name, Email: req.Recipient.Email, ID: ID(req.Recipient.Key())},
		GroupID:       gid,
		IssuedOn:      req.IssuedAt.UTC().Format(DateFormat),
		Complete:      true,
		EvidenceItems: evidence(req.Evidence),
		MetaData:      map[string]string{"credshare_award": req.AwardUUID.String(), "credshare_key": req.IdempotencyKey},
	}
	if !req.ExpiresAt.IsZero() {
		in.ExpiredOn = req.ExpiresAt.UTC().Format(DateFormat)
	}
	cr, err := c.CreateCredential(ctx, in)
	if err != nil {
		return badge.Result{}, err
	}
	return badge.Result{ExternalID: string(cr.ID), State: cr.State(now)}, nil
}

// Revoke expires the credential (PUT credentials/{id} with expired_on =
// the revocation date), since Accredible has no revoke verb. Without
// ExternalID every valid credential of the recipient in the group is
// expired. Expiring an expired credential succeeds; an unknown one gives an
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
	at := req.RevokedAt
	if at.IsZero() || at.After(p.now()) {
		at = p.now()
	}
	ids := []string{req.ExternalID}
	if req.ExternalID == "" {
		found, err := find(ctx, c, req.Template.ExternalID, req.Recipient.Email)
		if err != nil {
			return badge.Result{}, err
		}
		if len(found) == 0 {
			return badge.Result{}, &badge.Error{Provider: ProviderID, Op: "revoke", Kind: badge.ErrNotFound,
				Message: "no credential in group " + req.Template.ExternalID + " for this recipient"}
		}
		ids = ids[:0]
		for _, cr := range found {
			if cr.State(p.now()) != StateExpired {
				ids = append(ids, string(cr.ID))
			}
		}
		if len(ids) == 0 {
			return badge.Result{ExternalID: string(found[0].ID), State: StateExpired}, nil
		}
	}
	var res badge.Result
	for _, id := range ids {
		cr, err := c.Credential(ctx, id)
		if err != nil {
			return badge.Result{}, err
		}
		res = badge.Result{ExternalID: id, State: StateExpired}
		if cr.State(p.now()) == StateExpired {
			continue // already expired: nothing to do
		}
		if _, err := c.ExpireCredential(ctx, id, at); err != nil {
			return badge.Result{}, err
		}
	}
	return res, nil
}

// Delete deletes a credential outright (DELETE credentials/{id}); Revoke is
// the auditable path. Deleting an unknown credential gives an error
// matching badge.ErrNotFound.
func (p *Provider) Delete(ctx context.Context, ref badge.BadgeRef) error {
	c, err := p.Client(ctx, ref.Template.AccountID)
	if err != nil {
		return err
	}
	if ref.ExternalID == "" {
		return invalid("delete", "external_id is required")
	}
	return c.DeleteCredential(ctx, ref.ExternalID)
}

// BadgeState implements badge.StateGetter (GET credentials/{id}); this is
// how Accredible states are refreshed, by polling.
func (p *Provider) BadgeState(ctx context.Context, ref badge.BadgeRef) (badge.Result, error) {
	c, err := p.Client(ctx, ref.Template.AccountID)
	if err != nil {
		return badge.Result{}, err
	}
	if ref.ExternalID == "" {
		return badge.Result{}, invalid("get credential", "external_id is required")
	}
	cr, err := c.Credential(ctx, ref.ExternalID)
	if err != nil {
		return badge.Result{}, err
	}
	return badge.Result{ExternalID: string(cr.ID), State: cr.State(p.now())}, nil
}

// ListTemplates implements badge.TemplateLister: the account's groups,
// every page, with the image of each group's primary design. Only the
// given account's key is used, so a sync of one account never sees (or
// deactivates) another account's groups.
func (p *Provider) ListTemplates(ctx context.Context, accountID string) iter.Seq2[badge.RemoteTemplate, error] {
	return func(yield func(badge.RemoteTemplate, error) bool) {
		c, err := p.Client(ctx, accountID)
		if err != nil {
			yield(badge.RemoteTemplate{}, err)
			return
		}
		images := map[ID]string{}
		for g, err := range c.Groups(ctx) {
			if err != nil {
				yield(badge.RemoteTemplate{}, err)
				return
			}
			img, ok := images[g.PrimaryDesignID]
			if !ok && g.PrimaryDesignID != "" {
				d, err := c.Design(ctx, string(g.PrimaryDesignID))
				switch {
				case errors.Is(err, badge.ErrNotFound):
				case err != nil:
					yield(badge.RemoteTemplate{}, err)
					return
				default:
					img = d.RasterizedContentURL
				}
				images[g.PrimaryDesignID] = img
			}
			name := g.CourseName
			if name == "" {
				name = g.Name
			}
			rt := badge.RemoteTemplate{AccountID: accountID, ExternalID: string(g.ID), Name: name,
				Description: g.CourseDescription, ImageURL: img, State: store.TemplateActive}
			rt.CreatedAt, _ = time.Parse(time.RFC3339, g.CreatedAt)
			rt.UpdatedAt, _ = time.Parse(time.RFC3339, g.UpdatedAt)
			if !yield(rt, nil) {
				return
			}
		}
	}
}
