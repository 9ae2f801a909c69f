package credly_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

func TestFlowBurstOf500IsAbsorbedByRetries(t *testing.T) {
	srv, p, tpl := newFake(t)
	req := badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID})
	srv.Faults.Burst(2, 500) // WithRetry(3, …): the third attempt succeeds
	res, err := p.Issue(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, credly.StatePending, res.State)
	assert.Equal(t, 3, srv.Faults.Requests())
	assert.Equal(t, 1, srv.Count(testOrg, tpl.ID, req.Recipient.Email))
}

func TestFlowRetryAfterHonoured(t *testing.T) {
	srv, p, tpl := newFake(t)
	srv.Faults.Queue(badgetest.Fault{Status: 429, RetryAfter: "0.01"})
	req := badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID})
	_, err := p.Issue(context.Background(), req)
	require.NoError(t, err, "a short Retry-After is waited for within the call")
	assert.Equal(t, 2, srv.Faults.Requests())

	// A long Retry-After is handed back to the caller (the outbox).
	srv.Faults.Queue(badgetest.Fault{Status: 429, RetryAfter: "30"})
	_, err = p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}))
	require.ErrorIs(t, err, badge.ErrRateLimited)
	assert.Equal(t, 30*time.Second, retry.Delay(err))
	assert.Equal(t, 3, srv.Faults.Requests(), "no retry inside the call")
}

func TestFlowExpiredToken(t *testing.T) {
	srv, p, tpl := newFake(t)
	srv.ExpireToken(testOrg)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}))
	require.ErrorIs(t, err, badge.ErrUnauthorized)
	assert.False(t, !retry.IsPermanent(err))
	assert.Contains(t, err.Error(), "expired")
	assert.NotContains(t, err.Error(), testToken)
	assert.Equal(t, 1, srv.Faults.Requests(), "401 is not retried")
}

func TestFlowWrongTokenForOrg(t *testing.T) {
	srv := credlyfake.New(t)
	srv.AddOrg(testOrg, testToken)
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: "wrong-token-123"}, append(fast(), credly.WithBaseURL(srv.URL()))...)
	require.NoError(t, err)
	for _, err := range p.ListTemplates(context.Background(), testOrg) {
		require.ErrorIs(t, err, badge.ErrUnauthorized)
		assert.NotContains(t, err.Error(), "wrong-token-123")
	}
}

func TestFlowUnknownOrganisation(t *testing.T) {
	_, p, tpl := newFake(t)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: "nope", ExternalID: tpl.ID}))
	require.ErrorIs(t, err, badge.ErrInvalid)
	assert.False(t, !retry.IsPermanent(err))
}

func TestFlowMalformedListPage(t *testing.T) {
	srv, p, _ := newFake(t)
	srv.AddTemplates(testOrg, 10)
	// Page 2 is unreadable on every attempt: the listing ends in an error.
	srv.Faults.Queue(badgetest.Fault{}, badgetest.Fault{Malformed: true}, badgetest.Fault{Malformed: true}, badgetest.Fault{Malformed: true})
	n := 0
	var last error
	for _, err := range p.ListTemplates(context.Background(), testOrg) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, badge.ErrUnavailable)
	assert.Equal(t, 3, n, "first page only")
}

func TestFlowManyPagesAndSync(t *testing.T) {
	srv, p, first := newFake(t)
	srv.PerPage = 7
	more := srv.AddTemplates(testOrg, 249) // 250 with the one newFake made: 36 pages
	draft := srv.AddTemplate(testOrg, credlyfake.Template{Name: "Draft", State: "draft"})
	n := 0
	for _, err := range p.ListTemplates(context.Background(), testOrg) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 250, n, "every active template on every page, the draft filtered out")

	ctx := context.Background()
	st := memstore.New()
	other := store.Template{UUID: badge.TemplateUUID("credly", "other-org", first.ID), Name: "Other org's", Provider: "credly",
		AccountID: "other-org", ExternalID: first.ID, State: store.TemplateActive}
	_, err := st.Config().PutTemplate(ctx, other)
	require.NoError(t, err)

	dry, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, 250, dry.Count(badge.SyncCreate))
	stored, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "credly", AccountID: testOrg})
	assert.Empty(t, stored, "dry run wrote nothing")

	rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	require.NoError(t, err)
	assert.Equal(t, 250, rep.Count(badge.SyncCreate), rep.String())

	// Give the first template rules, then archive it at Credly, rename
	// another and publish the draft.
	tplStored, err := st.Config().FindTemplate(ctx, "credly", testOrg, first.ID)
	require.NoError(t, err)
	tplStored.Rules = json.RawMessage(`{"requirements":[{"id":"r1"}]}`)
	tplStored, err = st.Config().PutTemplate(ctx, tplStored)
	require.NoError(t, err)
	srv.UpdateTemplate(testOrg, first.ID, func(t *credlyfake.Template) { t.State = "archived" }, false)
	srv.UpdateTemplate(testOrg, more[0].ID, func(t *credlyfake.Template) { t.Name = "Renamed" }, false)
	srv.UpdateTemplate(testOrg, draft.ID, func(t *credlyfake.Template) { t.State = "active" }, false)

	rep, err = badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Count(badge.SyncCreate), rep.String())
	assert.Equal(t, 1, rep.Count(badge.SyncUpdate), rep.String())
	assert.Equal(t, 1, rep.Count(badge.SyncDeactivate), rep.String())
	assert.Equal(t, 248, rep.Unchanged)

	gone, err := st.Config().GetTemplate(ctx, tplStored.UUID)
	require.NoError(t, err)
	assert.Equal(t, store.TemplateArchived, gone.State)
	assert.JSONEq(t, string(tplStored.Rules), string(gone.Rules), "rules kept")
	assert.Equal(t, tplStored.RulesVersion, gone.RulesVersion)
	got, err := st.Config().GetTemplate(ctx, other.UUID)
	require.NoError(t, err)
	assert.Equal(t, store.TemplateActive, got.State, "another organisation's template untouched")

	// A failing listing deactivates nothing.
	srv.Faults.Burst(10, 500)
	rep, err = badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	require.Error(t, err)
	assert.Zero(t, rep.Count(badge.SyncDeactivate))
	srv.Faults.Reset()
}

func TestFlowRevokeWithoutExternalID(t *testing.T) {
	srv, p, tpl := newFake(t)
	ref := badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}
	req := badgetest.IssueRequest(ref)
	res, err := p.Issue(context.Background(), req)
	require.NoError(t, err)
	rv, err := p.Revoke(context.Background(), badgetest.RevokeRequest(req, ""))
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: res.ExternalID, State: credly.StateRevoked}, rv)
	b := srv.Badges(testOrg)
	require.Len(t, b, 1)
	assert.Equal(t, "certificate revoked", b[0].RevokeReason)

	// Issuing again after a revocation: Credly refuses the duplicate; the
	// error says why and is not retried forever.
	_, err = p.Issue(context.Background(), req)
	require.ErrorIs(t, err, badge.ErrConflict)
	assert.False(t, !retry.IsPermanent(err))
}

func TestFlowIssuedAtIsAwardTime(t *testing.T) {
	srv, p, tpl := newFake(t)
	req := badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID})
	req.IssuedAt = time.Date(2025, 12, 31, 23, 59, 58, 0, time.FixedZone("", 3600))
	_, err := p.Issue(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "2025-12-31 23:59:58 +0100", srv.Badges(testOrg)[0].IssuedAt)
	assert.Equal(t, fmt.Sprint(req.Recipient.UserID), srv.Badges(testOrg)[0].IssuerEarnerID)
}
