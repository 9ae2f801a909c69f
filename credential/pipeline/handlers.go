package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/outbox"
)

// RegisterHandlers installs on d the outbox handlers for the items the
// pipeline writes: provider issue and revoke calls (recording the provider's
// badge id and state on the award) and event publishing. It also turns each
// provider's published limits (badge.RateLimited) into the dispatcher's
// per-target limits unless the dispatcher was configured with its own.
func (p *Pipeline) RegisterHandlers(d *outbox.Dispatcher) {
	for id, prov := range p.cfg.Providers {
		if rl, ok := prov.(badge.RateLimited); ok {
			l := rl.Limits()
			d.LimitTarget(id, outbox.Limits{Concurrency: l.Concurrency, Rate: l.Rate, Burst: l.Burst})
		}
	}
	d.Handle(KindBadgeIssue, p.runIssue)
	d.Handle(KindBadgeRevoke, p.runRevoke)
	if p.cfg.Publisher != nil {
		d.Handle(KindEventPublish, p.runPublish)
	}
}

func (p *Pipeline) provider(id string) (badge.Provider, error) {
	prov, ok := p.cfg.Providers[id]
	if !ok {
		// Another deployment may know it: keep the item, do not kill it.
		return nil, fmt.Errorf("badge provider %q is not configured in this process", id)
	}
	return prov, nil
}

func (p *Pipeline) runIssue(ctx context.Context, it store.OutboxItem) error {
	var req badge.IssueRequest
	if err := json.Unmarshal(it.Payload, &req); err != nil {
		return retry.Permanent(fmt.Errorf("outbox item %d: bad payload: %w", it.ID, err))
	}
	prov, err := p.provider(it.Target)
	if err != nil {
		return err
	}
	// Send the learner's current personal data, refreshed since the award.
	if l, err := p.cfg.Store.Learners().Get(ctx, req.Recipient.UserID); err == nil {
		req.Recipient = l
	}
	res, err := prov.Issue(ctx, req)
	if err != nil {
		return err
	}
	return p.recordProvider(ctx, req.AwardUUID, it.Target, res)
}

func (p *Pipeline) runRevoke(ctx context.Context, it store.OutboxItem) error {
	var req badge.RevokeRequest
	if err := json.Unmarshal(it.Payload, &req); err != nil {
		return retry.Permanent(fmt.Errorf("outbox item %d: bad payload: %w", it.ID, err))
	}
	prov, err := p.provider(it.Target)
	if err != nil {
		return err
	}
	if req.ExternalID == "" {
		// The issue may have run after this revocation was queued.
		a, err := p.cfg.Store.Awards().GetByUUID(ctx, req.AwardUUID)
		if err != nil {
			return err
		}
		if ref, ok := a.Provider(it.Target); ok {
			req.ExternalID = ref.ExternalID
		}
	}
	res, err := prov.Revoke(ctx, req)
	if err != nil && req.ExternalID == "" && errors.Is(err, badge.ErrNotFound) {
		// The provider holds no badge for this award yet: the issue call
		// has not completed. Retry later (if the issue died for good, this
		// item dies after its attempts with this reason).
		return fmt.Errorf("revoke of award %s at %s waits for its issue call (%v)", req.AwardUUID, it.Target, err)
	}
	if err != nil {
		return err
	}
	return p.recordProvider(ctx, req.AwardUUID, it.Target, res)
}

func (p *Pipeline) recordProvider(ctx context.Context, award uuid.UUID, provider string, res badge.Result) error {
	return p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := tx.Awards().GetByUUID(ctx, award)
		if err != nil {
			return err
		}
		a.SetProvider(credential.ProviderRef{Provider: provider, ExternalID: res.ExternalID, State: res.State, UpdatedAt: p.cfg.Now().UTC()})
		_, _, err = tx.Awards().Put(ctx, a)
		return err
	})
}

func (p *Pipeline) runPublish(ctx context.Context, it store.OutboxItem) error {
	ev, err := decodeEvent(it.Payload)
	if err != nil {
		return retry.Permanent(fmt.Errorf("outbox item %d: bad payload: %w", it.ID, err))
	}
	err = p.cfg.Publisher.Publish(ctx, it.Target, ev)
	if retry.IsPermanent(err) {
		return retry.Permanent(err)
	}
	return err
}

// decodeEvent reads an event stored as JSON in the outbox, restoring the
// tree's value types (integral numbers are int64 again, as Avro longs need).
func decodeEvent(b []byte) (eventbus.Event, error) {
	var ev eventbus.Event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return ev, err
	}
	if data, ok := eventbus.NormalizeJSON(map[string]any(ev.Data)).(map[string]any); ok {
		ev.Data = data
	}
	return ev, nil
}
