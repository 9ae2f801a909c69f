package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/store"
)

// File is the declarative form of badge templates and their rules that
// a host keeps in version control:
//
//	{"templates": [{
//	   "name": "Python fundamentals", "provider": "credly",
//	   "account_id": "org-1", "external_id": "tpl-9", "state": "active",
//	   "requirements": [{"id": "pass", "group": "A",
//	     "event_type": "org.openedx.learning.course.passing.status.updated.v1",
//	     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
//	               {"path": "is_passing", "operator": "eq", "value": "true"}]}],
//	   "penalties": [{"id": "fail", "resets": ["pass"],
//	     "event_type": "org.openedx.learning.course.passing.status.updated.v1",
//	     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:X+PY1+2026"},
//	               {"path": "is_passing", "operator": "eq", "value": "false"}]}]}]}
//
// The YAML form (package badge/rules/rulesyaml) has the same fields.
type File struct {
	// Templates are the templates with their rule sets.
	Templates []Template `json:"templates"`
}

// ParseFile parses and validates a JSON rules file. Unknown fields are
// errors (a misspelt key must not silently drop a rule). A template without
// a UUID gets TemplateUUID(provider, account_id, external_id) when it has an
// external id; a template without a state is active. The error is nil or
// the joined *Error problems (see Problems), each naming the template
// and the field.
func ParseFile(b []byte) ([]Template, error) {
	var f File
	if err := decodeStrict(b, &f); err != nil {
		return nil, &Error{Field: "file", Problem: err.Error(), Kind: ErrBadValue}
	}
	return f.normalize()
}

// ReadFile reads a JSON rules file from r; see ParseFile.
func ReadFile(r io.Reader) ([]Template, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("badge: reading rules file: %w", err)
	}
	return ParseFile(b)
}

// Normalize fills defaults (UUIDs from provider ids, state active) and
// validates the templates together (ValidateTemplates).
func (f File) Normalize() ([]Template, error) { return f.normalize() }

func (f File) normalize() ([]Template, error) {
	ts := make([]Template, len(f.Templates))
	var errs []error
	for i, t := range f.Templates {
		if t.UUID == uuid.Nil && strings.TrimSpace(t.ExternalID) != "" && strings.TrimSpace(t.Provider) != "" {
			t.UUID = badge.TemplateUUID(t.Provider, t.AccountID, t.ExternalID)
		}
		if t.UUID == uuid.Nil {
			errs = append(errs, &Error{Template: fmt.Sprintf("templates[%d] %s", i, t.label()), Field: "uuid",
				Problem: "set uuid, or provider and external_id to derive it", Kind: ErrBadTemplate})
		}
		if t.State == "" {
			t.State = StateActive
		}
		ts[i] = t
	}
	if err := ValidateTemplates(ts); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ts, nil
}

// PutTemplates validates ts together and stores each with
// cfg.PutTemplate, which gives a template whose rule set changed a new
// rules version (progress made under the old version keeps being
// evaluated with it). It returns the stored templates.
func PutTemplates(ctx context.Context, cfg store.Config, ts []Template) ([]Template, error) {
	if err := ValidateTemplates(ts); err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(ts))
	for _, t := range ts {
		st, err := t.ToStore()
		if err != nil {
			return out, err
		}
		// A plain PutTemplate is safe against concurrent writers (webhooks,
		// syncs, another load): nothing here was read from the store, so
		// there is no stale copy to write back. The whole template is the
		// file's, and the store applies it in one transaction (row locked
		// on the SQL stores), so the outcome is that of the load running
		// just before or just after the other write: the file's rules are
		// never lost, and a provider write landing later keeps them
		// (badge.PutProviderFields). Tested by
		// internal/integration/templates.
		stored, err := cfg.PutTemplate(ctx, st)
		if err != nil {
			return out, fmt.Errorf("badge: storing template %s: %w", t.label(), err)
		}
		t.RulesVersion = stored.RulesVersion
		out = append(out, t)
	}
	return out, nil
}
