package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/credshare/credshare/store"
)

// Template states (the same strings as store.Template.State).
const (
	StateDraft    = store.TemplateDraft
	StateActive   = store.TemplateActive
	StateArchived = store.TemplateArchived
)

// Template is a badge template with its rule set. Only active templates are
// evaluated by an Engine.
type Template struct {
	// UUID is credshare's template id (the achievement id of its awards).
	UUID uuid.UUID `json:"uuid"`
	// Name and Description are shown to people.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// ImageURL is the badge image.
	ImageURL string `json:"image_url,omitempty"`
	// Provider issues the badge ("credly", "accredible", "obv3", a plugin's).
	Provider string `json:"provider"`
	// AccountID is the provider account the template belongs to.
	AccountID string `json:"account_id,omitempty"`
	// ExternalID is the provider's id for the template.
	ExternalID string `json:"external_id,omitempty"`
	// State is StateDraft, StateActive or StateArchived.
	State string `json:"state"`
	// Repeatable badges can be earned again: after each award the
	// progress starts over, and completing it again grants the award
	// again (credential.Award.Times counts the grants).
	Repeatable bool `json:"repeatable,omitempty"`
	// RulesVersion is the version of the rule set as the store numbers
	// it (0 for a template that was never stored).
	RulesVersion int `json:"rules_version,omitempty"`
	// Set holds the requirements, penalties, required badges and the
	// window; in JSON and YAML its fields sit at the template's level.
	Set
}

// Validate checks the template's fields and its rule set, returning the
// joined *Error problems. An active template must have at least one
// requirement or required badge.
func (t Template) Validate() error { return t.validate(true) }

// Empty reports whether the rule set has neither requirements nor required
// badges (a template synchronised from a provider before rules were
// written for it).
func (rs Set) Empty() bool { return len(rs.Requirements) == 0 && len(rs.Requires) == 0 }

func (t Template) validate(strict bool) error {
	name := t.label()
	var errs []error
	bad := func(field, problem string) {
		errs = append(errs, &Error{Template: name, Field: field, Problem: problem, Kind: ErrBadTemplate})
	}
	if t.UUID == uuid.Nil {
		bad("uuid", "must be set")
	}
	if strings.TrimSpace(t.Name) == "" {
		bad("name", "must not be empty")
	}
	if strings.TrimSpace(t.Provider) == "" {
		bad("provider", "must not be empty")
	}
	switch t.State {
	case StateDraft, StateActive, StateArchived:
	default:
		bad("state", fmt.Sprintf("unknown state %q (want draft, active or archived)", t.State))
	}
	if strict && t.State == StateActive && t.Set.Empty() {
		errs = append(errs, &Error{Template: name, Field: "requirements",
			Problem: "an active template needs at least one requirement or required badge", Kind: ErrEmptyGroup})
	}
	for _, d := range t.Requires {
		if d == t.UUID && d != uuid.Nil {
			errs = append(errs, &Error{Template: name, Field: "requires", Problem: "a template cannot require itself", Kind: ErrBadDependency})
		}
	}
	if err := t.Set.Validate(); err != nil {
		for _, p := range Problems(err) {
			p.Template = name
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

func (t Template) label() string {
	if t.Name != "" {
		return fmt.Sprintf("%q", t.Name)
	}
	return t.UUID.String()
}

// RulesJSON returns the rule set as the JSON stored in store.Template.Rules.
func (rs Set) RulesJSON() (json.RawMessage, error) {
	return json.Marshal(rs)
}

// ParseSet parses a rule set as stored in store.Template.Rules. Unknown
// fields are errors. It does not validate the rule set.
func ParseSet(b []byte) (Set, error) {
	var rs Set
	if len(bytes.TrimSpace(b)) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return rs, nil
	}
	if err := decodeStrict(b, &rs); err != nil {
		return rs, &Error{Field: "rules", Problem: err.Error(), Kind: ErrBadValue}
	}
	return rs, nil
}

// decodeStrict decodes JSON refusing unknown fields and trailing data,
// keeping numbers as json.Number.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// FromStore converts a stored template: its Rules JSON becomes the
// Set. It does not validate.
func FromStore(st store.Template) (Template, error) {
	rs, err := ParseSet(st.Rules)
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			re.Template = st.UUID.String()
		}
		return Template{}, err
	}
	return Template{
		UUID: st.UUID, Name: st.Name, Description: st.Description, ImageURL: st.ImageURL,
		Provider: st.Provider, AccountID: st.AccountID, ExternalID: st.ExternalID,
		State: st.State, Repeatable: st.Repeatable, RulesVersion: st.RulesVersion, Set: rs,
	}, nil
}

// ToStore converts the template for store.Config.PutTemplate (which sets
// RulesVersion: a changed rule set gets a new version).
func (t Template) ToStore() (store.Template, error) {
	rules, err := t.Set.RulesJSON()
	if err != nil {
		return store.Template{}, err
	}
	return store.Template{
		UUID: t.UUID, Name: t.Name, Description: t.Description, ImageURL: t.ImageURL,
		Provider: t.Provider, AccountID: t.AccountID, ExternalID: t.ExternalID,
		State: t.State, Repeatable: t.Repeatable, Rules: rules, RulesVersion: t.RulesVersion,
	}, nil
}

// ValidateTemplates validates each template and what only the whole set
// can show: duplicate UUIDs, a penalty that resets another template's
// requirement, a required badge that is not in the set, and dependency
// cycles. It returns the joined *Error problems.
func ValidateTemplates(ts []Template) error { return validateTemplates(ts, true) }

func validateTemplates(ts []Template, strict bool) error {
	var errs []error
	byID := map[uuid.UUID]int{}
	for i, t := range ts {
		if err := t.validate(strict); err != nil {
			for _, p := range Problems(err) {
				// Say which template owns a requirement a penalty points at.
				if errors.Is(p.Kind, ErrBadPenalty) {
					if owner := ownerOfRequirement(ts, i, p.Problem); owner != "" {
						p.Problem += " (it is a requirement of template " + owner + ")"
					}
				}
				errs = append(errs, p)
			}
		}
		if t.UUID == uuid.Nil {
			continue
		}
		if j, dup := byID[t.UUID]; dup {
			errs = append(errs, &Error{Template: t.label(), Field: "uuid",
				Problem: fmt.Sprintf("UUID %s is also template %s's", t.UUID, ts[j].label()), Kind: ErrBadID})
			continue
		}
		byID[t.UUID] = i
	}
	for _, t := range ts {
		for k, d := range t.Requires {
			if _, ok := byID[d]; !ok && d != uuid.Nil {
				errs = append(errs, &Error{Template: t.label(), Field: fmt.Sprintf("requires[%d]", k),
					Problem: fmt.Sprintf("no template %s", d), Kind: ErrBadDependency})
			}
		}
	}
	if cyc := dependencyCycle(ts, byID); cyc != "" {
		errs = append(errs, &Error{Field: "requires", Problem: "dependency cycle: " + cyc, Kind: ErrBadDependency})
	}
	return errors.Join(errs...)
}

// ownerOfRequirement finds the template (other than self) that has the
// requirement quoted in a penalty problem.
func ownerOfRequirement(ts []Template, self int, problem string) string {
	i := strings.IndexByte(problem, '"')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(problem[i+1:], '"')
	if j < 0 {
		return ""
	}
	id := problem[i+1 : i+1+j]
	for k, t := range ts {
		if k == self {
			continue
		}
		for _, r := range t.Requirements {
			if r.ID == id {
				return t.label()
			}
		}
	}
	return ""
}

// dependencyCycle returns a description of one cycle in Requires, or "".
func dependencyCycle(ts []Template, byID map[uuid.UUID]int) string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(ts))
	var stack []int
	var found string
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, d := range ts[i].Requires {
			j, ok := byID[d]
			if !ok {
				continue
			}
			if color[j] == grey {
				var names []string
				for k := len(stack) - 1; k >= 0; k-- {
					names = append([]string{ts[stack[k]].label()}, names...)
					if stack[k] == j {
						break
					}
				}
				found = strings.Join(append(names, ts[j].label()), " → ")
				return true
			}
			if color[j] == white && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range ts {
		if color[i] == white && visit(i) {
			return found
		}
	}
	return ""
}
