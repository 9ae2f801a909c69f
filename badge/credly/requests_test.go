package credly_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

// api is the organisation's path under the API root.
const api = "/v1/organizations/" + testOrg

// testClient points a Client and a Provider at a fresh apiServer.
func testClient(t *testing.T, opts ...credly.Option) (*apiServer, *credly.Client, *credly.Provider) {
	t.Helper()
	s := newAPIServer(t)
	all := append([]credly.Option{httpapi.WithBaseURL(s.URL()), httpapi.WithRetry(2, time.Millisecond, time.Millisecond)}, opts...)
	c, err := credly.New(testOrg, testToken, all...)
	if err != nil {
		t.Fatalf("credly.New: %v", err)
	}
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: testToken}, all...)
	if err != nil {
		t.Fatalf("credly.NewProvider: %v", err)
	}
	return s, c, p
}

func TestRequestOrganization(t *testing.T) {
	s, c, _ := testClient(t)
	pin(t, s, "GET", api, "", 200, `{"data":{"id":"`+testOrg+`","name":"Acme Academy","webhook_url":"https://x.example/hook"}}`)
	org, err := c.Organization(context.Background())
	if err != nil {
		t.Fatalf("Organization: %v", err)
	}
	if want := (credly.Organization{ID: testOrg, Name: "Acme Academy", WebhookURL: "https://x.example/hook"}); org != want {
		t.Errorf("Organization = %+v, want %+v", org, want)
	}
}

func TestRequestTemplatesFollowsPages(t *testing.T) {
	s, _, p := testClient(t)
	pin(t, s, "GET", api+"/badge_templates?filter=state%3A%3Aactive", "", 200, `{"data":[
		{"id":"t1","name":"One","state":"active","description":"d1","image_url":"https://i/1.png","created_at":"2024-01-02T03:04:05.000Z","owner":{"id":"`+testOrg+`"}}],
		"metadata":{"count":1,"current_page":1,"total_count":2,"total_pages":2,"per":1,"previous_page_url":null,
		"next_page_url":"`+strings.TrimSuffix(s.URL(), "/v1/")+api+`/badge_templates?filter=state%3A%3Aactive&page=2"}}`)
	pin(t, s, "GET", api+"/badge_templates?filter=state%3A%3Aactive&page=2", "", 200, `{"data":[
		{"id":"t2","name":"Two","state":"active"}],
		"metadata":{"count":1,"current_page":2,"total_count":2,"total_pages":2,"per":1,"next_page_url":null}}`)
	var got []badge.RemoteTemplate
	for rt, err := range p.ListTemplates(context.Background(), testOrg) {
		if err != nil {
			t.Fatalf("ListTemplates: %v", err)
		}
		got = append(got, rt)
	}
	if len(got) != 2 {
		t.Fatalf("ListTemplates gave %d templates, want 2: %+v", len(got), got)
	}
	want := badge.RemoteTemplate{AccountID: testOrg, ExternalID: "t1", Name: "One", Description: "d1",
		ImageURL: "https://i/1.png", State: "active", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("first template = %+v, want %+v", got[0], want)
	}
	if got[1].ExternalID != "t2" {
		t.Errorf("second template id = %q, want t2", got[1].ExternalID)
	}
}

func TestRequestNextPageOnOtherHostRefused(t *testing.T) {
	s, c, _ := testClient(t)
	pin(t, s, "GET", api+"/badge_templates", "", 200, `{"data":[{"id":"t1"}],
		"metadata":{"current_page":1,"total_pages":2,"next_page_url":"https://evil.example/steal?page=2"}}`)
	var err error
	for _, e := range c.BadgeTemplates(context.Background(), "") {
		err = e
	}
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Fatalf("BadgeTemplates error = %v, want one refusing to send credentials", err)
	}
	if n := s.Total(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func issueRequest() badge.IssueRequest {
	return badge.IssueRequest{
		IdempotencyKey: "k1",
		AwardUUID:      uuid.MustParse("0b9a4a0e-7f5c-4a43-9d1e-1c1a8f3c2b10"),
		Template:       badge.TemplateRef{AccountID: testOrg, ExternalID: "tpl-1"},
		Recipient:      credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.org", FullName: "Ada King Lovelace"},
		IssuedAt:       time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("", -5*3600)),
		ExpiresAt:      time.Date(2028, 3, 14, 0, 0, 0, 0, time.UTC),
		Evidence:       map[string]string{"grade": "0.92", "certificate": "https://courses.example.org/cert/1"},
	}
}

func TestRequestIssue(t *testing.T) {
	s, _, p := testClient(t)
	pin(t, s, "POST", api+"/badges", `{
		"recipient_email":"ada@example.org",
		"issued_to_first_name":"Ada King","issued_to_last_name":"Lovelace",
		"badge_template_id":"tpl-1",
		"issued_at":"2026-03-14 15:09:26 -0500",
		"issuer_earner_id":"42",
		"expires_at":"2028-03-14 00:00:00 +0000",
		"evidence":[
			{"type":"UrlEvidence","name":"certificate","url":"https://courses.example.org/cert/1"},
			{"type":"TextEvidence","title":"grade","description":"0.92"}]}`,
		201, `{"data":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"pending","recipient_email":"ada@example.org","badge_template":{"id":"tpl-1"}}}`)
	res, err := p.Issue(context.Background(), issueRequest())
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if want := (badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "pending"}); res != want {
		t.Errorf("Issue = %+v, want %+v", res, want)
	}
}

func TestRequestIssueDuplicateReturnsExisting(t *testing.T) {
	s, _, p := testClient(t)
	s.Respond("POST", api+"/badges", 422,
		`{"data":{"message":"Validation failed","errors":[{"attribute":"badge","messages":["User already has this badge"]}]}}`)
	pin(t, s, "GET", api+"/badges?filter=badge_template_id%3A%3Atpl-1%7Crecipient_email%3A%3Aada%40example.org", "", 200,
		`{"data":[{"id":"old","state":"revoked","recipient_email":"ada@example.org","badge_template":{"id":"tpl-1"}},
		          {"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted","recipient_email":"ADA@example.org","badge_template":{"id":"tpl-1"}}],
		  "metadata":{"current_page":1,"total_pages":1,"next_page_url":null}}`)
	res, err := p.Issue(context.Background(), issueRequest())
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if want := (badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "accepted"}); res != want {
		t.Errorf("Issue = %+v, want %+v", res, want)
	}
}

func TestRequestIssueInvalidNotRetried(t *testing.T) {
	s, _, p := testClient(t)
	s.Respond("POST", api+"/badges", 422,
		`{"data":{"message":"Validation failed","errors":[{"attribute":"badge_template_id","messages":["is not an active badge template"]}]}}`)
	pin(t, s, "GET", api+"/badges?filter=badge_template_id%3A%3Atpl-1%7Crecipient_email%3A%3Aada%40example.org", "", 200,
		`{"data":[],"metadata":{"current_page":1,"total_pages":1,"next_page_url":null}}`)
	_, err := p.Issue(context.Background(), issueRequest())
	if err == nil {
		t.Fatal("Issue succeeded, want an error")
	}
	if !errors.Is(err, badge.ErrInvalid) {
		t.Errorf("Issue error %v, want ErrInvalid", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("Issue error %v is retryable, want permanent", err)
	}
	if !strings.Contains(err.Error(), "is not an active badge template") {
		t.Errorf("Issue error %q lacks the API's message", err)
	}
	var e *badge.Error
	if !errors.As(err, &e) {
		t.Fatalf("Issue error %T is not a *badge.Error", err)
	}
	if e.StatusCode != 422 {
		t.Errorf("StatusCode = %d, want 422", e.StatusCode)
	}
	if n := s.Count("POST", api+"/badges"); n != 1 {
		t.Errorf("%d POST badges, want 1: a 422 must not be retried", n)
	}
}

func TestRequestRevoke(t *testing.T) {
	s, _, p := testClient(t)
	pin(t, s, "PUT", api+"/badges/7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10/revoke", `{"reason":"certificate revoked","suppress_revoke_notification_email":false}`,
		200, `{"data":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"revoked"}}`)
	res, err := p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r1", Template: badge.TemplateRef{AccountID: testOrg, ExternalID: "tpl-1"},
		ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", Reason: "certificate revoked"})
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if want := (badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "revoked"}); res != want {
		t.Errorf("Revoke = %+v, want %+v", res, want)
	}
}

func TestRequestGetBadgeAndEvent(t *testing.T) {
	s, c, _ := testClient(t)
	pin(t, s, "GET", api+"/badges/7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", "", 200, `{"data":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted","issued_at":"2026-03-14 15:09:26 -0500"}}`)
	pin(t, s, "GET", api+"/events/0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c", "", 200, `{"data":{"id":"0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c","organization_id":"`+testOrg+`","event_type":"badge.state.changed",
		"occurred_at":"2026-03-15T10:00:00Z","badge":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted"}}}`)
	b, err := c.Badge(context.Background(), "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10")
	if err != nil {
		t.Fatalf("Badge: %v", err)
	}
	if b.State != "accepted" {
		t.Errorf("badge state %q, want accepted", b.State)
	}
	if want := time.Date(2026, 3, 14, 20, 9, 26, 0, time.UTC); !b.IssuedAt.Equal(want) {
		t.Errorf("badge issued at %v, want %v", b.IssuedAt, want)
	}
	ev, err := c.Event(context.Background(), "0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c")
	if err != nil {
		t.Fatalf("Event: %v", err)
	}
	if ev.EventType != "badge.state.changed" {
		t.Errorf("event type %q, want badge.state.changed", ev.EventType)
	}
	if ev.Badge == nil {
		t.Fatal("event without its badge")
	}
	if ev.Badge.ID != "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10" {
		t.Errorf("event badge id %q, want 7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", ev.Badge.ID)
	}
}

func TestRequestErrors(t *testing.T) {
	cases := []struct {
		status    int
		header    string
		body      string
		kind      error
		retryable bool
		wantText  string
	}{
		{401, "", `{"data":{"message":"Authorization token has expired"}}`, badge.ErrUnauthorized, false, "token has expired"},
		{403, "", `{"data":{"message":"Forbidden"}}`, badge.ErrUnauthorized, false, "token"},
		{404, "", `{"data":{"message":"Badge not found"}}`, badge.ErrNotFound, false, "Badge not found"},
		{429, "7", `{"data":{"message":"Too many requests"}}`, badge.ErrRateLimited, true, "retry after 7s"},
		{500, "", `<html>oops</html>`, badge.ErrUnavailable, true, "<html>oops</html>"},
		{503, "", `{"message":"maintenance"}`, badge.ErrUnavailable, true, "maintenance"},
	}
	for _, tc := range cases {
		s, c, _ := testClient(t, httpapi.WithMaxRetryAfter(time.Millisecond))
		s.Handle("GET", api+"/badges/9f8e7d6c-5b4a-4321-8fed-cba987654321", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.body+" echo "+testToken)
		})
		_, err := c.Badge(context.Background(), "9f8e7d6c-5b4a-4321-8fed-cba987654321")
		if err == nil {
			t.Fatalf("%d: Badge succeeded, want an error", tc.status)
		}
		if !errors.Is(err, tc.kind) {
			t.Errorf("%d: error %v, want %v", tc.status, err, tc.kind)
		}
		if got := !retry.IsPermanent(err); got != tc.retryable {
			t.Errorf("%d: retryable = %v, want %v", tc.status, got, tc.retryable)
		}
		if !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("%d: error %q lacks %q", tc.status, err, tc.wantText)
		}
		var e *badge.Error
		if !errors.As(err, &e) {
			t.Fatalf("%d: error %T is not a *badge.Error", tc.status, err)
		}
		if strings.Contains(e.Body+e.Message+err.Error(), testToken) {
			t.Errorf("%d: token leaked: %+v", tc.status, e)
		}
		if e.StatusCode != tc.status {
			t.Errorf("StatusCode = %d, want %d", e.StatusCode, tc.status)
		}
		want := 1
		if tc.retryable && tc.header == "" {
			want = 2 // WithRetry(2, …); a Retry-After beyond WithMaxRetryAfter returns at once
		}
		if n := s.Total(); n != want {
			t.Errorf("attempts for %d: %d, want %d", tc.status, n, want)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	for name, opt := range map[string]credly.Option{
		"relative":   httpapi.WithBaseURL("/v1/"),
		"plain http": httpapi.WithBaseURL("http://api.credly.com/v1/"),
		"user info":  httpapi.WithBaseURL("https://u:p@api.credly.com/v1/"),
		"ftp":        httpapi.WithBaseURL("ftp://api.credly.com/v1/"),
		"timeout":    httpapi.WithTimeout(0),
		"retry":      httpapi.WithRetry(0, time.Second, time.Second),
		"nil client": httpapi.WithHTTPClient(nil),
	} {
		if _, err := credly.New(testOrg, testToken, opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := credly.New("", testToken); err == nil {
		t.Error("empty organisation accepted")
	}
	for _, u := range []string{credly.ProductionURL, credly.SandboxURL, "http://127.0.0.1:8080/v1", "https://credly.internal.example/api/v1"} {
		if _, err := credly.New(testOrg, testToken, httpapi.WithBaseURL(u)); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if _, err := credly.NewProvider(nil); err == nil {
		t.Error("nil AccountSource accepted")
	}
}

// TestSandboxURL checks that WithSandbox sends requests to the sandbox
// host: the client's HTTP client dials a TLS test server whatever the
// address, so the server sees the Host and path the client chose.
func TestSandboxURL(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Host != "sandbox-api.credly.com" || r.URL.Path != "/v1/organizations/"+testOrg {
			t.Errorf("request %s https://%s%s, want GET https://sandbox-api.credly.com/v1/organizations/%s", r.Method, r.Host, r.URL.Path, testOrg)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"id":"`+testOrg+`","name":"Sandbox"}}`)
	}))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs, ServerName: "example.com"} // a name in the test certificate
	c, err := credly.New(testOrg, testToken, credly.WithSandbox(), httpapi.WithHTTPClient(&http.Client{Transport: tr}),
		httpapi.WithRetry(2, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatalf("credly.New: %v", err)
	}
	org, err := c.Organization(context.Background())
	if err != nil {
		t.Fatalf("Organization: %v", err)
	}
	if org.Name != "Sandbox" {
		t.Errorf("organisation name %q, want Sandbox", org.Name)
	}
	if strings.Contains(org.Name, testToken) {
		t.Errorf("token in organisation name %q", org.Name)
	}
}
