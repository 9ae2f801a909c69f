package storetest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) config(t *testing.T) {
	t.Run("Accounts", s.configAccounts)
	t.Run("Templates", s.configTemplates)
}

func (s suite) configAccounts(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	cf := st.Config()
	_, err := cf.GetAccount(ctx, "credly", "org-1")
	wantErr(t, "GetAccount(missing)", err, store.ErrNotFound)

	a := store.ProviderAccount{ID: "org-1", Provider: "credly", Name: "Org One", Secret: "tok-1",
		Settings: map[string]string{"sandbox": "true", "webhook_secret": "wh"}, Active: true}
	must(t, "PutAccount", cf.PutAccount(ctx, a))
	got, err := cf.GetAccount(ctx, "credly", "org-1")
	if err != nil || got.ID != a.ID || got.Provider != a.Provider || got.Name != a.Name || got.Secret != a.Secret ||
		!got.Active || !maps.Equal(got.Settings, a.Settings) {
		t.Fatalf("GetAccount = %+v, %v", got, err)
	}
	recent(t, "Account.CreatedAt", got.CreatedAt)

	// Replace.
	a.Name, a.Secret, a.Active, a.Settings = "Org One renamed", "tok-2", false, map[string]string{"sandbox": "false"}
	must(t, "PutAccount(replace)", cf.PutAccount(ctx, a))
	got, _ = cf.GetAccount(ctx, "credly", "org-1")
	if got.Name != a.Name || got.Secret != "tok-2" || got.Active || !maps.Equal(got.Settings, a.Settings) {
		t.Fatalf("after replace: %+v", got)
	}
	// The same id at another provider is another account.
	must(t, "PutAccount", cf.PutAccount(ctx, store.ProviderAccount{ID: "org-1", Provider: "accredible", Secret: "k", Active: true}))
	must(t, "PutAccount", cf.PutAccount(ctx, store.ProviderAccount{ID: "org-0", Provider: "credly", Secret: "k0", Active: true}))
	if got, _ := cf.GetAccount(ctx, "credly", "org-1"); got.Secret != "tok-2" {
		t.Fatal("an account of another provider replaced credly/org-1")
	}

	list, err := cf.ListAccounts(ctx, "credly")
	must(t, "ListAccounts", err)
	if ids := accountKeys(list); !slices.Equal(ids, []string{"credly/org-0", "credly/org-1"}) {
		t.Fatalf("ListAccounts(credly) = %v", ids)
	}
	all, _ := cf.ListAccounts(ctx, "")
	if ids := accountKeys(all); !slices.Equal(ids, []string{"accredible/org-1", "credly/org-0", "credly/org-1"}) {
		t.Fatalf("ListAccounts(all) = %v", ids)
	}
}

// accountKeys returns sorted provider/id keys (the order of ListAccounts is
// not part of the contract).
func accountKeys(as []store.ProviderAccount) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Provider+"/"+a.ID)
	}
	slices.Sort(out)
	return out
}

func (s suite) configTemplates(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	cf := st.Config()
	id := uuid.New()
	_, err := cf.GetTemplate(ctx, id)
	wantErr(t, "GetTemplate(missing)", err, store.ErrNotFound)
	_, err = cf.RulesAt(ctx, id, 1)
	wantErr(t, "RulesAt(missing template)", err, store.ErrNotFound)

	rules1 := []byte(`{"requirements": [ {"id": "r1", "event": "course.passed"} ]}`)
	tpl := store.Template{UUID: id, Name: "Python basics", Description: "d", ImageURL: "https://img.example/b.png",
		Provider: "credly", AccountID: "org-1", ExternalID: "cr-tpl-1", State: store.TemplateActive, Repeatable: true, Rules: rules1}
	got, err := cf.PutTemplate(ctx, tpl)
	if err != nil || got.RulesVersion != 1 || got.UUID != id {
		t.Fatalf("PutTemplate(new) = %+v, %v; want RulesVersion 1", got, err)
	}
	got, err = cf.GetTemplate(ctx, id)
	must(t, "GetTemplate", err)
	if got.Name != tpl.Name || got.Description != "d" || got.ImageURL != tpl.ImageURL || got.Provider != "credly" ||
		got.AccountID != "org-1" || got.ExternalID != "cr-tpl-1" || got.State != store.TemplateActive || !got.Repeatable ||
		got.RulesVersion != 1 {
		t.Fatalf("GetTemplate = %+v", got)
	}
	checkJSON(t, "Rules", got.Rules, rules1)
	recent(t, "Template.CreatedAt", got.CreatedAt)

	// The same rules, formatted differently, are not a new version.
	tpl.Rules = []byte(`{"requirements":[{"id":"r1","event":"course.passed"}]}`)
	tpl.Name = "Python basics (renamed)"
	if got, err := cf.PutTemplate(ctx, tpl); err != nil || got.RulesVersion != 1 || got.Name != tpl.Name {
		t.Fatalf("PutTemplate(same rules) = %+v, %v; want RulesVersion 1", got, err)
	}
	// Different rules are.
	rules2 := []byte(`{"requirements":[{"id":"r1","event":"course.passed"},{"id":"r2","event":"program.completed"}]}`)
	tpl.Rules = rules2
	if got, err := cf.PutTemplate(ctx, tpl); err != nil || got.RulesVersion != 2 {
		t.Fatalf("PutTemplate(new rules) = %+v, %v; want RulesVersion 2", got, err)
	}
	if got, _ := cf.GetTemplate(ctx, id); got.RulesVersion != 2 || !jsonEqual(got.Rules, rules2) || got.Name != tpl.Name {
		t.Fatalf("GetTemplate after new rules = %+v", got)
	}
	r1, err := cf.RulesAt(ctx, id, 1)
	if err != nil || !jsonEqual(r1, rules1) {
		t.Fatalf("RulesAt(1) = %s, %v", r1, err)
	}
	r2, err := cf.RulesAt(ctx, id, 2)
	if err != nil || !jsonEqual(r2, rules2) {
		t.Fatalf("RulesAt(2) = %s, %v", r2, err)
	}
	_, err = cf.RulesAt(ctx, id, 3)
	wantErr(t, "RulesAt(future version)", err, store.ErrNotFound)

	// FindTemplate and ListTemplates.
	if got, err := cf.FindTemplate(ctx, "credly", "org-1", "cr-tpl-1"); err != nil || got.UUID != id {
		t.Fatalf("FindTemplate = %s, %v", got.UUID, err)
	}
	_, err = cf.FindTemplate(ctx, "credly", "org-2", "cr-tpl-1")
	wantErr(t, "FindTemplate(other account)", err, store.ErrNotFound)
	_, err = cf.FindTemplate(ctx, "accredible", "org-1", "cr-tpl-1")
	wantErr(t, "FindTemplate(other provider)", err, store.ErrNotFound)

	ids := []uuid.UUID{id}
	for i, p := range []struct{ provider, account, state string }{
		{"credly", "org-2", store.TemplateDraft}, {"accredible", "acc", store.TemplateActive},
		{"obv3", "", store.TemplateArchived}, {"credly", "org-1", store.TemplateArchived},
	} {
		u := uuid.New()
		_, err := cf.PutTemplate(ctx, store.Template{UUID: u, Name: "t", Provider: p.provider, AccountID: p.account,
			ExternalID: "x" + string(rune('a'+i)), State: p.state})
		must(t, "PutTemplate", err)
		ids = append(ids, u)
	}
	byUUID := func(ts []store.Template) []string {
		out := []string{}
		for _, t := range ts {
			out = append(out, t.UUID.String())
		}
		return out
	}
	all, err := cf.ListTemplates(ctx, store.TemplateFilter{})
	must(t, "ListTemplates", err)
	want := []string{}
	for _, u := range ids {
		want = append(want, u.String())
	}
	slices.Sort(want)
	if got := byUUID(all); !slices.Equal(got, want) {
		t.Fatalf("ListTemplates() = %v\nwant (by UUID) %v", got, want)
	}
	for _, tc := range []struct {
		f    store.TemplateFilter
		keep func(store.Template) bool
	}{
		{store.TemplateFilter{Provider: "credly"}, func(t store.Template) bool { return t.Provider == "credly" }},
		{store.TemplateFilter{Provider: "credly", AccountID: "org-1"}, func(t store.Template) bool { return t.Provider == "credly" && t.AccountID == "org-1" }},
		{store.TemplateFilter{State: store.TemplateArchived}, func(t store.Template) bool { return t.State == store.TemplateArchived }},
	} {
		want := []string{}
		for _, tp := range all {
			if tc.keep(tp) {
				want = append(want, tp.UUID.String())
			}
		}
		got, err := cf.ListTemplates(ctx, tc.f)
		if err != nil || !slices.Equal(byUUID(got), want) || len(want) == 0 {
			t.Errorf("ListTemplates(%+v) = %v, %v; want %v", tc.f, byUUID(got), err, want)
		}
	}
	// Returned rules are copies.
	got, _ = cf.GetTemplate(ctx, id)
	copy(got.Rules, strings.Repeat(" ", len(got.Rules)))
	if again, _ := cf.GetTemplate(ctx, id); !jsonEqual(again.Rules, rules2) {
		t.Fatalf("stored rules aliased: %s", again.Rules)
	}

	_, err = cf.PutTemplate(ctx, store.Template{Name: "no uuid", Provider: "credly", State: store.TemplateDraft})
	wantInvalid(t, "PutTemplate(no uuid)", err, "uuid")
}
