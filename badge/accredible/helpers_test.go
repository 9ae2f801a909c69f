package accredible_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// apiServer is an httptest server standing in for the Accredible API in the
// request-shape tests: it answers only the routes a test registers (method,
// path and query, the query compared as a set of values) and counts the
// requests each route and the whole server received. A request no route
// matches fails the test.
type apiServer struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  map[string]int
	total  int
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	s := &apiServer{t: t, routes: map[string]http.HandlerFunc{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API root to hand to httpapi.WithBaseURL.
func (s *apiServer) URL() string { return s.srv.URL + "/v1/" }

// routeKey names a route by method, path and sorted query.
func routeKey(method, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	return method + " " + u.Path + "?" + u.Query().Encode()
}

func (s *apiServer) serve(w http.ResponseWriter, r *http.Request) {
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

// handle registers h for method and target (a path with an optional
// query), replacing an earlier handler for the same route and restarting
// its count.
func (s *apiServer) handle(method, target string, h http.HandlerFunc) {
	key := routeKey(method, target)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[key] = h
	s.calls[key] = 0
}

// respond registers a route answering status and body, with no
// Content-Type and no checks on the request.
func (s *apiServer) respond(method, target string, status int, body string) {
	s.handle(method, target, func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing: the answer carries no type
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// count is how many requests the route received since it was registered.
func (s *apiServer) count(method, target string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[routeKey(method, target)]
}

// pin registers a route that checks the request the way Accredible's API
// expects it (Bearer auth with the API key, Accept JSON, no key in the URL,
// the JSON body wantBody or none), then answers status with the JSON resp.
func pin(t *testing.T, s *apiServer, method, target, wantBody string, status int, resp string) {
	t.Helper()
	s.handle(method, target, func(w http.ResponseWriter, r *http.Request) {
		what := method + " " + target
		if got, want := r.Header.Get("Authorization"), "Bearer "+testKey; got != want {
			t.Errorf("%s: Authorization %q, want %q", what, got, want)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("%s: Accept %q, want application/json", what, got)
		}
		if strings.Contains(r.URL.String(), testKey) || strings.Contains(r.RequestURI, testKey) {
			t.Errorf("%s: key in URL %s", what, r.RequestURI)
		}
		body, _ := io.ReadAll(r.Body)
		if wantBody == "" {
			if len(body) != 0 {
				t.Errorf("%s: request body %q, want none", what, body)
			}
		} else {
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("%s: Content-Type %q, want application/json", what, got)
			}
			checkJSON(t, what+" request body", string(body), wantBody)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, resp)
	})
}

// checkJSON reports an error unless got and want are the same JSON value.
// It only calls t.Errorf, so a server handler may use it.
func checkJSON(t *testing.T, what, got, want string) {
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

func badgeID(id int64) string { return strconv.FormatInt(id, 10) }
