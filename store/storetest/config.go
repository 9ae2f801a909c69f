package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) config(t *testing.T) {
	t.Run("Accounts", s.configAccounts)
	t.Run("Templates", s.configTemplates)
	t.Run("TemplateCompareAndSet", s.configTemplateCAS)
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

// wantVersionConflict checks that err is a *store.RulesVersionConflict
// (matching ErrConflict) with the given versions.
func wantVersionConflict(t *testing.T, what string, err error, id uuid.UUID, want, have int) {
	t.Helper()
	var c *store.RulesVersionConflict
	if !errors.Is(err, store.ErrConflict) || !errors.As(err, &c) {
		t.Fatalf("%s: err = %v, want a *store.RulesVersionConflict matching ErrConflict", what, err)
	}
	if c.Template != id || c.Want != want || c.Have != have {
		t.Fatalf("%s: conflict %+v, want template %s, want %d, have %d", what, *c, id, want, have)
	}
}

// configTemplateCAS: PutTemplateIf writes only over the rules version it
// was given; of concurrent writers based on one version exactly one wins,
// and the others get a RulesVersionConflict and wrote nothing.
func (s suite) configTemplateCAS(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	cf := st.Config()
	id := uuid.New()
	base := store.Template{UUID: id, Name: "CAS", Provider: "credly", AccountID: "org-1", ExternalID: "cas", State: store.TemplateActive}

	_, err := cf.PutTemplateIf(ctx, base, 1)
	wantVersionConflict(t, "PutTemplateIf(missing, 1)", err, id, 1, 0)
	_, err = cf.GetTemplate(ctx, id)
	wantErr(t, "GetTemplate after a refused write", err, store.ErrNotFound)
	_, err = cf.PutTemplateIf(ctx, base, -1)
	wantInvalid(t, "PutTemplateIf(-1)", err, "rules_version")

	got, err := cf.PutTemplateIf(ctx, base, 0)
	must(t, "PutTemplateIf(missing, 0)", err)
	if got.RulesVersion != 1 {
		t.Fatalf("created with rules version %d, want 1", got.RulesVersion)
	}
	_, err = cf.PutTemplateIf(ctx, base, 0)
	wantVersionConflict(t, "PutTemplateIf(stored, 0)", err, id, 0, 1)

	// The version read: written; other fields with the same rules keep it.
	renamed := base
	renamed.Name = "CAS renamed"
	got, err = cf.PutTemplateIf(ctx, renamed, 1)
	must(t, "PutTemplateIf(rename, 1)", err)
	if got.RulesVersion != 1 || got.Name != "CAS renamed" {
		t.Fatalf("after the rename: version %d, name %q", got.RulesVersion, got.Name)
	}
	withRules := renamed
	withRules.Rules = json.RawMessage(`{"requirements":[{"id":"first"}]}`)
	got, err = cf.PutTemplateIf(ctx, withRules, 1)
	must(t, "PutTemplateIf(rules, 1)", err)
	if got.RulesVersion != 2 {
		t.Fatalf("new rules stored as version %d, want 2", got.RulesVersion)
	}
	// A stale writer (it read version 1) changes nothing.
	stale := base
	stale.Name = "stale"
	_, err = cf.PutTemplateIf(ctx, stale, 1)
	wantVersionConflict(t, "PutTemplateIf(stale)", err, id, 1, 2)
	if cur, _ := cf.GetTemplate(ctx, id); cur.Name != "CAS renamed" || cur.RulesVersion != 2 || !jsonEqual(cur.Rules, withRules.Rules) {
		t.Fatalf("after a refused stale write: %+v", cur)
	}

	// Concurrent writers of different rules, all based on the current
	// version: exactly one wins per version, round after round.
	const writers, rounds = 8, 4
	for round := range rounds {
		version := 2 + round
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tp := base
				tp.Rules = json.RawMessage(fmt.Sprintf(`{"requirements":[{"id":"round-%d-writer-%d"}]}`, round, w))
				_, errs[w] = cf.PutTemplateIf(ctx, tp, version)
			}()
		}
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both wrote over version %d", round, winner, w, version)
			case err == nil:
				winner = w
			default:
				wantVersionConflict(t, fmt.Sprintf("round %d, writer %d", round, w), err, id, version, version+1)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won over version %d: %v", round, version, errs)
		}
		want := fmt.Sprintf(`{"requirements":[{"id":"round-%d-writer-%d"}]}`, round, winner)
		cur, err := cf.GetTemplate(ctx, id)
		must(t, "GetTemplate", err)
		if cur.RulesVersion != version+1 || !jsonEqual(cur.Rules, []byte(want)) {
			t.Fatalf("round %d: stored version %d rules %s, want %d with the winner's %s", round, cur.RulesVersion, cur.Rules, version+1, want)
		}
		kept, err := cf.RulesAt(ctx, id, version+1)
		if err != nil || !jsonEqual(kept, []byte(want)) {
			t.Fatalf("round %d: RulesAt(%d) = %s, %v; want the winner's", round, version+1, kept, err)
		}
	}

	// Concurrent creators of one template: exactly one creates it.
	fresh := uuid.New()
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp := base
			tp.UUID, tp.ExternalID = fresh, fmt.Sprint("fresh-", w)
			_, err := cf.PutTemplateIf(ctx, tp, 0)
			if err == nil {
				mu.Lock()
				created++
				mu.Unlock()
				return
			}
			var c *store.RulesVersionConflict
			if !errors.As(err, &c) || c.Have != 1 {
				t.Errorf("creator %d: %v, want a conflict with version 1 stored", w, err)
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("%d concurrent creators succeeded, want 1", created)
	}
}
