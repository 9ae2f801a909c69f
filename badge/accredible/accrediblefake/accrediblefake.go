package accrediblefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/badge/badgetest"
)

// Group is a group held by the fake.
type Group struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	CourseName        string `json:"course_name"`
	CourseDescription string `json:"course_description"`
	PrimaryDesignID   *int64 `json:"primary_design_id"`
	CreatedAt         string `json:"created_at"`
	UpdatedAt         string `json:"updated_at"`
}

// Credential is a credential held by the fake.
type Credential struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	GroupID       int64             `json:"group_id"`
	GroupName     string            `json:"group_name"`
	IssuedOn      string            `json:"issued_on"`
	ExpiredOn     *string           `json:"expired_on"`
	Complete      bool              `json:"complete"`
	URL           string            `json:"url"`
	Recipient     Recipient         `json:"recipient"`
	EvidenceItems json.RawMessage   `json:"evidence_items,omitempty"`
	MetaData      map[string]string `json:"meta_data"`
}

// Recipient is a credential's recipient.
type Recipient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	ID    string `json:"id,omitempty"`
}

type account struct {
	groups      []*Group
	designs     map[int64]string
	credentials []*Credential
}

// Server is the fake API; create it with New. Safe for concurrent use.
type Server struct {
	// Faults sits in front of the API.
	Faults *badgetest.Faults
	// PageSizeCap caps page_size (default 50), to force many pages.
	PageSizeCap int

	srv    *httptest.Server
	mu     sync.Mutex
	acc    map[string]*account
	nextID int64
}

// New starts a fake on 127.0.0.1; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake on 127.0.0.1; call Close when done.
func NewServer() *Server {
	s := &Server{Faults: &badgetest.Faults{}, PageSizeCap: 50, acc: map[string]*account{}, nextID: 10000000}
	s.srv = httptest.NewServer(s.Faults.Wrap(http.StripPrefix("/v1", http.HandlerFunc(s.serve))))
	return s
}

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// URL returns the API root to pass to httpapi.WithBaseURL.
func (s *Server) URL() string { return s.srv.URL + "/v1/" }

// AddAccount registers an API key.
func (s *Server) AddAccount(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acc[key] = &account{designs: map[int64]string{}}
}

// RemoveAccount revokes an API key (401 from then on).
func (s *Server) RemoveAccount(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.acc, key)
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// AddGroup adds a group with a primary design whose image URL is image
// (no design when empty) and returns it.
func (s *Server) AddGroup(key, name, description, image string) Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acc[key]
	now := time.Now().UTC().Format(time.RFC3339)
	g := &Group{ID: s.id(), Name: strings.ToLower(strings.ReplaceAll(name, " ", "-")), CourseName: name,
		CourseDescription: description, CreatedAt: now, UpdatedAt: now}
	if image != "" {
		d := s.id()
		a.designs[d] = image
		g.PrimaryDesignID = &d
	}
	a.groups = append(a.groups, g)
	return *g
}

// UpdateGroup changes a group with fn; remove deletes it.
func (s *Server) UpdateGroup(key string, id int64, fn func(*Group), remove bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acc[key]
	for i, g := range a.groups {
		if g.ID == id {
			if remove {
				a.groups = append(a.groups[:i], a.groups[i+1:]...)
				return
			}
			fn(g)
			return
		}
	}
}

// Credentials returns copies of the account's credentials.
func (s *Server) Credentials(key string) []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Credential
	for _, c := range s.acc[key].credentials {
		out = append(out, *c)
	}
	return out
}

// Count returns how many credentials of group the account holds for email.
func (s *Server) Count(key, group, email string) int {
	n := 0
	for _, c := range s.Credentials(key) {
		if strconv.FormatInt(c.GroupID, 10) == group && strings.EqualFold(c.Recipient.Email, email) {
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

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		key, _ = strings.CutPrefix(h, "Token token=")
	}
	a := s.acc[strings.TrimSpace(key)]
	if key == "" || a == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("HTTP Token: Access denied.\n"))
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "issuer" && parts[1] == "all_groups" && r.Method == http.MethodGet:
		items := make([]any, 0, len(a.groups))
		for _, g := range a.groups {
			items = append(items, g)
		}
		page, size := s.paging(r.URL.Query().Get("page"), r.URL.Query().Get("page_size"))
		data, m := pageOf(items, page, size)
		writeJSON(w, 200, map[string]any{"groups": data, "meta": m})
	case len(parts) == 2 && parts[0] == "designs" && r.Method == http.MethodGet:
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		img, ok := a.designs[id]
		if !ok {
			writeJSON(w, 404, map[string]any{"errors": "Doesn't exist"})
			return
		}
		writeJSON(w, 200, map[string]any{"design": map[string]any{"id": id, "name": "Design " + parts[1], "rasterized_content_url": img}})
	case len(parts) == 1 && parts[0] == "credentials" && r.Method == http.MethodPost:
		s.create(w, r, a)
	case len(parts) == 2 && parts[0] == "credentials" && parts[1] == "search" && r.Method == http.MethodPost:
		s.search(w, r, a)
	case len(parts) == 2 && parts[0] == "credentials":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		var c *Credential
		idx := -1
		for i, x := range a.credentials {
			if x.ID == id {
				c, idx = x, i
			}
		}
		if c == nil {
			writeJSON(w, 404, map[string]any{"errors": "Doesn't exist"})
			return
		}
		switch r.Method {
		case http.MethodGet:
			// The real API writes this id as a string.
			writeJSON(w, 200, map[string]any{"credential": withStringID(c)})
		case http.MethodPut, http.MethodPatch:
			var body struct {
				Credential map[string]json.RawMessage `json:"credential"`
			}
			if json.NewDecoder(r.Body).Decode(&body) != nil || body.Credential == nil {
				writeJSON(w, 422, map[string]any{"errors": "credential is required"})
				return
			}
			if v, ok := body.Credential["expired_on"]; ok {
				var s string
				if json.Unmarshal(v, &s) != nil || !validDate(s) {
					writeJSON(w, 422, map[string]any{"errors": map[string]any{"expired_on": []string{"is not a date"}}})
					return
				}
				c.ExpiredOn = &s
			}
			writeJSON(w, 200, map[string]any{"credential": c})
		case http.MethodDelete:
			a.credentials = append(a.credentials[:idx], a.credentials[idx+1:]...)
			writeJSON(w, 200, map[string]any{"credential": c})
		default:
			writeJSON(w, 405, map[string]any{"errors": "Method not allowed"})
		}
	default:
		writeJSON(w, 404, map[string]any{"error": "Not found"})
	}
}

func withStringID(c *Credential) map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["id"] = strconv.FormatInt(c.ID, 10)
	return m
}

func validDate(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

func (s *Server) paging(p, ps string) (int, int) {
	page, _ := strconv.Atoi(p)
	size, _ := strconv.Atoi(ps)
	if size <= 0 {
		size = 50
	}
	return max(page, 1), min(size, max(s.PageSizeCap, 1))
}

func pageOf(items []any, page, size int) ([]any, map[string]any) {
	total := len(items)
	pages := max((total+size-1)/size, 1)
	lo, hi := min((page-1)*size, total), min(page*size, total)
	m := map[string]any{"current_page": page, "total_pages": pages, "total_count": total, "page_size": size, "prev_page": nil, "next_page": nil}
	if page > 1 {
		m["prev_page"] = page - 1
	}
	if page < pages {
		m["next_page"] = page + 1
	}
	data := items[lo:hi]
	if data == nil {
		data = []any{}
	}
	return data, m
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, a *account) {
	var body struct {
		Credential struct {
			Recipient     Recipient         `json:"recipient"`
			GroupID       json.Number       `json:"group_id"`
			Name          string            `json:"name"`
			IssuedOn      string            `json:"issued_on"`
			ExpiredOn     *string           `json:"expired_on"`
			Complete      bool              `json:"complete"`
			EvidenceItems json.RawMessage   `json:"evidence_items"`
			MetaData      map[string]string `json:"meta_data"`
		} `json:"credential"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, 400, map[string]any{"code": 400, "message": "Malformed JSON", "errors": map[string]any{}})
		return
	}
	in := body.Credential
	if in.Recipient.Email == "" || in.Recipient.Name == "" {
		writeJSON(w, 422, map[string]any{"errors": "Can not create credential without recipient data"})
		return
	}
	gid, _ := in.GroupID.Int64()
	var g *Group
	for _, x := range a.groups {
		if x.ID == gid {
			g = x
		}
	}
	if g == nil {
		writeJSON(w, 422, map[string]any{"errors": "Invalid Group"})
		return
	}
	if in.IssuedOn != "" && !validDate(in.IssuedOn) {
		writeJSON(w, 422, map[string]any{"errors": map[string]any{"issued_on": []string{"is not a date"}}})
		return
	}
	if in.ExpiredOn != nil && !validDate(*in.ExpiredOn) {
		writeJSON(w, 422, map[string]any{"errors": map[string]any{"expired_on": []string{"is not a date"}}})
		return
	}
	id := s.id()
	name := in.Name
	if name == "" {
		name = g.CourseName
	}
	c := &Credential{ID: id, Name: name, GroupID: g.ID, GroupName: g.Name, IssuedOn: in.IssuedOn, ExpiredOn: in.ExpiredOn,
		Complete: in.Complete, URL: fmt.Sprintf("https://www.credential.net/%d", id), Recipient: in.Recipient,
		EvidenceItems: in.EvidenceItems, MetaData: in.MetaData}
	a.credentials = append(a.credentials, c)
	writeJSON(w, 200, map[string]any{"credential": c})
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, a *account) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, 400, map[string]any{"code": 400, "message": "Malformed JSON", "status": "invalid_search_query", "errors": map[string]any{}})
		return
	}
	str := func(raw json.RawMessage) string {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	group := str(body["group_id"])
	email := str(body["recipient.email"])
	if rec, ok := body["recipient"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(rec, &m) == nil {
			email = str(m["email"])
		}
	}
	var items []any
	for _, c := range a.credentials {
		if group != "" && strconv.FormatInt(c.GroupID, 10) != group {
			continue
		}
		if email != "" && !strings.EqualFold(c.Recipient.Email, email) {
			continue
		}
		items = append(items, c)
	}
	page, size := s.paging(str(body["page"]), str(body["page_size"]))
	data, m := pageOf(items, page, size)
	writeJSON(w, 200, map[string]any{"credentials": data, "meta": m})
}
