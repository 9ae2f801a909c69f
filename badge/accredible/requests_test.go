package accredible_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

const api = "https://api.accredible.com/v1/"

var fixedNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func pin(t *testing.T, mt *httpmock.MockTransport, method, url, wantBody string, status int, resp string) {
	t.Helper()
	mt.RegisterResponder(method, url, func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.NotContains(t, r.URL.String(), testKey)
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		if wantBody == "" {
			assert.Empty(t, body)
		} else {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.JSONEq(t, wantBody, string(body), method+" "+url)
		}
		res := httpmock.NewStringResponse(status, resp)
		res.Header.Set("Content-Type", "application/json")
		return res, nil
	})
}

func mockProvider(t *testing.T) (*httpmock.MockTransport, *accredible.Provider, *accredible.Client) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts := []accredible.Option{accredible.WithHTTPClient(&http.Client{Transport: mt}),
		accredible.WithRetry(2, time.Millisecond, time.Millisecond), accredible.WithClock(func() time.Time { return fixedNow })}
	p, err := accredible.NewProvider(accredible.StaticAccounts{testAccount: testKey}, opts...)
	require.NoError(t, err)
	c, err := accredible.New(testKey, opts...)
	require.NoError(t, err)
	return mt, p, c
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
	mt, p, _ := mockProvider(t)
	pin(t, mt, "POST", api+"credentials/search",
		`{"group_id":"9549","recipient":{"email":"ada@example.org"},"page":1,"page_size":50}`, 200, emptySearch)
	pin(t, mt, "POST", api+"credentials", `{"credential":{
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
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "10000005", State: accredible.StateAccepted}, res)
}

func TestRequestIssueFindsExisting(t *testing.T) {
	mt, p, _ := mockProvider(t)
	pin(t, mt, "POST", api+"credentials/search",
		`{"group_id":"9549","recipient":{"email":"ada@example.org"},"page":1,"page_size":50}`, 200,
		`{"credentials":[{"id":1,"group_id":9549,"expired_on":"2026-01-01","recipient":{"email":"ada@example.org"}},
		                 {"id":"2","group_id":9549,"expired_on":null,"recipient":{"email":"Ada@Example.org","id":42},"meta_data":{"batch":7}}],
		  "meta":{"current_page":1,"next_page":null,"total_pages":1}}`)
	res, err := p.Issue(context.Background(), issueReq())
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "2", State: accredible.StateAccepted}, res, "the expired one is skipped")
	assert.Zero(t, mt.GetCallCountInfo()["POST "+api+"credentials"], "no second credential")
}

func TestRequestIssueNotRepeatedAfterAmbiguousFailure(t *testing.T) {
	mt, p, _ := mockProvider(t)
	pin(t, mt, "POST", api+"credentials/search", "", 200, emptySearch)
	mt.RegisterResponder("POST", api+"credentials/search", httpmock.NewStringResponder(200, emptySearch))
	mt.RegisterResponder("POST", api+"credentials", httpmock.NewStringResponder(502, `{"errors":"Bad gateway"}`))
	_, err := p.Issue(context.Background(), issueReq())
	require.ErrorIs(t, err, badge.ErrUnavailable)
	assert.True(t, !retry.IsPermanent(err))
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+api+"credentials"], "a create that may have happened is not repeated blindly")

	mt.RegisterResponder("POST", api+"credentials", httpmock.NewStringResponder(429, `{"errors":"slow down"}`).HeaderSet(http.Header{"Retry-After": {"0"}}))
	_, err = p.Issue(context.Background(), issueReq())
	require.ErrorIs(t, err, badge.ErrRateLimited)
	assert.Equal(t, 2, mt.GetCallCountInfo()["POST "+api+"credentials"], "a 429 is safe to repeat (count restarts with the new responder)")
}

func TestRequestRevokeExpires(t *testing.T) {
	mt, p, _ := mockProvider(t)
	pin(t, mt, "GET", api+"credentials/10000005", "", 200, `{"credential":{"id":"10000005","expired_on":null}}`)
	pin(t, mt, "PUT", api+"credentials/10000005", `{"credential":{"expired_on":"2026-04-01"}}`, 200,
		`{"credential":{"id":"10000005","expired_on":"2026-04-01"}}`)
	res, err := p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r", Template: badge.TemplateRef{AccountID: testAccount, ExternalID: "9549"},
		ExternalID: "10000005", RevokedAt: time.Date(2026, 4, 1, 22, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: "10000005", State: accredible.StateExpired}, res)
}

func TestRequestGroupsDesignsDelete(t *testing.T) {
	mt, p, c := mockProvider(t)
	pin(t, mt, "GET", api+"issuer/all_groups?page=1&page_size=50", "", 200,
		`{"groups":[{"id":12,"name":"g12","course_name":"Course 12","course_description":"D","primary_design_id":7,"created_at":"2024-01-02T03:04:05Z"}],
		  "meta":{"current_page":1,"next_page":2,"prev_page":null,"total_pages":2}}`)
	pin(t, mt, "GET", api+"issuer/all_groups?page=2&page_size=50", "", 200,
		`{"groups":[{"id":13,"name":"g13","course_name":"","primary_design_id":7}],"meta":{"current_page":2,"next_page":null,"total_pages":2}}`)
	pin(t, mt, "GET", api+"designs/7", "", 200, `{"design":{"id":7,"rasterized_content_url":"https://img/7.png"}}`)
	var got []badge.RemoteTemplate
	for rt, err := range p.ListTemplates(context.Background(), testAccount) {
		require.NoError(t, err)
		got = append(got, rt)
	}
	require.Len(t, got, 2)
	assert.Equal(t, badge.RemoteTemplate{AccountID: testAccount, ExternalID: "12", Name: "Course 12", Description: "D",
		ImageURL: "https://img/7.png", State: "active", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, got[0])
	assert.Equal(t, "g13", got[1].Name, "falls back to the group name")
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+api+"designs/7"], "design fetched once")

	pin(t, mt, "DELETE", api+"credentials/99", "", 200, `{"credential":{"id":99}}`)
	require.NoError(t, c.DeleteCredential(context.Background(), "99"))
	mt.RegisterResponder("DELETE", api+"credentials/98", httpmock.NewStringResponder(404, `{"errors":"Doesn't exist"}`))
	err := p.Delete(context.Background(), badge.BadgeRef{Template: badge.TemplateRef{AccountID: testAccount}, ExternalID: "98"})
	require.ErrorIs(t, err, badge.ErrNotFound)
	assert.Contains(t, err.Error(), "Doesn't exist")
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
		mt, _, c := mockProvider(t)
		mt.RegisterResponder("GET", api+"credentials/1", httpmock.NewStringResponder(tc.status, tc.body))
		_, err := c.Credential(context.Background(), "1")
		require.ErrorIs(t, err, tc.kind, tc.body)
		assert.Contains(t, err.Error(), tc.text)
		assert.NotContains(t, err.Error(), testKey)
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
		assert.Equal(t, tc.want, accredible.Credential{ExpiredOn: tc.exp}.State(now), tc.exp)
	}
}
