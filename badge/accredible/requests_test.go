package accredible_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

// api is the API root's path on the test server.
const api = "/v1/"

var fixedNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testProvider points a Provider and a Client at a fresh apiServer.
func testProvider(t *testing.T) (*apiServer, *accredible.Provider, *accredible.Client) {
	t.Helper()
	s := newAPIServer(t)
	opts := []accredible.Option{httpapi.WithBaseURL(s.URL()),
		httpapi.WithRetry(2, time.Millisecond, time.Millisecond), httpapi.WithClock(func() time.Time { return fixedNow })}
	p, err := accredible.NewProvider(accredible.StaticAccounts{testAccount: testKey}, opts...)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	c, err := accredible.New(testKey, opts...)
	if err != nil {
		t.Fatalf("accredible.New: %v", err)
	}
	return s, p, c
}

func issueReq() badge.IssueRequest {
	return badge.IssueRequest{
		IdempotencyKey: "k1",
		AwardUUID:      uuid.MustParse("0b9a4a0e-7f5c-4a43-9d1e-1c1a8f3c2b10"),
		Template:       badge.TemplateRef{AccountID: testAccount, ExternalID: "9549"},
		Recipient:      credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.org", FullName: "Ada Lovelace"},
		IssuedAt:       time.Date(2026, 3, 14, 23, 30, 0, 0, time.FixedZone("", -5*3600)),
		ExpiresAt:      time.Date(2028, 3, 14, 0, 0, 0, 0, time.UTC),
		Evidence:       map[string]string{"grade": "0.92", "transcript": "https://lms.example.org/t/42"},
	}
}

const emptySearch = `{"credentials":[],"meta":{"current_page":1,"next_page":null,"prev_page":null,"total_pages":1,"total_count":0}}`

func TestRequestIssue(t *testing.T) {
	s, p, _ := testProvider(t)
	pin(t, s, "POST", api+"credentials/search",
		`{"group_id":"9549","recipient":{"email":"ada@example.org"},"page":1,"page_size":50}`, 200, emptySearch)
	pin(t, s, "POST", api+"credentials", `{"credential":{
		"recipient":{"name":"Ada Lovelace","email":"ada@example.org","id":"42"},
		"group_id":9549,
		"issued_on":"2026-03-15",
		"expired_on":"2028-03-14",
		"complete":true,
		"evidence_items":[
			{"description":"grade","category":"text","string_object":"0.92"},
			{"description":"transcript","category":"url","url":"https://lms.example.org/t/42"}],
		"meta_data":{"credshare_award":"0b9a4a0e-7f5c-4a43-9d1e-1c1a8f3c2b10","credshare_key":"k1"}}}`,
		200, `{"credential":{"id":10000005,"group_id":9549,"issued_on":"2026-03-15","expired_on":"2028-03-14","complete":true}}`)
	res, err := p.Issue(context.Background(), issueReq())
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if want := (badge.Result{ExternalID: "10000005", State: accredible.StateAccepted}); res != want {
		t.Errorf("Issue = %+v, want %+v", res, want)
	}
}

func TestRequestIssueFindsExisting(t *testing.T) {
	s, p, _ := testProvider(t)
	pin(t, s, "POST", api+"credentials/search",
		`{"group_id":"9549","recipient":{"email":"ada@example.org"},"page":1,"page_size":50}`, 200,
		`{"credentials":[{"id":1,"group_id":9549,"expired_on":"2026-01-01","recipient":{"email":"ada@example.org"}},
		                 {"id":"2","group_id":9549,"expired_on":null,"recipient":{"email":"Ada@Example.org","id":42},"meta_data":{"batch":7}}],
		  "meta":{"current_page":1,"next_page":null,"total_pages":1}}`)
	// Registered so that a create is counted rather than refused.
	s.Respond("POST", api+"credentials", 500, `{"errors":"must not be called"}`)
	res, err := p.Issue(context.Background(), issueReq())
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if want := (badge.Result{ExternalID: "2", State: accredible.StateAccepted}); res != want {
		t.Errorf("Issue = %+v, want %+v: the expired one is skipped", res, want)
	}
	if n := s.Count("POST", api+"credentials"); n != 0 {
		t.Errorf("%d creates, want none: no second credential", n)
	}
}

func TestRequestIssueNotRepeatedAfterAmbiguousFailure(t *testing.T) {
	s, p, _ := testProvider(t)
	pin(t, s, "POST", api+"credentials/search", "", 200, emptySearch)
	s.Respond("POST", api+"credentials/search", 200, emptySearch)
	s.Respond("POST", api+"credentials", 502, `{"errors":"Bad gateway"}`)
	_, err := p.Issue(context.Background(), issueReq())
	if !errors.Is(err, badge.ErrUnavailable) {
		t.Fatalf("Issue error %v, want ErrUnavailable", err)
	}
	if retry.IsPermanent(err) {
		t.Errorf("error %v is permanent, want retryable", err)
	}
	if n := s.Count("POST", api+"credentials"); n != 1 {
		t.Errorf("%d creates, want 1: a create that may have happened is not repeated blindly", n)
	}

	s.Handle("POST", api+"credentials", func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"errors":"slow down"}`)
	})
	_, err = p.Issue(context.Background(), issueReq())
	if !errors.Is(err, badge.ErrRateLimited) {
		t.Fatalf("Issue error %v, want ErrRateLimited", err)
	}
	if n := s.Count("POST", api+"credentials"); n != 2 {
		t.Errorf("%d creates, want 2: a 429 is safe to repeat (count restarts with the new handler)", n)
	}
}

func TestRequestRevokeExpires(t *testing.T) {
	s, p, _ := testProvider(t)
	pin(t, s, "GET", api+"credentials/10000005", "", 200, `{"credential":{"id":"10000005","expired_on":null}}`)
	pin(t, s, "PUT", api+"credentials/10000005", `{"credential":{"expired_on":"2026-04-01"}}`, 200,
		`{"credential":{"id":"10000005","expired_on":"2026-04-01"}}`)
	res, err := p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r", Template: badge.TemplateRef{AccountID: testAccount, ExternalID: "9549"},
		ExternalID: "10000005", RevokedAt: time.Date(2026, 4, 1, 22, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if want := (badge.Result{ExternalID: "10000005", State: accredible.StateExpired}); res != want {
		t.Errorf("Revoke = %+v, want %+v", res, want)
	}
}

func TestRequestGroupsDesignsDelete(t *testing.T) {
	s, p, c := testProvider(t)
	pin(t, s, "GET", api+"issuer/all_groups?page=1&page_size=50", "", 200,
		`{"groups":[{"id":12,"name":"g12","course_name":"Course 12","course_description":"D","primary_design_id":7,"created_at":"2024-01-02T03:04:05Z"}],
		  "meta":{"current_page":1,"next_page":2,"prev_page":null,"total_pages":2}}`)
	pin(t, s, "GET", api+"issuer/all_groups?page=2&page_size=50", "", 200,
		`{"groups":[{"id":13,"name":"g13","course_name":"","primary_design_id":7}],"meta":{"current_page":2,"next_page":null,"total_pages":2}}`)
	pin(t, s, "GET", api+"designs/7", "", 200, `{"design":{"id":7,"rasterized_content_url":"https://img/7.png"}}`)
	var got []badge.RemoteTemplate
	for rt, err := range p.ListTemplates(context.Background(), testAccount) {
		if err != nil {
			t.Fatalf("ListTemplates: %v", err)
		}
		got = append(got, rt)
	}
	if len(got) != 2 {
		t.Fatalf("ListTemplates gave %d templates, want 2: %+v", len(got), got)
	}
	want := badge.RemoteTemplate{AccountID: testAccount, ExternalID: "12", Name: "Course 12", Description: "D",
		ImageURL: "https://img/7.png", State: "active", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("first template = %+v, want %+v", got[0], want)
	}
	if got[1].Name != "g13" {
		t.Errorf("second template's name %q, want g13: falls back to the group name", got[1].Name)
	}
	if n := s.Count("GET", api+"designs/7"); n != 1 {
		t.Errorf("design fetched %d times, want once", n)
	}

	pin(t, s, "DELETE", api+"credentials/99", "", 200, `{"credential":{"id":99}}`)
	if err := c.DeleteCredential(context.Background(), "99"); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	s.Respond("DELETE", api+"credentials/98", 404, `{"errors":"Doesn't exist"}`)
	err := p.Delete(context.Background(), badge.BadgeRef{Template: badge.TemplateRef{AccountID: testAccount}, ExternalID: "98"})
	if !errors.Is(err, badge.ErrNotFound) {
		t.Fatalf("Delete error %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "Doesn't exist") {
		t.Errorf("Delete error %q lacks the API's message", err)
	}
}

func TestRequestErrorBodies(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   error
		text   string
	}{
		{401, "HTTP Token: Access denied.\n", badge.ErrUnauthorized, "Access denied"},
		{401, `{"success":false,"data":"Not enough or too many segments"}`, badge.ErrUnauthorized, "segments"},
		{404, `{"error":"Not found"}`, badge.ErrNotFound, "Not found"},
		{422, `{"errors":{"course_name":["can't be blank"]}}`, badge.ErrInvalid, "course_name: can't be blank"},
		{400, `{"code":400,"message":"Sort order increasing is not supported","status":"invalid_search_query","errors":{}}`, badge.ErrInvalid, "Sort order"},
		{500, `{"errors":"Internal server error"}`, badge.ErrUnavailable, "Internal server error"},
	}
	for _, tc := range cases {
		s, _, c := testProvider(t)
		s.Respond("GET", api+"credentials/1", tc.status, tc.body)
		_, err := c.Credential(context.Background(), "1")
		if !errors.Is(err, tc.kind) {
			t.Fatalf("%q: error %v, want %v", tc.body, err, tc.kind)
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%q: error %q lacks %q", tc.body, err, tc.text)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("%q: error %q contains the key", tc.body, err)
		}
	}
}

func TestCredentialState(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		exp  *string
		want string
	}{
		{nil, accredible.StateAccepted}, {s(""), accredible.StateAccepted},
		{s("2026-05-01"), accredible.StateExpired}, {s("2026-04-30"), accredible.StateExpired},
		{s("2026-05-02"), accredible.StateAccepted}, {s("2026-05-01T13:00:00Z"), accredible.StateAccepted},
		{s("2026-05-01T11:00:00Z"), accredible.StateExpired},
	} {
		if got := (accredible.Credential{ExpiredOn: tc.exp}).State(now); got != tc.want {
			exp := "<nil>"
			if tc.exp != nil {
				exp = *tc.exp
			}
			t.Errorf("State with expired_on %q = %q, want %q", exp, got, tc.want)
		}
	}
}
