package pipeline

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

// Rules runs a rules.Engine inside the pipeline. The engine can be swapped
// while events flow (after templates changed) with Set or Reload; each event
// is evaluated by one engine from start to end.
type Rules struct {
	eng atomic.Pointer[rules.Engine]
}

// NewRules returns Rules evaluating e.
func NewRules(e *rules.Engine) *Rules {
	r := &Rules{}
	r.Set(e)
	return r
}

// LoadRules builds Rules from every badge template in the store.
func LoadRules(ctx context.Context, cfg store.Config) (*Rules, error) {
	e, err := rules.LoadEngine(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return NewRules(e), nil
}

// Set replaces the engine.
func (r *Rules) Set(e *rules.Engine) { r.eng.Store(e) }

// Engine returns the current engine.
func (r *Rules) Engine() *rules.Engine { return r.eng.Load() }

// Reload rebuilds the engine from the store's templates.
func (r *Rules) Reload(ctx context.Context, cfg store.Config) error {
	e, err := rules.LoadEngine(ctx, cfg)
	if err != nil {
		return err
	}
	r.Set(e)
	return nil
}

// ApplyRules implements RulesApplier.
func (r *Rules) ApplyRules(ctx context.Context, tx store.Repos, e eventbus.Event, l credential.Learner) ([]Transition, error) {
	eng := r.eng.Load()
	if eng == nil {
		return nil, nil
	}
	out, err := eng.Apply(ctx, tx, rules.Event{ID: e.ID, Type: e.Type, Time: e.Time, LearnerID: l.UserID, Data: e.Tree(),
		At: applyTime(ctx, e.Time)})
	if err != nil {
		if errors.Is(err, credential.ErrInvalid) {
			return nil, retry.Permanent(err)
		}
		return nil, err
	}
	ts := make([]Transition, 0, len(out.Awards))
	for _, c := range out.Awards {
		ts = append(ts, Transition{Award: c.Award, Revoked: c.Revoked})
	}
	return ts, nil
}
