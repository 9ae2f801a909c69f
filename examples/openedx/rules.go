package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential/pipeline"
	"go.opentelemetry.io/otel/attribute"
	"go.yaml.in/yaml/v3"
)

// rules stores the templates of the rules file (or of def when no file is
// configured) and returns the rules the pipeline applies.
func (a *App) rules(ctx context.Context, def []byte) (*pipeline.Rules, error) {
	b, name := def, "the bundled example rules"
	if a.cfg.Badges.RulesFile != "" {
		var err error
		name = a.cfg.Badges.RulesFile
		if b, err = os.ReadFile(a.cfg.Badges.RulesFile); err != nil {
			return nil, fmt.Errorf("badges.rules_file (CREDSHARE_BADGE_RULES_FILE): %s", pathErr(err))
		}
		if ext := strings.ToLower(filepath.Ext(name)); ext == ".yaml" || ext == ".yml" {
			if b, err = yamlToJSON(b); err != nil {
				return nil, fmt.Errorf("badges.rules_file (CREDSHARE_BADGE_RULES_FILE): %s: %w", name, err)
			}
		}
	}
	if len(b) > 0 {
		ts, err := rules.ParseFile(b)
		if err != nil {
			return nil, fmt.Errorf("badges.rules_file (CREDSHARE_BADGE_RULES_FILE): %s:\n%w", name, err)
		}
		if _, err := rules.PutTemplates(ctx, a.st.Config(), ts); err != nil {
			return nil, fmt.Errorf("storing the templates of %s: %w", name, err)
		}
		a.log.Info("badge rules loaded", "file", name, "templates", len(ts))
	}
	rules, err := pipeline.LoadRules(ctx, a.st.Config())
	if err != nil {
		return nil, fmt.Errorf("loading the badge templates and rules from the store: %w", err)
	}
	a.log.Info("badge rules engine ready", "templates", len(rules.Engine().Templates()), "event_types", rules.Engine().EventTypes())
	return rules, nil
}

// reloadRules rebuilds the rules engine from the store every interval, so
// templates created by a Credly webhook or rules edited with the CLI take
// effect without a restart. A failed reload keeps the current engine.
func (a *App) reloadRules(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.rulesEng.Reload(ctx, a.st.Config()); err != nil && ctx.Err() == nil {
				a.log.Warn("reloading the badge rules failed; the current ones stay", "err", err)
			}
		}
	}
}

// yamlToJSON converts a YAML document to JSON so that package badge/rules'
// strict JSON reader checks it.
func yamlToJSON(b []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func attrSet(bus, typ, result string) attribute.Set {
	return attribute.NewSet(attribute.String("bus", bus), attribute.String("type", typ), attribute.String("result", result))
}
