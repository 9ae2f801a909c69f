package sqlcore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type config repos

const accountSelect = "SELECT provider, id, name, secret, settings, active, created_at, updated_at FROM cs_accounts"

func scanAccount(row rowScanner) (a store.ProviderAccount, err error) {
	var settings []byte
	err = row.Scan(&a.Provider, &a.ID, &a.Name, &a.Secret, &settings, &a.Active, ts{&a.CreatedAt}, ts{&a.UpdatedAt})
	if err != nil {
		return a, err
	}
	if err := unjson(settings, &a.Settings); err != nil {
		return a, fmt.Errorf("provider account %s/%s settings: %w", a.Provider, a.ID, err)
	}
	return a, nil
}

func (r config) PutAccount(ctx context.Context, a store.ProviderAccount) error {
	switch {
	case strings.TrimSpace(a.Provider) == "":
		return credential.Invalid("account.provider", "must not be empty")
	case strings.TrimSpace(a.ID) == "":
		return credential.Invalid("account.id", "must not be empty")
	}
	settings, err := jsonArg(a.Settings, len(a.Settings) == 0)
	if err != nil {
		return credential.Invalid("account.settings", err.Error())
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		now := db.tv(db.now())
		_, err := tx.ExecContext(ctx, insertSQL("cs_accounts", "provider", "id", "name", "secret", "settings", "active", "created_at", "updated_at")+
			db.d.OnConflictUpdate([]string{"provider", "id"}, []string{"name", "secret", "settings", "active", "updated_at"}),
			a.Provider, a.ID, a.Name, a.Secret, settings, a.Active, now, now)
		return err
	})
	return db.wrap("config.put_account", a.Provider+"/"+a.ID, err)
}

func (r config) GetAccount(ctx context.Context, provider, id string) (a store.ProviderAccount, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		a, err = scanAccount(tx.QueryRowContext(ctx, accountSelect+" WHERE provider = ? AND id = ?", provider, id))
		if err == sql.ErrNoRows {
			return db.notFound("provider account", provider+"/"+id)
		}
		return err
	})
	return a, db.wrap("config.get_account", provider+"/"+id, err)
}

func (r config) ListAccounts(ctx context.Context, provider string) (out []store.ProviderAccount, err error) {
	db := r.h.base()
	query, args := accountSelect+" ORDER BY provider, id", []any(nil)
	if provider != "" {
		query, args = accountSelect+" WHERE provider = ? ORDER BY provider, id", []any{provider}
	}
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanAccount, query, args...)
		return err
	})
	if out == nil && err == nil {
		out = []store.ProviderAccount{}
	}
	return out, db.wrap("config.list_accounts", provider, err)
}

const templateSelect = "SELECT uuid, name, description, image_url, provider, account_id, external_id, state, repeatable, rules, rules_version, created_at, updated_at FROM cs_templates"

func scanTemplate(row rowScanner) (t store.Template, err error) {
	var rules []byte
	err = row.Scan(&t.UUID, &t.Name, &t.Description, &t.ImageURL, &t.Provider, &t.AccountID, &t.ExternalID, &t.State,
		&t.Repeatable, &rules, &t.RulesVersion, ts{&t.CreatedAt}, ts{&t.UpdatedAt})
	t.Rules = raw(rules)
	return t, err
}

func (r config) PutTemplate(ctx context.Context, t store.Template) (store.Template, error) {
	return r.putTemplate(ctx, t, -1)
}

func (r config) PutTemplateIf(ctx context.Context, t store.Template, rulesVersion int) (store.Template, error) {
	if rulesVersion < 0 {
		return store.Template{}, credential.Invalid("template.rules_version", "the expected rules version must not be negative")
	}
	return r.putTemplate(ctx, t, rulesVersion)
}

// putTemplate stores t; when expect is not negative, only if the stored
// rules version is expect (0: none stored). The check and the write are
// one transaction, and nothing is written before the check passes (a
// caller's transaction that goes on after a conflict holds none of it):
// expecting a version, the row is locked (FOR UPDATE; SQLite's write
// transaction holds the database lock) and compared before the update;
// expecting none, the insert that would create it is the check.
func (r config) putTemplate(ctx context.Context, t store.Template, expect int) (out store.Template, err error) {
	if err := store.PrepareTemplate(&t); err != nil {
		return out, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		now := db.now()
		t.UpdatedAt = now
		cols := []string{"uuid", "name", "description", "image_url", "provider", "account_id", "external_id", "state",
			"repeatable", "rules", "rules_version", "created_at", "updated_at"}
		vals := []any{t.UUID, t.Name, t.Description, t.ImageURL, t.Provider, t.AccountID, t.ExternalID, t.State,
			t.Repeatable, rawArg(t.Rules), 1, db.tv(now), db.tv(now)}
		lockOld := func() (store.Template, error) {
			return scanTemplate(tx.QueryRowContext(ctx, templateSelect+" WHERE uuid = ?"+db.d.ForUpdate, t.UUID))
		}
		var old store.Template
		if expect > 0 {
			if old, err = lockOld(); err == sql.ErrNoRows {
				return &store.RulesVersionConflict{Template: t.UUID, Want: expect}
			} else if err != nil {
				return err
			}
			if old.RulesVersion != expect {
				return &store.RulesVersionConflict{Template: t.UUID, Want: expect, Have: old.RulesVersion}
			}
		} else {
			ins, err := db.insertIgnore(ctx, tx, "cs_templates", cols, vals...)
			if err != nil {
				return err
			}
			if ins {
				t.RulesVersion, t.CreatedAt = 1, now
				return db.keepRules(ctx, tx, t)
			}
			if old, err = lockOld(); err != nil {
				return err
			}
			if expect == 0 {
				return &store.RulesVersionConflict{Template: t.UUID, Want: 0, Have: old.RulesVersion}
			}
		}
		t.RulesVersion, t.CreatedAt = old.RulesVersion, old.CreatedAt
		if !bytes.Equal(old.Rules, t.Rules) {
			t.RulesVersion++
		}
		vals[10] = t.RulesVersion
		set := strings.Join(cols[1:11], " = ?, ") + " = ?, updated_at = ?"
		if _, err := tx.ExecContext(ctx, "UPDATE cs_templates SET "+set+" WHERE uuid = ?", append(vals[1:11], db.tv(now), t.UUID)...); err != nil {
			return err
		}
		if t.RulesVersion == old.RulesVersion {
			return nil
		}
		return db.keepRules(ctx, tx, t)
	})
	if err != nil {
		return store.Template{}, db.wrap("config.put_template", t.UUID, err)
	}
	return t, nil
}

// keepRules records the template's rule set under its version.
func (db *DB) keepRules(ctx context.Context, tx q, t store.Template) error {
	_, err := db.insertIgnore(ctx, tx, "cs_template_rules", []string{"template_uuid", "version", "rules", "created_at"},
		t.UUID, t.RulesVersion, rawArg(t.Rules), db.tv(t.UpdatedAt))
	return err
}

func (r config) GetTemplate(ctx context.Context, id uuid.UUID) (t store.Template, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		t, err = scanTemplate(tx.QueryRowContext(ctx, templateSelect+" WHERE uuid = ?", id))
		if err == sql.ErrNoRows {
			return db.notFound("template", id)
		}
		return err
	})
	return t, db.wrap("config.get_template", id, err)
}

func (r config) FindTemplate(ctx context.Context, provider, accountID, externalID string) (t store.Template, err error) {
	db := r.h.base()
	key := provider + "/" + accountID + "/" + externalID
	err = r.h.run(ctx, read, func(tx q) error {
		if externalID == "" {
			return db.notFound("template", key)
		}
		t, err = scanTemplate(tx.QueryRowContext(ctx, templateSelect+" WHERE provider = ? AND account_id = ? AND external_id = ? ORDER BY uuid LIMIT 1",
			provider, accountID, externalID))
		if err == sql.ErrNoRows {
			return db.notFound("template", key)
		}
		return err
	})
	return t, db.wrap("config.find_template", key, err)
}

func (r config) ListTemplates(ctx context.Context, f store.TemplateFilter) (out []store.Template, err error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"provider", f.Provider}, {"account_id", f.AccountID}, {"state", f.State}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	query := templateSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanTemplate, query+" ORDER BY uuid", args...)
		return err
	})
	if out == nil && err == nil {
		out = []store.Template{}
	}
	return out, db.wrap("config.list_templates", nil, err)
}

func (r config) RulesAt(ctx context.Context, id uuid.UUID, version int) (out json.RawMessage, err error) {
	db := r.h.base()
	key := fmt.Sprintf("%s@%d", id, version)
	err = r.h.run(ctx, read, func(tx q) error {
		var b []byte
		err := tx.QueryRowContext(ctx, "SELECT rules FROM cs_template_rules WHERE template_uuid = ? AND version = ?", id, version).Scan(&b)
		if err == sql.ErrNoRows {
			return db.notFound("rules of template "+id.String()+" at version", version)
		}
		out = raw(b)
		return err
	})
	return out, db.wrap("config.rules_at", key, err)
}
