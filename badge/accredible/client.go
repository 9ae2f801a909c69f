package accredible

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
)

// Accredible API roots.
const (
	// ProductionURL is the production API.
	ProductionURL = "https://api.accredible.com/v1/"
	// SandboxURL is the sandbox API.
	SandboxURL = "https://sandbox.api.accredible.com/v1/"
)

// ProviderID is the provider id of Accredible credentials and accounts.
const ProviderID = "accredible"

// DateFormat is the format of issued_on and expired_on.
const DateFormat = "2006-01-02"

// Credential states as credshare reports them (Accredible has no state
// field: a credential is valid until its expired_on date).
const (
	StateAccepted = "accepted"
	StateExpired  = "expired"
)

// DefaultLimits returns Accredible's published limit: 2000 requests per 5
// minutes from one IP address (6.67/s), counted in 30-second periods, with
// a small margin.
func DefaultLimits() badge.Limits { return badge.Limits{Rate: 6.5, Burst: 20, Concurrency: 4} }

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
	return httpapi.Build(httpapi.Config{Provider: ProviderID, BaseURL: ProductionURL, UserAgent: "credshare-accredible/1", Limits: DefaultLimits()}, opts...)
}

// Client calls the Accredible API with one API key. It is safe for
// concurrent use.
type Client struct {
	api *httpapi.API
	key string
}

// New returns a client authenticated by an API key.
func New(apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("accredible: API key is required")
	}
	_, api, err := build(opts)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, key: apiKey}, nil
}

// auth sends the API key as a bearer token.
func (c *Client) auth(h http.Header) { httpapi.BearerAuth(c.key)(h) }

func (c *Client) call(ctx context.Context, cl httpapi.Call) error {
	cl.Auth, cl.Secret = c.auth, c.key
	_, err := c.api.Do(ctx, cl)
	return err
}

// ID is an Accredible id; the API writes ids as numbers or strings.
type ID string

// UnmarshalJSON accepts a JSON number or string.
func (id *ID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*id = ID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		if string(b) == "null" {
			*id = ""
			return nil
		}
		return fmt.Errorf("accredible id: %w", err)
	}
	*id = ID(s)
	return nil
}

// Group is an Accredible group (an achievement, like a course).
type Group struct {
	ID                ID     `json:"id"`
	Name              string `json:"name"`
	CourseName        string `json:"course_name"`
	CourseDescription string `json:"course_description"`
	PrimaryDesignID   ID     `json:"primary_design_id"`
	CreatedAt         string `json:"created_at"`
	UpdatedAt         string `json:"updated_at"`
}

type meta struct {
	CurrentPage int  `json:"current_page"`
	NextPage    *int `json:"next_page"`
	TotalPages  int  `json:"total_pages"`
}

const maxPages = 10000

// pages runs fetch for pages 1, 2, … until meta says there is no next page.
func pages[T any](ctx context.Context, op string, fetch func(page int) ([]T, meta, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for page := 1; ; {
			if page > maxPages {
				yield(zero, &badge.Error{Provider: ProviderID, Op: op, Message: "pagination does not end", Kind: badge.ErrUnavailable, Temporary: true})
				return
			}
			items, m, err := fetch(page)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if m.NextPage == nil || *m.NextPage <= page || (m.TotalPages > 0 && page >= m.TotalPages) || len(items) == 0 {
				return
			}
			page = *m.NextPage
		}
	}
}

// PageSize is the page size used for lists.
const PageSize = 50

// Groups lists every group the key can see (GET issuer/all_groups with
// page and page_size, every page).
func (c *Client) Groups(ctx context.Context) iter.Seq2[Group, error] {
	return pages(ctx, "list groups", func(page int) ([]Group, meta, error) {
		var out struct {
			Groups []Group `json:"groups"`
			Meta   meta    `json:"meta"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(PageSize)}}
		err := c.call(ctx, httpapi.Call{Op: "list groups", Method: http.MethodGet, Path: "issuer/all_groups", Query: q, Out: &out})
		return out.Groups, out.Meta, err
	})
}

// Design is a credential design.
type Design struct {
	ID                   ID     `json:"id"`
	Name                 string `json:"name"`
	RasterizedContentURL string `json:"rasterized_content_url"`
}

// Design fetches a design (GET designs/{id}); its rasterised image is the
// badge image.
func (c *Client) Design(ctx context.Context, id string) (Design, error) {
	var out struct {
		Design Design `json:"design"`
	}
	err := c.call(ctx, httpapi.Call{Op: "get design", Method: http.MethodGet, Path: "designs/" + url.PathEscape(id), Out: &out})
	return out.Design, err
}

// Recipient is a credential's recipient.
type Recipient struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// ID is the recipient's id in credshare (the LMS user id); the API
	// returns it as a number or a string.
	ID ID `json:"id,omitempty"`
}

// EvidenceItem is supporting evidence shown with a credential.
type EvidenceItem struct {
	Description  string `json:"description"`
	Category     string `json:"category"` // "url" or "text"
	URL          string `json:"url,omitempty"`
	StringObject string `json:"string_object,omitempty"`
}

// CredentialInput is the body of POST credentials (inside "credential").
type CredentialInput struct {
	Recipient     Recipient         `json:"recipient"`
	GroupID       int64             `json:"group_id"`
	Name          string            `json:"name,omitempty"`
	Description   string            `json:"description,omitempty"`
	IssuedOn      string            `json:"issued_on,omitempty"`
	ExpiredOn     string            `json:"expired_on,omitempty"`
	Complete      bool              `json:"complete"`
	EvidenceItems []EvidenceItem    `json:"evidence_items,omitempty"`
	MetaData      map[string]string `json:"meta_data,omitempty"`
}

// Credential is an issued credential.
type Credential struct {
	ID        ID             `json:"id"`
	Name      string         `json:"name"`
	GroupID   ID             `json:"group_id"`
	GroupName string         `json:"group_name"`
	IssuedOn  string         `json:"issued_on"`
	ExpiredOn *string        `json:"expired_on"`
	Complete  bool           `json:"complete"`
	URL       string         `json:"url"`
	Recipient Recipient      `json:"recipient"`
	MetaData  map[string]any `json:"meta_data"`
}

// State is StateExpired when the credential's expired_on is on or before
// now's date, StateAccepted otherwise.
func (cr Credential) State(now time.Time) string {
	if cr.ExpiredOn == nil || *cr.ExpiredOn == "" {
		return StateAccepted
	}
	s := *cr.ExpiredOn
	if len(s) > 10 {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			if !t.After(now) {
				return StateExpired
			}
			return StateAccepted
		}
		s = s[:10]
	}
	if s <= now.UTC().Format(DateFormat) {
		return StateExpired
	}
	return StateAccepted
}

// CreateCredential creates a credential (POST credentials). Accredible
// does not deduplicate, so the call is not repeated after an ambiguous
// failure (see Provider.Issue, which searches first).
func (c *Client) CreateCredential(ctx context.Context, in CredentialInput) (Credential, error) {
	var out struct {
		Credential Credential `json:"credential"`
	}
	body := map[string]any{"credential": in}
	err := c.call(ctx, httpapi.Call{Op: "create credential", Method: http.MethodPost, Path: "credentials", Body: body, Out: &out, Unsafe: true})
	if err == nil && out.Credential.ID == "" {
		err = &badge.Error{Provider: ProviderID, Op: "create credential", Message: "response carries no credential id", Kind: badge.ErrUnavailable, Temporary: true}
	}
	return out.Credential, err
}

// UpdateCredential changes fields of a credential (PUT credentials/{id}
// with {"credential": fields}).
func (c *Client) UpdateCredential(ctx context.Context, id string, fields map[string]any) (Credential, error) {
	var out struct {
		Credential Credential `json:"credential"`
	}
	err := c.call(ctx, httpapi.Call{Op: "update credential", Method: http.MethodPut, Path: "credentials/" + url.PathEscape(id),
		Body: map[string]any{"credential": fields}, Out: &out})
	return out.Credential, err
}

// ExpireCredential revokes a credential the way Accredible allows: by
// setting its expired_on to at's date (UTC).
func (c *Client) ExpireCredential(ctx context.Context, id string, at time.Time) (Credential, error) {
	return c.UpdateCredential(ctx, id, map[string]any{"expired_on": at.UTC().Format(DateFormat)})
}

// DeleteCredential deletes a credential (DELETE credentials/{id}).
func (c *Client) DeleteCredential(ctx context.Context, id string) error {
	return c.call(ctx, httpapi.Call{Op: "delete credential", Method: http.MethodDelete, Path: "credentials/" + url.PathEscape(id)})
}

// Credential fetches a credential (GET credentials/{id}).
func (c *Client) Credential(ctx context.Context, id string) (Credential, error) {
	var out struct {
		Credential Credential `json:"credential"`
	}
	err := c.call(ctx, httpapi.Call{Op: "get credential", Method: http.MethodGet, Path: "credentials/" + url.PathEscape(id), Out: &out})
	if err == nil && out.Credential.ID == "" {
		err = &badge.Error{Provider: ProviderID, Op: "get credential", Message: "response carries no credential", Kind: badge.ErrUnavailable, Temporary: true}
	}
	return out.Credential, err
}

// Search selects credentials in SearchCredentials; empty fields do not filter.
type Search struct {
	GroupID     string
	Email       string
	RecipientID string
}

// SearchCredentials lists matching credentials, every page (POST
// credentials/search).
func (c *Client) SearchCredentials(ctx context.Context, s Search) iter.Seq2[Credential, error] {
	return pages(ctx, "search credentials", func(page int) ([]Credential, meta, error) {
		body := map[string]any{"page": page, "page_size": PageSize}
		if s.GroupID != "" {
			body["group_id"] = s.GroupID
		}
		rec := map[string]string{}
		if s.Email != "" {
			rec["email"] = s.Email
		}
		if s.RecipientID != "" {
			rec["id"] = s.RecipientID
		}
		if len(rec) > 0 {
			body["recipient"] = rec
		}
		var out struct {
			Credentials []Credential `json:"credentials"`
			Meta        meta         `json:"meta"`
		}
		err := c.call(ctx, httpapi.Call{Op: "search credentials", Method: http.MethodPost, Path: "credentials/search", Body: body, Out: &out})
		return out.Credentials, out.Meta, err
	})
}

func groupID(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n > 0
}
