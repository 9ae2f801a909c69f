// Package rulesyaml reads badge rules files written in YAML. The YAML form
// has exactly the fields of the JSON form (rules.File):
//
//	templates:
//	  - name: Python fundamentals
//	    provider: credly
//	    account_id: org-1
//	    external_id: tpl-9
//	    requirements:
//	      - id: pass
//	        event_type: org.openedx.learning.course.passing.status.updated.v1
//	        rules:
//	          - {path: course.course_key, operator: eq, value: "course-v1:X+PY1+2026"}
//	          - {path: is_passing, operator: eq, value: "true"}
//
// # Sections
//
// Parsing: Parse converts the YAML document to the JSON form and hands it to
// rules.ParseFile, so validation, defaults and errors are the same for
// both forms. YAML syntax errors carry the line number.
//
// Scalars: plain scalars such as yes, no, on and off stay strings (YAML
// 1.2), which the eq and ne operators of package badge/rules normalise the
// way Open edX does; timestamps stay strings too.
package rulesyaml

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/credshare/credshare/badge/rules"
)

// Parse parses and validates a YAML rules file; see rules.ParseFile.
func Parse(b []byte) ([]rules.Template, error) {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &rules.Error{Field: "file", Problem: "YAML: " + err.Error(), Kind: rules.ErrBadValue}
	}
	if doc == nil {
		doc = map[string]any{}
	}
	j, err := toJSON(doc, "")
	if err != nil {
		return nil, &rules.Error{Field: "file", Problem: err.Error(), Kind: rules.ErrBadValue}
	}
	raw, err := json.Marshal(j)
	if err != nil {
		return nil, &rules.Error{Field: "file", Problem: err.Error(), Kind: rules.ErrBadValue}
	}
	return rules.ParseFile(raw)
}

// Read reads and parses a YAML rules file from r.
func Read(r io.Reader) ([]rules.Template, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("rulesyaml: reading: %w", err)
	}
	return Parse(b)
}

// toJSON turns a decoded YAML value into one encoding/json can write:
// mappings need string keys.
func toJSON(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := toJSON(e, at+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			c, err := toJSON(e, at+"."+ks)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toJSON(e, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("%s: %v is not a usable number", trim(at), x)
		}
		return x, nil
	}
	return v, nil
}

func trim(at string) string {
	if len(at) > 0 && at[0] == '.' {
		return at[1:]
	}
	if at == "" {
		return "document"
	}
	return at
}
