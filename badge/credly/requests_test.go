package credly_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

const api = "https://api.credly.com/v1/organizations/" + testOrg

// pin registers a responder that checks method, URL, headers and the JSON
// body of the request, then answers status with resp.
func pin(t *testing.T, mt *httpmock.MockTransport, method, url, wantBody string, status int, resp string) {
	t.Helper()
	mt.RegisterResponder(method, url, func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(testToken+":")), r.Header.Get("Authorization"), "auth header")
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.NotContains(t, r.URL.String(), testToken, "token in URL")
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		if wantBody == "" {
			assert.Empty(t, body, "request body")
		} else {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.JSONEq(t, wantBody, string(body), "request body")
		}
		res := httpmock.NewStringResponse(status, resp)
		res.Header.Set("Content-Type", "application/json")
		return res, nil
	})
}

func mockClient(t *testing.T, opts ...credly.Option) (*httpmock.MockTransport, *credly.Client, *credly.Provider) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mt}
	all := append([]credly.Option{credly.WithHTTPClient(hc), credly.WithRetry(2, time.Millisecond, time.Millisecond)}, opts...)
	c, err := credly.New(testOrg, testToken, all...)
	require.NoError(t, err)
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: testToken}, all...)
	require.NoError(t, err)
	return mt, c, p
}

func TestRequestOrganization(t *testing.T) {
	mt, c, _ := mockClient(t)
	pin(t, mt, "GET", api, "", 200, `{"data":{"id":"`+testOrg+`","name":"Acme Academy","webhook_url":"https://x.example/hook"}}`)
	org, err := c.Organization(context.Background())
	require.NoError(t, err)
	assert.Equal(t, credly.Organization{ID: testOrg, Name: "Acme Academy", WebhookURL: "https://x.example/hook"}, org)
}

func TestRequestTemplatesFollowsPages(t *testing.T) {
	mt, _, p := mockClient(t)
	pin(t, mt, "GET", api+"/badge_templates?filter=state%3A%3Aactive", "", 200, `{"data":[
		{"id":"t1","name":"One","state":"active","description":"d1","image_url":"https://i/1.png","created_at":"2024-01-02T03:04:05.000Z","owner":{"id":"`+testOrg+`"}}],
		"metadata":{"count":1,"current_page":1,"total_count":2,"total_pages":2,"per":1,"previous_page_url":null,
		"next_page_url":"https://api.credly.com/v1/organizations/`+testOrg+`/badge_templates?filter=state%3A%3Aactive&page=2"}}`)
	pin(t, mt, "GET", api+"/badge_templates?filter=state%3A%3Aactive&page=2", "", 200, `{"data":[
		{"id":"t2","name":"Two","state":"active"}],
		"metadata":{"count":1,"current_page":2,"total_count":2,"total_pages":2,"per":1,"next_page_url":null}}`)
	var got []badge.RemoteTemplate
	for rt, err := range p.ListTemplates(context.Background(), testOrg) {
		require.NoError(t, err)
		got = append(got, rt)
	}
	require.Len(t, got, 2)
	assert.Equal(t, badge.RemoteTemplate{AccountID: testOrg, ExternalID: "t1", Name: "One", Description: "d1",
		ImageURL: "https://i/1.png", State: "active", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, got[0])
	assert.Equal(t, "t2", got[1].ExternalID)
}

func TestRequestNextPageOnOtherHostRefused(t *testing.T) {
	mt, c, _ := mockClient(t)
	pin(t, mt, "GET", api+"/badge_templates", "", 200, `{"data":[{"id":"t1"}],
		"metadata":{"current_page":1,"total_pages":2,"next_page_url":"https://evil.example/steal?page=2"}}`)
	var err error
	for _, e := range c.BadgeTemplates(context.Background(), "") {
		err = e
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refusing to send credentials")
	assert.Equal(t, 1, mt.GetTotalCallCount())
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
	mt, _, p := mockClient(t)
	pin(t, mt, "POST", api+"/badges", `{
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
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "pending"}, res)
}

func TestRequestIssueDuplicateReturnsExisting(t *testing.T) {
	mt, _, p := mockClient(t)
	mt.RegisterResponder("POST", api+"/badges", httpmock.NewStringResponder(422,
		`{"data":{"message":"Validation failed","errors":[{"attribute":"badge","messages":["User already has this badge"]}]}}`))
	pin(t, mt, "GET", api+"/badges?filter=badge_template_id%3A%3Atpl-1%7Crecipient_email%3A%3Aada%40example.org", "", 200,
		`{"data":[{"id":"old","state":"revoked","recipient_email":"ada@example.org","badge_template":{"id":"tpl-1"}},
		          {"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted","recipient_email":"ADA@example.org","badge_template":{"id":"tpl-1"}}],
		  "metadata":{"current_page":1,"total_pages":1,"next_page_url":null}}`)
	res, err := p.Issue(context.Background(), issueRequest())
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "accepted"}, res)
}

func TestRequestIssueInvalidNotRetried(t *testing.T) {
	mt, _, p := mockClient(t)
	mt.RegisterResponder("POST", api+"/badges", httpmock.NewStringResponder(422,
		`{"data":{"message":"Validation failed","errors":[{"attribute":"badge_template_id","messages":["is not an active badge template"]}]}}`))
	pin(t, mt, "GET", api+"/badges?filter=badge_template_id%3A%3Atpl-1%7Crecipient_email%3A%3Aada%40example.org", "", 200,
		`{"data":[],"metadata":{"current_page":1,"total_pages":1,"next_page_url":null}}`)
	_, err := p.Issue(context.Background(), issueRequest())
	require.Error(t, err)
	assert.ErrorIs(t, err, badge.ErrInvalid)
	assert.False(t, !retry.IsPermanent(err))
	assert.Contains(t, err.Error(), "is not an active badge template")
	var e *badge.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, 422, e.StatusCode)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+api+"/badges"], "a 422 must not be retried")
}

func TestRequestRevoke(t *testing.T) {
	mt, _, p := mockClient(t)
	pin(t, mt, "PUT", api+"/badges/7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10/revoke", `{"reason":"certificate revoked","suppress_revoke_notification_email":false}`,
		200, `{"data":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"revoked"}}`)
	res, err := p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r1", Template: badge.TemplateRef{AccountID: testOrg, ExternalID: "tpl-1"},
		ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", Reason: "certificate revoked"})
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", State: "revoked"}, res)
}

func TestRequestGetBadgeAndEvent(t *testing.T) {
	mt, c, _ := mockClient(t)
	pin(t, mt, "GET", api+"/badges/7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", "", 200, `{"data":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted","issued_at":"2026-03-14 15:09:26 -0500"}}`)
	pin(t, mt, "GET", api+"/events/0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c", "", 200, `{"data":{"id":"0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c","organization_id":"`+testOrg+`","event_type":"badge.state.changed",
		"occurred_at":"2026-03-15T10:00:00Z","badge":{"id":"7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10","state":"accepted"}}}`)
	b, err := c.Badge(context.Background(), "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10")
	require.NoError(t, err)
	assert.Equal(t, "accepted", b.State)
	assert.True(t, b.IssuedAt.Equal(time.Date(2026, 3, 14, 20, 9, 26, 0, time.UTC)))
	ev, err := c.Event(context.Background(), "0b7d6a35-8e4f-4f2a-b0c1-9d8e7f6a5b4c")
	require.NoError(t, err)
	assert.Equal(t, "badge.state.changed", ev.EventType)
	require.NotNil(t, ev.Badge)
	assert.Equal(t, "7c1e2a44-2d1b-4c8e-9a51-6f0e3b2d9c10", ev.Badge.ID)
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
		mt, c, _ := mockClient(t, credly.WithMaxRetryAfter(time.Millisecond))
		mt.RegisterResponder("GET", api+"/badges/9f8e7d6c-5b4a-4321-8fed-cba987654321", func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(tc.status, tc.body+" echo "+testToken)
			if tc.header != "" {
				r.Header.Set("Retry-After", tc.header)
			}
			return r, nil
		})
		_, err := c.Badge(context.Background(), "9f8e7d6c-5b4a-4321-8fed-cba987654321")
		require.Error(t, err, tc.status)
		assert.ErrorIs(t, err, tc.kind, tc.status)
		assert.Equal(t, tc.retryable, !retry.IsPermanent(err), tc.status)
		assert.Contains(t, err.Error(), tc.wantText, tc.status)
		var e *badge.Error
		require.True(t, errors.As(err, &e))
		assert.NotContains(t, e.Body+e.Message+err.Error(), testToken, "token leaked")
		assert.Equal(t, tc.status, e.StatusCode)
		want := 1
		if tc.retryable && tc.header == "" {
			want = 2 // WithRetry(2, …); a Retry-After beyond WithMaxRetryAfter returns at once
		}
		assert.Equal(t, want, mt.GetTotalCallCount(), "attempts for %d", tc.status)
	}
}

func TestOptionsValidated(t *testing.T) {
	for name, opt := range map[string]credly.Option{
		"relative":   credly.WithBaseURL("/v1/"),
		"plain http": credly.WithBaseURL("http://api.credly.com/v1/"),
		"user info":  credly.WithBaseURL("https://u:p@api.credly.com/v1/"),
		"ftp":        credly.WithBaseURL("ftp://api.credly.com/v1/"),
		"timeout":    credly.WithTimeout(0),
		"retry":      credly.WithRetry(0, time.Second, time.Second),
		"nil client": credly.WithHTTPClient(nil),
	} {
		if _, err := credly.New(testOrg, testToken, opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := credly.New("", testToken); err == nil {
		t.Error("empty organisation accepted")
	}
	for _, u := range []string{credly.ProductionURL, credly.SandboxURL, "http://127.0.0.1:8080/v1", "https://credly.internal.example/api/v1"} {
		if _, err := credly.New(testOrg, testToken, credly.WithBaseURL(u)); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if _, err := credly.NewProvider(nil); err == nil {
		t.Error("nil AccountSource accepted")
	}
}

func TestSandboxURL(t *testing.T) {
	mt, _, _ := mockClient(t)
	c, err := credly.New(testOrg, testToken, credly.WithSandbox(), credly.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	mt.RegisterResponder("GET", "https://sandbox-api.credly.com/v1/organizations/"+testOrg,
		httpmock.NewStringResponder(200, `{"data":{"id":"`+testOrg+`","name":"Sandbox"}}`))
	org, err := c.Organization(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Sandbox", org.Name)
	assert.False(t, strings.Contains(org.Name, testToken))
}
