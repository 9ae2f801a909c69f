package main

import (
	"context"

	"github.com/credshare/credshare"
)

// newRules builds the badge rules applier from the templates in the store.
func newRules(ctx context.Context, a *App) (credshare.RulesApplier, error) {
	a.log.Warn("badge rules engine adapter not available in this build: only certificate events are applied")
	return nil, nil
}
