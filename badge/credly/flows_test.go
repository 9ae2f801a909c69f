package credly_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

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
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if res.State != credly.StatePending {
		t.Errorf("state %q, want %q", res.State, credly.StatePending)
	}
	if n := srv.Faults.Requests(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if n := srv.Count(testOrg, tpl.ID, req.Recipient.Email); n != 1 {
		t.Errorf("%d badges issued, want 1", n)
	}
}

func TestFlowRetryAfterHonoured(t *testing.T) {
	srv, p, tpl := newFake(t)
	srv.Faults.Queue(badgetest.Fault{Status: 429, RetryAfter: "0.01"})
	req := badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID})
	if _, err := p.Issue(context.Background(), req); err != nil {
		t.Fatalf("Issue: %v; a short Retry-After is waited for within the call", err)
	}
	if n := srv.Faults.Requests(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	// A long Retry-After is handed back to the caller (the outbox).
	srv.Faults.Queue(badgetest.Fault{Status: 429, RetryAfter: "30"})
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}))
	if !errors.Is(err, badge.ErrRateLimited) {
		t.Fatalf("Issue error %v, want ErrRateLimited", err)
	}
	if d := retry.Delay(err); d != 30*time.Second {
		t.Errorf("retry delay %v, want 30s", d)
	}
	if n := srv.Faults.Requests(); n != 3 {
		t.Errorf("%d requests, want 3: no retry inside the call", n)
	}
}

func TestFlowExpiredToken(t *testing.T) {
	srv, p, tpl := newFake(t)
	srv.ExpireToken(testOrg)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}))
	if !errors.Is(err, badge.ErrUnauthorized) {
		t.Fatalf("Issue error %v, want ErrUnauthorized", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("error %v is retryable, want permanent", err)
	}
	if !strings.Contains(err.Error(), "expired") {
		t.Errorf("error %q does not say the token expired", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q contains the token", err)
	}
	if n := srv.Faults.Requests(); n != 1 {
		t.Errorf("%d requests, want 1: 401 is not retried", n)
	}
}

func TestFlowWrongTokenForOrg(t *testing.T) {
	srv := credlyfake.New(t)
	srv.AddOrg(testOrg, testToken)
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: "wrong-token-123"}, append(fast(), httpapi.WithBaseURL(srv.URL()))...)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	for _, err := range p.ListTemplates(context.Background(), testOrg) {
		if !errors.Is(err, badge.ErrUnauthorized) {
			t.Fatalf("ListTemplates error %v, want ErrUnauthorized", err)
		}
		if strings.Contains(err.Error(), "wrong-token-123") {
			t.Errorf("error %q contains the token", err)
		}
	}
}

func TestFlowUnknownOrganisation(t *testing.T) {
	_, p, tpl := newFake(t)
	_, err := p.Issue(context.Background(), badgetest.IssueRequest(badge.TemplateRef{AccountID: "nope", ExternalID: tpl.ID}))
	if !errors.Is(err, badge.ErrInvalid) {
		t.Fatalf("Issue error %v, want ErrInvalid", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("error %v is retryable, want permanent", err)
	}
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
	if !errors.Is(last, badge.ErrUnavailable) {
		t.Fatalf("listing ended with %v, want ErrUnavailable", last)
	}
	if n != 3 {
		t.Errorf("%d templates before the error, want 3 (first page only)", n)
	}
}

func TestFlowManyPagesAndSync(t *testing.T) {
	srv, p, first := newFake(t)
	srv.PerPage = 7
	more := srv.AddTemplates(testOrg, 249) // 250 with the one newFake made: 36 pages
	draft := srv.AddTemplate(testOrg, credlyfake.Template{Name: "Draft", State: "draft"})
	n := 0
	for _, err := range p.ListTemplates(context.Background(), testOrg) {
		if err != nil {
			t.Fatalf("ListTemplates: %v", err)
		}
		n++
	}
	if n != 250 {
		t.Errorf("%d templates listed, want 250: every active template on every page, the draft filtered out", n)
	}

	ctx := context.Background()
	st := memstore.New()
	other := store.Template{UUID: badge.TemplateUUID("credly", "other-org", first.ID), Name: "Other org's", Provider: "credly",
		AccountID: "other-org", ExternalID: first.ID, State: store.TemplateActive}
	if _, err := st.Config().PutTemplate(ctx, other); err != nil {
		t.Fatalf("PutTemplate: %v", err)
	}

	dry, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg, DryRun: true})
	if err != nil {
		t.Fatalf("SyncTemplates (dry run): %v", err)
	}
	if n := dry.Count(badge.SyncCreate); n != 250 {
		t.Errorf("dry run: %d creations, want 250", n)
	}
	stored, _ := st.Config().ListTemplates(ctx, store.TemplateFilter{Provider: "credly", AccountID: testOrg})
	if len(stored) != 0 {
		t.Errorf("dry run wrote %d templates, want none", len(stored))
	}

	rep, err := badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	if err != nil {
		t.Fatalf("SyncTemplates: %v", err)
	}
	if n := rep.Count(badge.SyncCreate); n != 250 {
		t.Errorf("%d creations, want 250: %s", n, rep)
	}

	// Give the first template rules, then archive it at Credly, rename
	// another and publish the draft.
	tplStored, err := st.Config().FindTemplate(ctx, "credly", testOrg, first.ID)
	if err != nil {
		t.Fatalf("FindTemplate: %v", err)
	}
	tplStored.Rules = json.RawMessage(`{"requirements":[{"id":"r1"}]}`)
	tplStored, err = st.Config().PutTemplate(ctx, tplStored)
	if err != nil {
		t.Fatalf("PutTemplate: %v", err)
	}
	srv.UpdateTemplate(testOrg, first.ID, func(t *credlyfake.Template) { t.State = "archived" }, false)
	srv.UpdateTemplate(testOrg, more[0].ID, func(t *credlyfake.Template) { t.Name = "Renamed" }, false)
	srv.UpdateTemplate(testOrg, draft.ID, func(t *credlyfake.Template) { t.State = "active" }, false)

	rep, err = badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	if err != nil {
		t.Fatalf("SyncTemplates: %v", err)
	}
	for _, c := range []struct {
		action string
		want   int
	}{{badge.SyncCreate, 1}, {badge.SyncUpdate, 1}, {badge.SyncDeactivate, 1}} {
		if n := rep.Count(c.action); n != c.want {
			t.Errorf("%v: %d, want %d: %s", c.action, n, c.want, rep)
		}
	}
	if rep.Unchanged != 248 {
		t.Errorf("%d unchanged, want 248", rep.Unchanged)
	}

	gone, err := st.Config().GetTemplate(ctx, tplStored.UUID)
	if err != nil {
		t.Fatalf("GetTemplate: %v", err)
	}
	if gone.State != store.TemplateArchived {
		t.Errorf("archived template's state %q, want %q", gone.State, store.TemplateArchived)
	}
	checkJSON(t, "rules kept", string(gone.Rules), string(tplStored.Rules))
	if gone.RulesVersion != tplStored.RulesVersion {
		t.Errorf("rules version %v, want %v", gone.RulesVersion, tplStored.RulesVersion)
	}
	got, err := st.Config().GetTemplate(ctx, other.UUID)
	if err != nil {
		t.Fatalf("GetTemplate: %v", err)
	}
	if got.State != store.TemplateActive {
		t.Errorf("another organisation's template is %q, want it untouched (%q)", got.State, store.TemplateActive)
	}

	// A failing listing deactivates nothing.
	srv.Faults.Burst(10, 500)
	rep, err = badge.SyncTemplates(ctx, st.Config(), p, badge.SyncOptions{Provider: "credly", AccountID: testOrg})
	if err == nil {
		t.Fatal("SyncTemplates succeeded over a failing listing, want an error")
	}
	if n := rep.Count(badge.SyncDeactivate); n != 0 {
		t.Errorf("a failing listing deactivated %d templates, want 0", n)
	}
	srv.Faults.Reset()
}

func TestFlowRevokeWithoutExternalID(t *testing.T) {
	srv, p, tpl := newFake(t)
	ref := badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}
	req := badgetest.IssueRequest(ref)
	res, err := p.Issue(context.Background(), req)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	rv, err := p.Revoke(context.Background(), badgetest.RevokeRequest(req, ""))
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if want := (badge.Result{ExternalID: res.ExternalID, State: credly.StateRevoked}); rv != want {
		t.Errorf("Revoke = %+v, want %+v", rv, want)
	}
	b := srv.Badges(testOrg)
	if len(b) != 1 {
		t.Fatalf("%d badges at Credly, want 1", len(b))
	}
	if b[0].RevokeReason != "certificate revoked" {
		t.Errorf("revoke reason %q, want %q", b[0].RevokeReason, "certificate revoked")
	}

	// Issuing again after a revocation: Credly refuses the duplicate; the
	// error says why and is not retried forever.
	_, err = p.Issue(context.Background(), req)
	if !errors.Is(err, badge.ErrConflict) {
		t.Fatalf("Issue after revocation: %v, want ErrConflict", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("error %v is retryable, want permanent", err)
	}
}

func TestFlowIssuedAtIsAwardTime(t *testing.T) {
	srv, p, tpl := newFake(t)
	req := badgetest.IssueRequest(badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID})
	req.IssuedAt = time.Date(2025, 12, 31, 23, 59, 58, 0, time.FixedZone("", 3600))
	if _, err := p.Issue(context.Background(), req); err != nil {
		t.Fatalf("Issue: %v", err)
	}
	b := srv.Badges(testOrg)[0]
	if b.IssuedAt != "2025-12-31 23:59:58 +0100" {
		t.Errorf("issued_at %q, want %q", b.IssuedAt, "2025-12-31 23:59:58 +0100")
	}
	if want := fmt.Sprint(req.Recipient.UserID); b.IssuerEarnerID != want {
		t.Errorf("issuer_earner_id %q, want %q", b.IssuerEarnerID, want)
	}
}
