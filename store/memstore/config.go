package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type config repos

func (r config) PutAccount(ctx context.Context, a store.ProviderAccount) error {
	switch {
	case strings.TrimSpace(a.Provider) == "":
		return credential.Invalid("account.provider", "must not be empty")
	case strings.TrimSpace(a.ID) == "":
		return credential.Invalid("account.id", "must not be empty")
	}
	a = copyAccount(a)
	return r.h.do(ctx, func(t *txn) error {
		k := accountKey{provider: a.Provider, id: a.ID}
		now := t.now()
		a.CreatedAt, a.UpdatedAt = now, now
		if old, ok := t.st.accounts[k]; ok {
			a.CreatedAt = old.CreatedAt
		}
		put(t, t.st.accounts, k, a)
		return nil
	})
}

func (r config) GetAccount(ctx context.Context, provider, id string) (out store.ProviderAccount, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		a, ok := t.st.accounts[accountKey{provider: provider, id: id}]
		if !ok {
			return store.NotFound("provider account", provider+"/"+id)
		}
		out = copyAccount(a)
		return nil
	})
	return out, err
}

func (r config) ListAccounts(ctx context.Context, provider string) (out []store.ProviderAccount, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		out = []store.ProviderAccount{}
		for k, a := range t.st.accounts {
			if provider == "" || k.provider == provider {
				out = append(out, copyAccount(a))
			}
		}
		slices.SortFunc(out, func(a, b store.ProviderAccount) int {
			if c := strings.Compare(a.Provider, b.Provider); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return nil
	})
	return out, err
}

func (r config) PutTemplate(ctx context.Context, tpl store.Template) (store.Template, error) {
	return r.putTemplate(ctx, tpl, -1)
}

func (r config) PutTemplateIf(ctx context.Context, tpl store.Template, rulesVersion int) (store.Template, error) {
	if rulesVersion < 0 {
		return store.Template{}, credential.Invalid("template.rules_version", "the expected rules version must not be negative")
	}
	return r.putTemplate(ctx, tpl, rulesVersion)
}

// putTemplate stores tpl; when expect is not negative, only if the stored
// rules version is expect (0: none stored).
func (r config) putTemplate(ctx context.Context, tpl store.Template, expect int) (out store.Template, err error) {
	if err := store.PrepareTemplate(&tpl); err != nil {
		return out, err
	}
	err = r.h.do(ctx, func(t *txn) error {
		now := t.now()
		old, ok := t.st.templates[tpl.UUID]
		if expect >= 0 && old.RulesVersion != expect { // old is zero when !ok
			return &store.RulesVersionConflict{Template: tpl.UUID, Want: expect, Have: old.RulesVersion}
		}
		switch {
		case !ok:
			tpl.RulesVersion = 1
			tpl.CreatedAt = now
			put(t, t.st.rules, tpl.UUID, map[int]json.RawMessage{})
		case !bytes.Equal(old.Rules, tpl.Rules):
			tpl.RulesVersion = old.RulesVersion + 1
			tpl.CreatedAt = old.CreatedAt
		default:
			tpl.RulesVersion = old.RulesVersion
			tpl.CreatedAt = old.CreatedAt
		}
		tpl.UpdatedAt = now
		if vs := t.st.rules[tpl.UUID]; vs != nil {
			if _, had := vs[tpl.RulesVersion]; !had {
				put(t, vs, tpl.RulesVersion, cloneRaw(tpl.Rules))
			}
		}
		put(t, t.st.templates, tpl.UUID, copyTemplate(tpl))
		out = copyTemplate(tpl)
		return nil
	})
	return out, err
}

func (r config) GetTemplate(ctx context.Context, id uuid.UUID) (out store.Template, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		tpl, ok := t.st.templates[id]
		if !ok {
			return store.NotFound("template", id)
		}
		out = copyTemplate(tpl)
		return nil
	})
	return out, err
}

func (r config) FindTemplate(ctx context.Context, provider, accountID, externalID string) (out store.Template, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		var found *store.Template
		if externalID != "" {
			for _, tpl := range t.st.templates {
				if tpl.Provider == provider && tpl.AccountID == accountID && tpl.ExternalID == externalID &&
					(found == nil || uuidLess(tpl.UUID, found.UUID)) {
					found = &tpl
				}
			}
		}
		if found == nil {
			return store.NotFound("template", provider+"/"+accountID+"/"+externalID)
		}
		out = copyTemplate(*found)
		return nil
	})
	return out, err
}

func (r config) ListTemplates(ctx context.Context, f store.TemplateFilter) (out []store.Template, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		out = []store.Template{}
		for _, tpl := range t.st.templates {
			if f.Provider != "" && tpl.Provider != f.Provider ||
				f.AccountID != "" && tpl.AccountID != f.AccountID ||
				f.State != "" && tpl.State != f.State {
				continue
			}
			out = append(out, copyTemplate(tpl))
		}
		slices.SortFunc(out, func(a, b store.Template) int { return bytes.Compare(a.UUID[:], b.UUID[:]) })
		return nil
	})
	return out, err
}

func (r config) RulesAt(ctx context.Context, id uuid.UUID, version int) (out json.RawMessage, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		rules, ok := t.st.rules[id][version]
		if !ok {
			return store.NotFound("rules of template "+id.String()+" at version", version)
		}
		out = cloneRaw(rules)
		return nil
	})
	return out, err
}
