package credly_test

import (
	"context"
	"fmt"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// Issuing a badge through the Provider, with the organisation's token taken
// from the store. The fake API stands in for api.credly.com.
func ExampleProvider_Issue() {
	api := credlyfake.NewServer()
	defer api.Close()
	api.AddOrg("org-1", "token-1")
	tpl := api.AddTemplate("org-1", credlyfake.Template{Name: "Python Basics"})

	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	_ = st.Config().PutAccount(ctx, store.ProviderAccount{ID: "org-1", Provider: credly.ProviderID, Secret: "token-1", Active: true})

	p, err := credly.NewProvider(st.Config(), httpapi.WithBaseURL(api.URL()))
	if err != nil {
		panic(err)
	}
	req := badge.IssueRequest{
		IdempotencyKey: "issue:award-1",
		Template:       badge.TemplateRef{AccountID: "org-1", ExternalID: tpl.ID},
		Recipient:      credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.org", FullName: "Ada Lovelace"},
		IssuedAt:       time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC),
	}
	first, _ := p.Issue(ctx, req)
	again, _ := p.Issue(ctx, req) // a retry: Credly refuses the duplicate, the existing badge comes back
	fmt.Println(first.State, first.ExternalID == again.ExternalID, len(api.Badges("org-1")))
	fmt.Println(api.Badges("org-1")[0].IssuedAt)
	// Output:
	// pending true 1
	// 2026-03-14 15:09:26 +0000
}

// Serving Credly webhooks: mount the handler where the organisation's
// webhook_url points.
func ExampleNewWebhookHandler() {
	api := credlyfake.NewServer()
	defer api.Close()
	api.AddOrg("org-1", "token-1")
	st := memstore.New()
	defer st.Close()
	ctx := context.Background()
	_ = st.Config().PutAccount(ctx, store.ProviderAccount{ID: "org-1", Provider: credly.ProviderID, Secret: "token-1", Active: true})
	p, _ := credly.NewProvider(st.Config(), httpapi.WithBaseURL(api.URL()))

	h, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: st})
	if err != nil {
		panic(err)
	}
	_ = h // e.g. mux.Handle("POST /badges/credly/webhook/", h)
	fmt.Println("ready")
	// Output: ready
}
