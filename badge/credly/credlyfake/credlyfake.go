package credlyfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/badge/badgetest"
	"github.com/google/uuid"
)

// IssuedAtFormat is Credly's issued_at format.
const IssuedAtFormat = "2006-01-02 15:04:05 -0700"

// Template is a badge template held by the fake.
type Template struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Description string `json:"description"`
	ImageURL    string `json:"image_url"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Owner       struct {
		ID string `json:"id"`
	} `json:"owner"`
}

// Badge is an issued badge held by the fake, with the request that made it.
type Badge struct {
	ID             string          `json:"id"`
	State          string          `json:"state"`
	IssuedAt       string          `json:"issued_at"`
	ExpiresAt      *string         `json:"expires_at"`
	RecipientEmail string          `json:"recipient_email"`
	IssuerEarnerID string          `json:"issuer_earner_id"`
	FirstName      string          `json:"issued_to_first_name"`
	LastName       string          `json:"issued_to_last_name"`
	BadgeTemplate  Template        `json:"badge_template"`
	Evidence       json.RawMessage `json:"evidence,omitempty"`
	RevokeReason   string          `json:"revoke_reason,omitempty"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
}

// Event is a webhook event held by the fake.
type Event struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	EventType      string    `json:"event_type"`
	OccurredAt     string    `json:"occurred_at"`
	BadgeTemplate  *Template `json:"badge_template,omitempty"`
	Badge          *Badge    `json:"badge,omitempty"`
}

type org struct {
	id, name, token string
	expired         bool
	templates       []*Template
	badges          []*Badge
	events          map[string]*Event
}

// Server is the fake API. Create it with New; it is safe for concurrent use.
type Server struct {
	// Faults sits in front of the API; inject faults through it.
	Faults *badgetest.Faults
	// PerPage is the page size of every list (default 50).
	PerPage int

	srv *httptest.Server
	mu  sync.Mutex
	org map[string]*org
	now func() time.Time
}

// New starts a fake on 127.0.0.1; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake on 127.0.0.1; call Close when done.
func NewServer() *Server {
	s := &Server{Faults: &badgetest.Faults{}, PerPage: 50, org: map[string]*org{}, now: time.Now}
	s.srv = httptest.NewServer(s.Faults.Wrap(http.StripPrefix("/v1", http.HandlerFunc(s.serve))))
	return s
}

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// URL returns the API root to pass to httpapi.WithBaseURL.
func (s *Server) URL() string { return s.srv.URL + "/v1/" }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddOrg registers an organisation with its token.
func (s *Server) AddOrg(id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org[id] = &org{id: id, name: "Organisation " + id, token: token, events: map[string]*Event{}}
}

// ExpireToken makes the organisation's token answer 401 "expired".
func (s *Server) ExpireToken(orgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.org[orgID]; o != nil {
		o.expired = true
	}
}

// AddTemplate adds a template (id and timestamps are filled when empty) and
// returns it.
func (s *Server) AddTemplate(orgID string, t Template) Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org[orgID]
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	if t.State == "" {
		t.State = "active"
	}
	now := s.now().UTC().Format(time.RFC3339)
	if t.CreatedAt == "" {
		t.CreatedAt = now
	}
	t.UpdatedAt = now
	t.Owner.ID = orgID
	o.templates = append(o.templates, &t)
	return t
}

// AddTemplates adds n active templates named "Template i" and returns them.
func (s *Server) AddTemplates(orgID string, n int) []Template {
	out := make([]Template, 0, n)
	for i := range n {
		out = append(out, s.AddTemplate(orgID, Template{Name: fmt.Sprintf("Template %d", i), Description: "Badge template " + strconv.Itoa(i),
			ImageURL: fmt.Sprintf("https://images.example.org/t%d.png", i)}))
	}
	return out
}

// UpdateTemplate changes a template with fn and records a
// badge_template.changed event (or .deleted when remove is true, which also
// removes it); it returns the event id.
func (s *Server) UpdateTemplate(orgID, id string, fn func(*Template), remove bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org[orgID]
	for i, t := range o.templates {
		if t.ID != id {
			continue
		}
		if fn != nil {
			fn(t)
		}
		t.UpdatedAt = s.now().UTC().Format(time.RFC3339)
		cp := *t
		typ := "badge_template.changed"
		if remove {
			typ = "badge_template.deleted"
			o.templates = append(o.templates[:i], o.templates[i+1:]...)
		}
		return s.event(o, typ, &cp, nil)
	}
	return ""
}

// TemplateCreated adds a template and records a badge_template.created
// event; it returns the template and the event id.
func (s *Server) TemplateCreated(orgID string, t Template) (Template, string) {
	t = s.AddTemplate(orgID, t)
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := t
	return t, s.event(s.org[orgID], "badge_template.created", &cp, nil)
}

// SetBadgeState changes a badge's state (accepted, rejected, expired, …) and
// records a badge.state.changed event; it returns the event id.
func (s *Server) SetBadgeState(orgID, badgeID, state string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org[orgID]
	for _, b := range o.badges {
		if b.ID == badgeID {
			b.State = state
			b.UpdatedAt = s.now().UTC().Format(time.RFC3339)
			cp := *b
			return s.event(o, "badge.state.changed", nil, &cp)
		}
	}
	return ""
}

func (s *Server) event(o *org, typ string, t *Template, b *Badge) string {
	ev := &Event{ID: uuid.NewString(), OrganizationID: o.id, EventType: typ, OccurredAt: s.now().UTC().Format(time.RFC3339),
		BadgeTemplate: t, Badge: b}
	o.events[ev.ID] = ev
	return ev.ID
}

// Notification returns the webhook body Credly would POST for an event.
func (s *Server) Notification(orgID, eventID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.org[orgID].events[eventID]
	b, _ := json.Marshal(map[string]string{"id": ev.ID, "organization_id": ev.OrganizationID,
		"event_type": ev.EventType, "occurred_at": ev.OccurredAt})
	return b
}

// Badges returns copies of the organisation's badges.
func (s *Server) Badges(orgID string) []Badge {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Badge
	for _, b := range s.org[orgID].badges {
		out = append(out, *b)
	}
	return out
}

// Count returns how many badges of template the organisation holds for email.
func (s *Server) Count(orgID, templateID, email string) int {
	n := 0
	for _, b := range s.Badges(orgID) {
		if b.BadgeTemplate.ID == templateID && strings.EqualFold(b.RecipientEmail, email) {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string, fieldErrs ...map[string]any) {
	data := map[string]any{"message": msg}
	if len(fieldErrs) > 0 {
		data["errors"] = fieldErrs
	}
	writeJSON(w, status, map[string]any{"data": data})
}

func (s *Server) auth(r *http.Request, o *org) (ok bool, expired bool) {
	h := r.Header.Get("Authorization")
	raw, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return false, false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		return false, false
	}
	tok, _, _ := strings.Cut(string(dec), ":") // "token:" or the bare token
	if tok != o.token {
		return false, false
	}
	return !o.expired, o.expired
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "organizations" {
		apiError(w, http.StatusNotFound, "Not found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org[parts[1]]
	if o == nil {
		// Credly answers 401 for an organisation the token does not belong to.
		apiError(w, http.StatusUnauthorized, "You are not authorized to perform this action")
		return
	}
	if ok, expired := s.auth(r, o); !ok {
		if expired {
			apiError(w, http.StatusUnauthorized, "Authorization token has expired")
			return
		}
		apiError(w, http.StatusUnauthorized, "Invalid authorization token")
		return
	}
	rest := parts[2:]
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"data": map[string]any{"id": o.id, "name": o.name, "webhook_url": nil}})
	case len(rest) == 1 && rest[0] == "badge_templates" && r.Method == http.MethodGet:
		f := filters(r)
		var items []any
		for _, t := range o.templates {
			if st, ok := f["state"]; ok && !contains(strings.Split(st, ","), t.State) {
				continue
			}
			items = append(items, t)
		}
		s.page(w, r, items)
	case len(rest) == 1 && rest[0] == "badges" && r.Method == http.MethodGet:
		f := filters(r)
		var items []any
		for _, b := range o.badges {
			if v, ok := f["badge_template_id"]; ok && b.BadgeTemplate.ID != v {
				continue
			}
			if v, ok := f["recipient_email"]; ok && !strings.EqualFold(b.RecipientEmail, v) {
				continue
			}
			if v, ok := f["issuer_earner_id"]; ok && b.IssuerEarnerID != v {
				continue
			}
			if v, ok := f["state"]; ok && !contains(strings.Split(v, ","), b.State) {
				continue
			}
			items = append(items, b)
		}
		s.page(w, r, items)
	case len(rest) == 1 && rest[0] == "badges" && r.Method == http.MethodPost:
		s.issue(w, r, o)
	case len(rest) == 2 && rest[0] == "badges" && r.Method == http.MethodGet:
		if b := findBadge(o, rest[1]); b != nil {
			writeJSON(w, 200, map[string]any{"data": b})
			return
		}
		apiError(w, http.StatusNotFound, "Badge not found")
	case len(rest) == 3 && rest[0] == "badges" && rest[2] == "revoke" && r.Method == http.MethodPut:
		b := findBadge(o, rest[1])
		if b == nil {
			apiError(w, http.StatusNotFound, "Badge not found")
			return
		}
		var body struct {
			Reason string `json:"reason"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Reason == "" {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed", map[string]any{"attribute": "reason", "messages": []string{"can't be blank"}})
			return
		}
		if b.State == "revoked" {
			apiError(w, http.StatusUnprocessableEntity, "Badge has already been revoked")
			return
		}
		b.State, b.RevokeReason = "revoked", body.Reason
		b.UpdatedAt = s.now().UTC().Format(time.RFC3339)
		cp := *b
		s.event(o, "badge.state.changed", nil, &cp)
		writeJSON(w, 200, map[string]any{"data": b})
	case len(rest) == 2 && rest[0] == "events" && r.Method == http.MethodGet:
		if ev := o.events[rest[1]]; ev != nil {
			writeJSON(w, 200, map[string]any{"data": ev})
			return
		}
		apiError(w, http.StatusNotFound, "Event not found")
	default:
		apiError(w, http.StatusNotFound, "Not found")
	}
}

func findBadge(o *org, id string) *Badge {
	for _, b := range o.badges {
		if b.ID == id {
			return b
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// filters parses filter=key::value|key::value.
func filters(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(r.URL.Query().Get("filter"), "|") {
		if k, v, ok := strings.Cut(part, "::"); ok {
			out[k] = v
		}
	}
	return out
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, items []any) {
	per := max(s.PerPage, 1)
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = max(pg, 1)
	total := len(items)
	pages := max((total+per-1)/per, 1)
	lo, hi := min((pg-1)*per, total), min(pg*per, total)
	link := func(p int) any {
		if p < 1 || p > pages {
			return nil
		}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: "http", Host: r.Host, Path: "/v1" + r.URL.Path, RawQuery: q.Encode()}
		return u.String()
	}
	data := items[lo:hi]
	if data == nil {
		data = []any{}
	}
	writeJSON(w, 200, map[string]any{"data": data, "metadata": map[string]any{
		"count": len(data), "current_page": pg, "total_count": total, "total_pages": pages, "per": per,
		"previous_page_url": link(pg - 1), "next_page_url": link(pg + 1),
	}})
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, o *org) {
	var req struct {
		RecipientEmail  string          `json:"recipient_email"`
		FirstName       string          `json:"issued_to_first_name"`
		LastName        string          `json:"issued_to_last_name"`
		BadgeTemplateID string          `json:"badge_template_id"`
		IssuedAt        string          `json:"issued_at"`
		IssuerEarnerID  string          `json:"issuer_earner_id"`
		ExpiresAt       *string         `json:"expires_at"`
		Evidence        json.RawMessage `json:"evidence"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "Malformed JSON")
		return
	}
	var errs []map[string]any
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, map[string]any{"attribute": field, "messages": []string{"can't be blank"}})
		}
	}
	need("recipient_email", req.RecipientEmail)
	need("issued_to_first_name", req.FirstName)
	need("issued_to_last_name", req.LastName)
	need("badge_template_id", req.BadgeTemplateID)
	need("issued_at", req.IssuedAt)
	if req.IssuedAt != "" {
		if _, err := time.Parse(IssuedAtFormat, req.IssuedAt); err != nil {
			errs = append(errs, map[string]any{"attribute": "issued_at", "messages": []string{"is not a valid time"}})
		}
	}
	var tpl *Template
	for _, t := range o.templates {
		if t.ID == req.BadgeTemplateID {
			tpl = t
		}
	}
	if req.BadgeTemplateID != "" && (tpl == nil || tpl.State != "active") {
		errs = append(errs, map[string]any{"attribute": "badge_template_id", "messages": []string{"is not an active badge template"}})
	}
	if len(errs) > 0 {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed", errs...)
		return
	}
	for _, b := range o.badges {
		if b.BadgeTemplate.ID == tpl.ID && (strings.EqualFold(b.RecipientEmail, req.RecipientEmail) ||
			(req.IssuerEarnerID != "" && b.IssuerEarnerID == req.IssuerEarnerID)) {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed",
				map[string]any{"attribute": "badge", "messages": []string{"User already has this badge"}})
			return
		}
	}
	now := s.now().UTC().Format(time.RFC3339)
	b := &Badge{ID: uuid.NewString(), State: "pending", IssuedAt: req.IssuedAt, ExpiresAt: req.ExpiresAt,
		RecipientEmail: req.RecipientEmail, IssuerEarnerID: req.IssuerEarnerID, FirstName: req.FirstName,
		LastName: req.LastName, BadgeTemplate: *tpl, Evidence: req.Evidence, CreatedAt: now, UpdatedAt: now}
	o.badges = append(o.badges, b)
	cp := *b
	s.event(o, "badge.created", nil, &cp)
	writeJSON(w, http.StatusCreated, map[string]any{"data": b})
}
