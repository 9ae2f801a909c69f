package badgetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// APIServer is an httptest server standing in for a provider's HTTP API in
// request-shape tests: it answers only the routes a test registers (method,
// path and query, the query compared as a set of values) and counts the
// requests each route and the whole server received. A request no route
// matches fails the test. Provider authors point their client at URL.
type APIServer struct {
	t      testing.TB
	srv    *httptest.Server
	root   string
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  map[string]int
	total  int
}

// NewAPIServer starts an APIServer whose API root is root (e.g. "/v1/"),
// closed when the test ends.
func NewAPIServer(t testing.TB, root string) *APIServer {
	t.Helper()
	s := &APIServer{t: t, root: root, routes: map[string]http.HandlerFunc{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API root to hand to httpapi.WithBaseURL.
func (s *APIServer) URL() string { return s.srv.URL + s.root }

// routeKey names a route by method, path and sorted query.
func routeKey(method, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	return method + " " + u.Path + "?" + u.Query().Encode()
}

func (s *APIServer) serve(w http.ResponseWriter, r *http.Request) {
	key := routeKey(r.Method, r.URL.RequestURI())
	s.mu.Lock()
	s.total++
	h, ok := s.routes[key]
	if ok {
		s.calls[key]++
	}
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	h(w, r)
}

// Handle registers h for method and target (a path with an optional
// query), replacing an earlier handler for the same route and restarting
// its count.
func (s *APIServer) Handle(method, target string, h http.HandlerFunc) {
	key := routeKey(method, target)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[key] = h
	s.calls[key] = 0
}

// Respond registers a route answering status and body, with no
// Content-Type and no checks on the request.
func (s *APIServer) Respond(method, target string, status int, body string) {
	s.Handle(method, target, func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing: the answer carries no type
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// Count is how many requests the route received since it was registered.
func (s *APIServer) Count(method, target string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[routeKey(method, target)]
}

// Total is how many requests the server received.
func (s *APIServer) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Expect is what Pin checks on a request.
type Expect struct {
	// Authorization is the exact Authorization header.
	Authorization string
	// Secret must appear nowhere in the request URL.
	Secret string
	// Body is the JSON the request must carry; empty means no body.
	Body string
}

// Pin registers a route that checks the request against e (and Accept:
// application/json), then answers status with the JSON resp.
func (s *APIServer) Pin(t testing.TB, method, target string, e Expect, status int, resp string) {
	t.Helper()
	s.Handle(method, target, func(w http.ResponseWriter, r *http.Request) {
		what := method + " " + target
		if got := r.Header.Get("Authorization"); got != e.Authorization {
			t.Errorf("%s: Authorization %q, want %q", what, got, e.Authorization)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("%s: Accept %q, want application/json", what, got)
		}
		if e.Secret != "" && (strings.Contains(r.URL.String(), e.Secret) || strings.Contains(r.RequestURI, e.Secret)) {
			t.Errorf("%s: secret in URL %s", what, r.RequestURI)
		}
		body, _ := io.ReadAll(r.Body)
		if e.Body == "" {
			if len(body) != 0 {
				t.Errorf("%s: request body %q, want none", what, body)
			}
		} else {
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("%s: Content-Type %q, want application/json", what, got)
			}
			CheckJSON(t, what+" request body", string(body), e.Body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, resp)
	})
}

// CheckJSON reports an error unless got and want are the same JSON value.
// It only calls t.Errorf, so a server handler may use it.
func CheckJSON(t testing.TB, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Errorf("%s: the expected JSON is invalid: %v", what, err)
		return
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: not JSON (%v): %s", what, err, got)
		return
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}
