package credly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
)

// Credly API roots.
const (
	// ProductionURL is the production API.
	ProductionURL = "https://api.credly.com/v1/"
	// SandboxURL is the sandbox API.
	SandboxURL = "https://sandbox-api.credly.com/v1/"
)

// IssuedAtFormat is the time format Credly expects in issued_at and
// expires_at ("2014-04-01 09:41:00 -0500").
const IssuedAtFormat = "2006-01-02 15:04:05 -0700"

// ProviderID is the provider id of Credly badges and accounts.
const ProviderID = "credly"

// Badge states at Credly.
const (
	StatePending  = "pending"
	StateAccepted = "accepted"
	StateRejected = "rejected"
	StateRevoked  = "revoked"
	StateExpired  = "expired"
	// StateDeleted is credshare's state for a badge a badge.deleted event
	// reported gone.
	StateDeleted = "deleted"
)

// Option configures a Client or Provider. They are badge/httpapi's options,
// shared by every provider built on it (httpapi.WithBaseURL,
// httpapi.WithHTTPClient, httpapi.WithTimeout, httpapi.WithRetry,
// httpapi.WithMaxRetryAfter, httpapi.WithLogger, httpapi.WithTracerProvider,
// httpapi.WithLimits, httpapi.WithClock), plus WithSandbox.
type Option = httpapi.Option

// WithSandbox uses SandboxURL.
func WithSandbox() Option { return httpapi.WithBaseURL(SandboxURL) }

// build applies opts to this provider's defaults.
func build(opts []Option) (httpapi.Config, *httpapi.API, error) {
	return httpapi.Build(httpapi.Config{Provider: ProviderID, BaseURL: ProductionURL, UserAgent: "credshare-credly/1"}, opts...)
}

// Client calls the Credly API for one organisation. It is safe for
// concurrent use.
type Client struct {
	api   *httpapi.API
	org   string
	token string
}

// New returns a client for organisation orgID authenticated by its
// authorization token.
func New(orgID, token string, opts ...Option) (*Client, error) {
	if orgID == "" || token == "" {
		return nil, errors.New("credly: organisation id and token are required")
	}
	if !safeSegment(orgID) {
		return nil, fmt.Errorf("credly: organisation id %q cannot be a URL path segment", orgID)
	}
	_, api, err := build(opts)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, org: orgID, token: token}, nil
}

// OrganizationID returns the organisation id the client acts for.
func (c *Client) OrganizationID() string { return c.org }

// auth sends the token as the user name of HTTP Basic auth.
func (c *Client) auth(h http.Header) { httpapi.BasicAuth(c.token, "")(h) }

// path builds a request path, relative to the API root, from the
// organisation id and parts, each escaped as one path segment. The
// organisation id is checked by New; ids in parts are checked with
// checkID by the caller, the rest are constants.
func (c *Client) path(parts ...string) string {
	p := "organizations/" + url.PathEscape(c.org)
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// checkID refuses, before any request, an id that is not in Credly's id
// format.
func checkID(op, what, id string) error {
	if ValidID(id) {
		return nil
	}
	return &badge.Error{Provider: ProviderID, Op: op, Message: what + " is not a Credly id (a lowercase UUID)",
		Kind: badge.ErrInvalid, Err: ErrInvalidID}
}

// wrongObject is the error for a response carrying another object than
// the one asked for.
func wrongObject(op, what string) error {
	return &badge.Error{Provider: ProviderID, Op: op, Message: "response carries " + what,
		Kind: badge.ErrUnavailable, Err: ErrWrongObject}
}

func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, body, out any) (int, error) {
	return c.api.Do(ctx, httpapi.Call{Op: op, Method: method, Path: path, Query: q, Body: body,
		Auth: c.auth, Secret: c.token, Out: out})
}

// Organization is a Credly organisation.
type Organization struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	WebhookURL string `json:"webhook_url,omitempty"`
}

// Organization fetches the organisation (GET organizations/{org}); it is
// how a token is checked.
func (c *Client) Organization(ctx context.Context) (Organization, error) {
	var env struct {
		Data Organization `json:"data"`
	}
	_, err := c.do(ctx, "get organization", http.MethodGet, c.path(), nil, nil, &env)
	return env.Data, err
}

// Time is a time Credly sent; it accepts RFC 3339 and IssuedAtFormat and
// leaves anything else zero rather than failing the response.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil || s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, IssuedAtFormat, "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	t.Time = time.Time{}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format(time.RFC3339Nano))
}

// BadgeTemplate is a Credly badge template.
type BadgeTemplate struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
	CreatedAt   Time   `json:"created_at"`
	UpdatedAt   Time   `json:"updated_at"`
	Owner       struct {
		ID string `json:"id,omitempty"`
	} `json:"owner"`
}

// Badge is an issued badge.
type Badge struct {
	ID             string        `json:"id"`
	State          string        `json:"state"`
	IssuedAt       Time          `json:"issued_at"`
	ExpiresAt      Time          `json:"expires_at"`
	RecipientEmail string        `json:"recipient_email"`
	IssuerEarnerID string        `json:"issuer_earner_id,omitempty"`
	BadgeTemplate  BadgeTemplate `json:"badge_template"`
	UpdatedAt      Time          `json:"updated_at"`
}

type page[T any] struct {
	Data     []T `json:"data"`
	Metadata struct {
		CurrentPage int     `json:"current_page"`
		TotalPages  int     `json:"total_pages"`
		NextPageURL *string `json:"next_page_url"`
	} `json:"metadata"`
}

// maxPages stops a listing whose next-page links never end.
const maxPages = 10000

func list[T any](ctx context.Context, c *Client, op, path string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next, query := path, q
		seen := map[string]bool{}
		for n := 0; ; n++ {
			if n >= maxPages || seen[next] {
				yield(zero, &badge.Error{Provider: ProviderID, Op: op, Message: "pagination does not end", Kind: badge.ErrUnavailable, Temporary: true})
				return
			}
			seen[next] = true
			var pg page[T]
			if _, err := c.do(ctx, op, http.MethodGet, next, query, nil, &pg); err != nil {
				yield(zero, err)
				return
			}
			for _, item := range pg.Data {
				if !yield(item, nil) {
					return
				}
			}
			md := pg.Metadata
			if md.NextPageURL == nil || *md.NextPageURL == "" || (md.TotalPages > 0 && md.CurrentPage >= md.TotalPages) {
				return
			}
			next, query = *md.NextPageURL, nil
		}
	}
}

// BadgeTemplates lists the organisation's badge templates, every page
// (GET organizations/{org}/badge_templates?filter=…, following
// metadata.next_page_url). filter is Credly's filter expression, e.g.
// "state::active"; empty lists all.
func (c *Client) BadgeTemplates(ctx context.Context, filter string) iter.Seq2[BadgeTemplate, error] {
	q := url.Values{}
	if filter != "" {
		q.Set("filter", filter)
	}
	return list[BadgeTemplate](ctx, c, "list badge templates", c.path("badge_templates"), q)
}

// Badges lists issued badges, every page (GET organizations/{org}/badges).
// filter is Credly's filter expression, e.g.
// "badge_template_id::…|recipient_email::…"; empty lists all.
func (c *Client) Badges(ctx context.Context, filter string) iter.Seq2[Badge, error] {
	q := url.Values{}
	if filter != "" {
		q.Set("filter", filter)
	}
	return list[Badge](ctx, c, "list badges", c.path("badges"), q)
}

// Evidence is one evidence item of an issued badge.
type Evidence struct {
	// Type is "TextEvidence" (Title, Description) or "UrlEvidence" (Name,
	// URL, Description).
	Type        string `json:"type"`
	Title       string `json:"title,omitempty"`
	Name        string `json:"name,omitempty"`
	URL         string `json:"url,omitempty"`
	Description string `json:"description,omitempty"`
}

// IssueBadgeRequest is the body of POST organizations/{org}/badges.
type IssueBadgeRequest struct {
	RecipientEmail    string `json:"recipient_email"`
	IssuedToFirstName string `json:"issued_to_first_name"`
	IssuedToLastName  string `json:"issued_to_last_name"`
	BadgeTemplateID   string `json:"badge_template_id"`
	// IssuedAt is formatted with IssuedAtFormat.
	IssuedAt string `json:"issued_at"`
	// IssuerEarnerID is credshare's learner id, so badges can be found again.
	IssuerEarnerID string `json:"issuer_earner_id,omitempty"`
	// ExpiresAt is formatted with IssuedAtFormat; empty uses the
	// template's default expiry.
	ExpiresAt                      string     `json:"expires_at,omitempty"`
	Locale                         string     `json:"locale,omitempty"`
	SuppressBadgeNotificationEmail bool       `json:"suppress_badge_notification_email,omitempty"`
	Evidence                       []Evidence `json:"evidence,omitempty"`
}

// IssueBadge issues a badge (POST organizations/{org}/badges). Credly
// refuses a duplicate (same template and recipient) with 422; the Provider
// turns that into the existing badge.
func (c *Client) IssueBadge(ctx context.Context, req IssueBadgeRequest) (Badge, error) {
	var env struct {
		Data Badge `json:"data"`
	}
	_, err := c.do(ctx, "issue", http.MethodPost, c.path("badges"), nil, req, &env)
	if err == nil && env.Data.ID == "" {
		err = &badge.Error{Provider: ProviderID, Op: "issue", Message: "response carries no badge id", Kind: badge.ErrUnavailable, Temporary: true}
	}
	return env.Data, err
}

// RevokeBadge revokes a badge (PUT organizations/{org}/badges/{id}/revoke
// with the reason). id must be a Credly id (ValidID); an answer for
// another badge is refused with an error matching ErrWrongObject.
func (c *Client) RevokeBadge(ctx context.Context, id, reason string, suppressEmail bool) (Badge, error) {
	if err := checkID("revoke", "badge id", id); err != nil {
		return Badge{}, err
	}
	body := struct {
		Reason                         string `json:"reason"`
		SuppressRevokeNotificationMail bool   `json:"suppress_revoke_notification_email"`
	}{reason, suppressEmail}
	var env struct {
		Data Badge `json:"data"`
	}
	_, err := c.do(ctx, "revoke", http.MethodPut, c.path("badges", id, "revoke"), nil, body, &env)
	if err == nil && env.Data.ID != "" && env.Data.ID != id {
		return Badge{}, wrongObject("revoke", "another badge")
	}
	return env.Data, err
}

// Badge fetches one badge (GET organizations/{org}/badges/{id}). id must be
// a Credly id (ValidID); an answer that is not that badge is refused with
// an error matching ErrWrongObject.
func (c *Client) Badge(ctx context.Context, id string) (Badge, error) {
	if err := checkID("get badge", "badge id", id); err != nil {
		return Badge{}, err
	}
	var env struct {
		Data Badge `json:"data"`
	}
	_, err := c.do(ctx, "get badge", http.MethodGet, c.path("badges", id), nil, nil, &env)
	if err == nil && env.Data.ID != id {
		return Badge{}, wrongObject("get badge", "another object than the badge asked for")
	}
	return env.Data, err
}

// Event is a webhook event as the API returns it.
type Event struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organization_id"`
	EventType      string         `json:"event_type"`
	OccurredAt     Time           `json:"occurred_at"`
	BadgeTemplate  *BadgeTemplate `json:"badge_template,omitempty"`
	Badge          *Badge         `json:"badge,omitempty"`
}

// Event fetches an event (GET organizations/{org}/events/{id}). Fetching
// with the organisation's own token is how a webhook is authenticated.
//
// id must be a Credly id (ValidID), so the request can only name that
// event; otherwise nothing is sent and the error matches ErrInvalidID. The
// answer must be that event: its id must be id and its organization_id,
// when present, the client's organisation; otherwise the error matches
// ErrWrongObject and no part of the answer is returned.
func (c *Client) Event(ctx context.Context, id string) (Event, error) {
	if err := checkID("get event", "event id", id); err != nil {
		return Event{}, err
	}
	var env struct {
		Data Event `json:"data"`
	}
	_, err := c.do(ctx, "get event", http.MethodGet, c.path("events", id), nil, nil, &env)
	switch {
	case err != nil:
		return Event{}, err
	case env.Data.ID == "":
		return Event{}, &badge.Error{Provider: ProviderID, Op: "get event", Message: "response carries no event", Kind: badge.ErrUnavailable, Temporary: true}
	case env.Data.ID != id:
		return Event{}, wrongObject("get event", "another object than the event asked for")
	case env.Data.OrganizationID != "" && env.Data.OrganizationID != c.org:
		return Event{}, wrongObject("get event", "an event of another organisation")
	}
	return env.Data, nil
}

// filterValue escapes a value for Credly's "key::value|key::value" filters.
func filterValue(s string) string {
	return strings.NewReplacer("|", "", "::", "").Replace(s)
}
