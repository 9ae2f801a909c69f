package accredible_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/accredible/accrediblefake"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// Two API accounts on one fake: syncing one must never touch the other's
// groups (Open edX deletes them).
func TestFlowSyncScopedToAccount(t *testing.T) {
	ctx := context.Background()
	srv := accrediblefake.New(t)
	srv.PageSizeCap = 4
	srv.AddAccount("key-a-000001")
	srv.AddAccount("key-b-000002")
	var aGroups []accrediblefake.Group
	for i := range 30 {
		aGroups = append(aGroups, srv.AddGroup("key-a-000001", fmt.Sprintf("A course %d", i), "desc", fmt.Sprintf("https://img/a%d.png", i%3)))
	}
	for i := range 5 {
		srv.AddGroup("key-b-000002", fmt.Sprintf("B course %d", i), "desc", "")
	}
	st := memstore.New()
	defer st.Close()
	for name, key := range map[string]string{"a": "key-a-000001", "b": "key-b-000002"} {
		require.NoError(t, st.Config().PutAccount(ctx, store.ProviderAccount{ID: name, Provider: "accredible", Secret: key, Active: true}))
	}
	p, err := accredible.NewProvider(st.Config(), append(fast(), accredible.WithBaseURL(srv.URL()))...)
	require.NoError(t, err)

	for _, acc := range []string{"a", "b"} {
		rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "accredible", AccountID: acc})
		require.NoError(t, err)
		t.Log(rep)
	}
	a, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "a"})
	b, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "b"})
	require.Len(t, a, 30, "every page of groups")
	require.Len(t, b, 5)

	// Account a loses a group; syncing a archives it and leaves b alone.
	srv.UpdateGroup("key-a-000001", aGroups[7].ID, nil, true)
	srv.UpdateGroup("key-a-000001", aGroups[8].ID, func(g *accrediblefake.Group) { g.CourseName = "Renamed" }, false)
	rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "accredible", AccountID: "a"})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Count(badge.SyncDeactivate), rep.String())
	assert.Equal(t, 1, rep.Count(badge.SyncUpdate), rep.String())
	b2, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "b"})
	assert.Equal(t, b, b2, "account b untouched")
	gone, err := st.Config().FindTemplate(ctx, "accredible", "a", badgeID(aGroups[7].ID))
	require.NoError(t, err)
	assert.Equal(t, store.TemplateArchived, gone.State)
	img, _ := st.Config().FindTemplate(ctx, "accredible", "a", badgeID(aGroups[4].ID))
	assert.Equal(t, "https://img/a1.png", img.ImageURL)
}

func TestFlowRevokedKey(t *testing.T) {
	srv, p, g := newFake(t)
	srv.RemoveAccount(testKey)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}))
	require.ErrorIs(t, err, badge.ErrUnauthorized)
	assert.False(t, !retry.IsPermanent(err))
	assert.Contains(t, err.Error(), "Access denied")
	assert.NotContains(t, err.Error(), testKey)
}

func TestFlowRevokeDeleteAndPoll(t *testing.T) {
	ctx := context.Background()
	srv, p, g := newFake(t)
	ref := badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}
	req := badgetest.IssueRequest(ref)
	res, err := p.Issue(ctx, req)
	require.NoError(t, err)
	creds := srv.Credentials(testKey)
	require.Len(t, creds, 1)
	assert.Equal(t, "2026-03-14", creds[0].IssuedOn, "issued_on is the award's date")
	assert.True(t, creds[0].Complete)

	// Revoke by template and recipient, without the id.
	rv, err := p.Revoke(ctx, badgetest.RevokeRequest(req, ""))
	require.NoError(t, err)
	assert.Equal(t, badge.Result{ExternalID: res.ExternalID, State: accredible.StateExpired}, rv)
	st, err := p.BadgeState(ctx, badge.BadgeRef{Template: ref, ExternalID: res.ExternalID})
	require.NoError(t, err)
	assert.Equal(t, accredible.StateExpired, st.State)

	// Re-issuing after a revocation creates a new credential.
	again, err := p.Issue(ctx, req)
	require.NoError(t, err)
	assert.NotEqual(t, res.ExternalID, again.ExternalID)

	require.NoError(t, p.Delete(ctx, badge.BadgeRef{Template: ref, ExternalID: again.ExternalID}))
	_, err = p.BadgeState(ctx, badge.BadgeRef{Template: ref, ExternalID: again.ExternalID})
	require.ErrorIs(t, err, badge.ErrNotFound)
}

func TestFlowBurstAndRateLimit(t *testing.T) {
	srv, p, g := newFake(t)
	ref := badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}
	srv.Faults.Burst(2, 500)
	srv.Faults.Queue(badgetest.Fault{}, badgetest.Fault{Status: 429, RetryAfter: "0.01"})
	req := badgetest.IssueRequest(ref)
	_, err := p.Issue(context.Background(), req)
	require.NoError(t, err, "two 500s on the search are retried; the 429 on the create is waited out")
	assert.Equal(t, 1, srv.Count(testKey, ref.ExternalID, req.Recipient.Email))
}

// Accredible has no webhooks: states are refreshed by polling.
func TestFlowRefreshStatesByPolling(t *testing.T) {
	ctx := context.Background()
	_, p, g := newFake(t)
	st := memstore.New()
	defer st.Close()
	tpl, err := st.Config().PutTemplate(ctx, store.Template{UUID: badge.TemplateUUID("accredible", testAccount, badgeID(g.ID)),
		Name: "Intro", Provider: "accredible", AccountID: testAccount, ExternalID: badgeID(g.ID), State: store.TemplateActive})
	require.NoError(t, err)
	ref := badge.TemplateRef{UUID: tpl.UUID, AccountID: testAccount, ExternalID: tpl.ExternalID}

	var ids []string
	for i := range 3 {
		req := badgetest.IssueRequest(ref)
		res, err := p.Issue(ctx, req)
		require.NoError(t, err)
		ids = append(ids, res.ExternalID)
		aw, err := credential.NewAward(int64(100+i), credential.Badge(tpl.UUID.String()), credential.Cause{EventID: fmt.Sprint(i), EventTime: time.Now()})
		require.NoError(t, err)
		aw.SetProvider(credential.ProviderRef{Provider: "accredible", ExternalID: res.ExternalID, State: res.State})
		_, _, err = st.Awards().Put(ctx, aw)
		require.NoError(t, err)
		if i == 0 {
			// Expired at Accredible behind credshare's back.
			_, err = p.Revoke(ctx, badgetest.RevokeRequest(req, res.ExternalID))
			require.NoError(t, err)
		}
	}
	rep, err := badge.RefreshStates(ctx, st, p, badge.RefreshOptions{Provider: "accredible"})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Checked)
	assert.Equal(t, 1, rep.Changed)
	a, err := st.Awards().FindByProviderRef(ctx, "accredible", ids[0])
	require.NoError(t, err)
	pr, _ := a.Provider("accredible")
	assert.Equal(t, accredible.StateExpired, pr.State)

	rep, err = badge.RefreshStates(ctx, st, p, badge.RefreshOptions{Provider: "accredible"})
	require.NoError(t, err)
	assert.Zero(t, rep.Changed, "nothing changed since")
}
