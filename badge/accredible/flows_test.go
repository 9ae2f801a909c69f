package accredible_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

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
		if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: name, Provider: "accredible", Secret: key, Active: true}); err != nil {
			t.Fatalf("PutAccount %s: %v", name, err)
		}
	}
	p, err := accredible.NewProvider(st.Config(), append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}

	for _, acc := range []string{"a", "b"} {
		rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "accredible", AccountID: acc})
		if err != nil {
			t.Fatalf("SyncTemplates %s: %v", acc, err)
		}
		t.Log(rep)
	}
	a, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "a"})
	b, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "b"})
	if len(a) != 30 {
		t.Fatalf("account a has %d templates, want 30: every page of groups", len(a))
	}
	if len(b) != 5 {
		t.Fatalf("account b has %d templates, want 5", len(b))
	}

	// Account a loses a group; syncing a archives it and leaves b alone.
	srv.UpdateGroup("key-a-000001", aGroups[7].ID, nil, true)
	srv.UpdateGroup("key-a-000001", aGroups[8].ID, func(g *accrediblefake.Group) { g.CourseName = "Renamed" }, false)
	rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "accredible", AccountID: "a"})
	if err != nil {
		t.Fatalf("SyncTemplates a: %v", err)
	}
	if n := rep.Count(badge.SyncDeactivate); n != 1 {
		t.Errorf("%d deactivations, want 1: %s", n, rep)
	}
	if n := rep.Count(badge.SyncUpdate); n != 1 {
		t.Errorf("%d updates, want 1: %s", n, rep)
	}
	b2, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "accredible", AccountID: "b"})
	if !reflect.DeepEqual(b2, b) {
		t.Errorf("account b changed:\n got %+v\nwant %+v", b2, b)
	}
	gone, err := st.Config().FindTemplate(ctx, "accredible", "a", badgeID(aGroups[7].ID))
	if err != nil {
		t.Fatalf("FindTemplate: %v", err)
	}
	if got, want := gone.State, store.TemplateArchived; got != want {
		t.Errorf("removed group's template state: %v, want %v", got, want)
	}
	img, _ := st.Config().FindTemplate(ctx, "accredible", "a", badgeID(aGroups[4].ID))
	if got, want := img.ImageURL, "https://img/a1.png"; got != want {
		t.Errorf("image URL: %v, want %v", got, want)
	}
}

func TestFlowRevokedKey(t *testing.T) {
	srv, p, g := newFake(t)
	srv.RemoveAccount(testKey)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}))
	if !errors.Is(err, badge.ErrUnauthorized) {
		t.Fatalf("Issue error %v, want ErrUnauthorized", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("error %v is retryable, want permanent", err)
	}
	if !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("error %q lacks the API's message", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error %q contains the key", err)
	}
}

func TestFlowRevokeDeleteAndPoll(t *testing.T) {
	ctx := context.Background()
	srv, p, g := newFake(t)
	ref := badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}
	req := badgetest.IssueRequest(ref)
	res, err := p.Issue(ctx, req)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	creds := srv.Credentials(testKey)
	if len(creds) != 1 {
		t.Fatalf("%d credentials at Accredible, want 1", len(creds))
	}
	if got, want := creds[0].IssuedOn, "2026-03-14"; got != want {
		t.Errorf("issued_on (the award's date): %v, want %v", got, want)
	}
	if !creds[0].Complete {
		t.Error("credential not complete")
	}

	// Revoke by template and recipient, without the id.
	rv, err := p.Revoke(ctx, badgetest.RevokeRequest(req, ""))
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if want := (badge.Result{ExternalID: res.ExternalID, State: accredible.StateExpired}); rv != want {
		t.Errorf("Revoke = %+v, want %+v", rv, want)
	}
	st, err := p.BadgeState(ctx, badge.BadgeRef{Template: ref, ExternalID: res.ExternalID})
	if err != nil {
		t.Fatalf("BadgeState: %v", err)
	}
	if got, want := st.State, accredible.StateExpired; got != want {
		t.Errorf("state after revocation: %v, want %v", got, want)
	}

	// Re-issuing after a revocation creates a new credential.
	again, err := p.Issue(ctx, req)
	if err != nil {
		t.Fatalf("Issue again: %v", err)
	}
	if again.ExternalID == res.ExternalID {
		t.Errorf("re-issue returned the revoked credential %q, want a new one", again.ExternalID)
	}

	if err := p.Delete(ctx, badge.BadgeRef{Template: ref, ExternalID: again.ExternalID}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = p.BadgeState(ctx, badge.BadgeRef{Template: ref, ExternalID: again.ExternalID})
	if !errors.Is(err, badge.ErrNotFound) {
		t.Fatalf("BadgeState after delete: %v, want ErrNotFound", err)
	}
}

func TestFlowBurstAndRateLimit(t *testing.T) {
	srv, p, g := newFake(t)
	ref := badge.TemplateRef{AccountID: testAccount, ExternalID: badgeID(g.ID)}
	srv.Faults.Burst(2, 500)
	srv.Faults.Queue(badgetest.Fault{}, badgetest.Fault{Status: 429, RetryAfter: "0.01"})
	req := badgetest.IssueRequest(ref)
	_, err := p.Issue(context.Background(), req)
	if err != nil {
		t.Fatalf("Issue: %v; two 500s on the search are retried, the 429 on the create is waited out", err)
	}
	if n := srv.Count(testKey, ref.ExternalID, req.Recipient.Email); n != 1 {
		t.Errorf("%d credentials, want 1", n)
	}
}

// Accredible has no webhooks: states are refreshed by polling.
func TestFlowRefreshStatesByPolling(t *testing.T) {
	ctx := context.Background()
	_, p, g := newFake(t)
	st := memstore.New()
	defer st.Close()
	tpl, err := st.Config().PutTemplate(ctx, store.Template{UUID: badge.TemplateUUID("accredible", testAccount, badgeID(g.ID)),
		Name: "Intro", Provider: "accredible", AccountID: testAccount, ExternalID: badgeID(g.ID), State: store.TemplateActive})
	if err != nil {
		t.Fatalf("PutTemplate: %v", err)
	}
	ref := badge.TemplateRef{UUID: tpl.UUID, AccountID: testAccount, ExternalID: tpl.ExternalID}

	var ids []string
	for i := range 3 {
		req := badgetest.IssueRequest(ref)
		res, err := p.Issue(ctx, req)
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
		ids = append(ids, res.ExternalID)
		aw, err := credential.NewAward(int64(100+i), credential.Badge(tpl.UUID.String()), credential.Cause{EventID: fmt.Sprint(i), EventTime: time.Now()})
		if err != nil {
			t.Fatalf("NewAward: %v", err)
		}
		aw.SetProvider(credential.ProviderRef{Provider: "accredible", ExternalID: res.ExternalID, State: res.State})
		_, _, err = st.Awards().Put(ctx, aw)
		if err != nil {
			t.Fatalf("Put award: %v", err)
		}
		if i == 0 {
			// Expired at Accredible behind credshare's back.
			_, err = p.Revoke(ctx, badgetest.RevokeRequest(req, res.ExternalID))
			if err != nil {
				t.Fatalf("Revoke: %v", err)
			}
		}
	}
	rep, err := badge.RefreshStates(ctx, st, p, badge.RefreshOptions{Provider: "accredible"})
	if err != nil {
		t.Fatalf("RefreshStates: %v", err)
	}
	if got, want := rep.Checked, 3; got != want {
		t.Errorf("checked: %v, want %v", got, want)
	}
	if got, want := rep.Changed, 1; got != want {
		t.Errorf("changed: %v, want %v", got, want)
	}
	a, err := st.Awards().FindByProviderRef(ctx, "accredible", ids[0])
	if err != nil {
		t.Fatalf("FindByProviderRef: %v", err)
	}
	pr, _ := a.Provider("accredible")
	if got, want := pr.State, accredible.StateExpired; got != want {
		t.Errorf("provider state: %v, want %v", got, want)
	}

	rep, err = badge.RefreshStates(ctx, st, p, badge.RefreshOptions{Provider: "accredible"})
	if err != nil {
		t.Fatalf("RefreshStates again: %v", err)
	}
	if rep.Changed != 0 {
		t.Errorf("%d changed, want none: nothing changed since", rep.Changed)
	}
}
