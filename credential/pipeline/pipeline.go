package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

// Outbox item kinds written by the pipeline and run by the dispatcher
// handlers that Pipeline.RegisterHandlers installs.
const (
	// KindBadgeIssue calls a badge provider's Issue; the payload is a
	// badge.IssueRequest and the target the provider id.
	KindBadgeIssue = "badge.issue"
	// KindBadgeRevoke calls a badge provider's Revoke; payload badge.RevokeRequest.
	KindBadgeRevoke = "badge.revoke"
	// KindEventPublish publishes an event; the payload is an eventbus.Event
	// (JSON) and the target the base topic.
	KindEventPublish = "event.publish"
)

// RulesApplier applies the badge rules to one event inside the pipeline's
// transaction and reports the award transitions it made. *rules.Engine
// implements it; see NewRules.
type RulesApplier interface {
	ApplyRules(ctx context.Context, tx store.Repos, e eventbus.Event, learner credential.Learner) ([]Transition, error)
}

// Transition is an award that changed state while an event was applied.
type Transition struct {
	// Award is the award after the change.
	Award credential.Award
	// Revoked is true for a revocation, false for a grant.
	Revoked bool
}

// namespace for ids derived from idempotency keys (a random, fixed UUID).
var idNamespace = uuid.MustParse("5b0c2f7e-4d1a-4f39-9d7e-2a6c1e8b9f01")

// stableUUID derives an id from an idempotency key (published event ids).
func stableUUID(key string) uuid.UUID { return uuid.NewSHA1(idNamespace, []byte(key)) }

// parseUUID parses an award's or template's UUID, invalid input being a
// credential.ErrInvalid.
func parseUUID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, credential.Invalid("uuid", fmt.Sprintf("%q is not a UUID", s))
	}
	return id, nil
}

// StatusRevoker sets the revocation bits of every credential issued for an
// award, inside the transaction that revokes the award, so no revocation
// is lost to a race. status.Service implements it.
type StatusRevoker interface {
	RevokeAward(ctx context.Context, tx store.Repos, award credential.Award) error
}

// Config assembles a Pipeline.
type Config struct {
	// Store holds all state. Required.
	Store store.Store
	// Group is the consumer group the processed-event marks are kept for;
	// default "credshare".
	Group string
	// Rules applies badge rules; nil processes certificate events only.
	Rules RulesApplier
	// Providers issue and revoke badges, by provider id. A template whose
	// provider is neither here nor in QueueProviders gets its awards
	// recorded but no provider call.
	Providers map[string]badge.Provider
	// QueueProviders names providers this process has no Provider for but
	// whose issue and revoke calls it queues anyway: the outbox rows are
	// written exactly as for a provider in Providers, and the dispatcher of
	// the deployment that has the provider runs them. A process that only
	// records decisions — the credshare CLI revoking or reinstating an
	// award — names the deployment's providers here, so no provider call
	// is silently left out.
	QueueProviders []string
	// QueuePublish writes the outbox rows of the events the pipeline
	// publishes (badge.awarded, badge.revoked, and program certificate
	// events with PublishProgramEvents) even though Publisher is nil; the
	// deployment's dispatcher publishes them. RegisterHandlers installs no
	// publish handler without a Publisher, so this process never runs them.
	QueuePublish bool
	// Publisher publishes badge.awarded / badge.revoked events (and program
	// certificate events when PublishProgramEvents is set); nil publishes
	// nothing.
	Publisher eventbus.Publisher
	// PublishProgramEvents publishes program certificate events (off by
	// default, as in Open edX).
	PublishProgramEvents bool
	// Status revokes issued VCs when an award is revoked; nil skips it.
	Status StatusRevoker
	// CertificateProvider, when set, names a provider in Providers (or
	// QueueProviders) that
	// course and program certificates are issued (and revoked) through —
	// typically "obv3", which issues them as signed Open Badges 3.0
	// credentials.
	CertificateProvider string
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Meter records metrics; default none.
	Meter metric.Meter
	// TracerProvider records a SpanHandle span per event (see Handle);
	// default none. The global OpenTelemetry provider is never used. With
	// or without it, an event's trace context (its message's traceparent
	// header, or the span the handler runs in) is stored with the outbox
	// rows the event creates, so the calls made later join its trace.
	TracerProvider trace.TracerProvider
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Pipeline turns events into awards, progress and outbox rows, one store
// transaction per event. It is safe for concurrent use: events of different
// learners may be handled at once.
type Pipeline struct {
	cfg    Config
	queued map[string]bool // QueueProviders
	m      pipelineMetrics
	tracer trace.Tracer
	// noBatch is set once the store turned out to lack store.BatchWriter.
	noBatch atomic.Bool
	stats   struct {
		applied, duplicate, ignored, failed, invalid, granted, revoked atomic.Int64
	}
}

// Stats counts what a Pipeline did since it was created.
type Stats struct {
	// Applied events changed (or could have changed) state; Duplicate ones
	// had been applied before; Ignored ones carried nothing to apply.
	Applied, Duplicate, Ignored int64
	// Failed events hit a retryable error (they will be redelivered);
	// Invalid ones a permanent one (they are dead-lettered).
	Failed, Invalid int64
	// Granted and Revoked count award transitions.
	Granted, Revoked int64
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	return Stats{
		Applied: p.stats.applied.Load(), Duplicate: p.stats.duplicate.Load(), Ignored: p.stats.ignored.Load(),
		Failed: p.stats.failed.Load(), Invalid: p.stats.invalid.Load(),
		Granted: p.stats.granted.Load(), Revoked: p.stats.revoked.Load(),
	}
}

type pipelineMetrics struct {
	events      metric.Int64Counter
	transitions metric.Int64Counter
}

// New validates cfg and returns a Pipeline.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil {
		return nil, errors.New("pipeline: Config.Store is required")
	}
	if cfg.Group == "" {
		cfg.Group = "credshare"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for id, p := range cfg.Providers {
		if p == nil {
			return nil, fmt.Errorf("pipeline: Config.Providers[%q] is nil", id)
		}
		if p.ID() != id {
			return nil, fmt.Errorf("pipeline: Config.Providers[%q] reports id %q", id, p.ID())
		}
	}
	queued := map[string]bool{}
	for _, id := range cfg.QueueProviders {
		if strings.TrimSpace(id) == "" || id != strings.TrimSpace(id) {
			return nil, fmt.Errorf("pipeline: Config.QueueProviders holds the invalid provider id %q", id)
		}
		queued[id] = true
	}
	if cfg.CertificateProvider != "" {
		if _, ok := cfg.Providers[cfg.CertificateProvider]; !ok && !queued[cfg.CertificateProvider] {
			return nil, fmt.Errorf("pipeline: Config.CertificateProvider %q is not in Config.Providers or Config.QueueProviders", cfg.CertificateProvider)
		}
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = noop.NewTracerProvider()
	}
	p := &Pipeline{cfg: cfg, queued: queued, tracer: cfg.TracerProvider.Tracer("github.com/credshare/credshare/credential/pipeline")}
	if cfg.Meter != nil {
		var err error
		if p.m.events, err = cfg.Meter.Int64Counter("credshare.events",
			metric.WithDescription("Events handled, by type and outcome (applied, duplicate, ignored, failed, invalid).")); err != nil {
			return nil, err
		}
		if p.m.transitions, err = cfg.Meter.Int64Counter("credshare.award.transitions",
			metric.WithDescription("Awards granted and revoked, by achievement kind and id.")); err != nil {
			return nil, err
		}
		if _, err = cfg.Meter.Int64ObservableGauge("credshare.outbox.depth",
			metric.WithDescription("Outbox items pending (state=pending) and dead (state=dead)."),
			metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
				s, err := cfg.Store.Outbox().Stats(ctx)
				if err != nil {
					return err
				}
				o.Observe(int64(s.Pending), metric.WithAttributes(attribute.String("state", "pending")))
				o.Observe(int64(s.Dead), metric.WithAttributes(attribute.String("state", "dead")))
				return nil
			})); err != nil {
			return nil, err
		}
		if _, err = cfg.Meter.Float64ObservableGauge("credshare.outbox.age",
			metric.WithUnit("s"), metric.WithDescription("Age of the oldest pending outbox item."),
			metric.WithFloat64Callback(func(ctx context.Context, o metric.Float64Observer) error {
				s, err := cfg.Store.Outbox().Stats(ctx)
				if err != nil || s.OldestPending.IsZero() {
					return err
				}
				o.Observe(cfg.Now().Sub(s.OldestPending).Seconds())
				return nil
			})); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Group returns the consumer group the pipeline records processed events for.
func (p *Pipeline) Group() string { return p.cfg.Group }

// Handler returns the pipeline's eventbus.Handler, wrapped in the usual
// middleware: panic recovery, a per-event timeout and a dedup pre-check.
// Dead-lettering and retries belong to the source's chain (see
// eventbus.DeadLetter and eventbus.Retry).
func (p *Pipeline) Handler() eventbus.Handler {
	return eventbus.Chain(p.handle,
		eventbus.Recover(),
		eventbus.Timeout(30*time.Second),
		p.traced,
		p.dedup,
	)
}

// dedup skips events already applied (a read, cheaper than the write
// transaction Handle would open to find out), counting them as duplicates.
// Handle still records the mark in its transaction, which is what makes
// redelivery harmless; a failed check just lets Handle decide.
func (p *Pipeline) dedup(next eventbus.Handler) eventbus.Handler {
	return func(ctx context.Context, e eventbus.Event) error {
		if e.ID != "" {
			if done, err := p.cfg.Store.Events().IsProcessed(ctx, p.cfg.Group, e.ID); err == nil && done {
				p.count(ctx, e, "duplicate")
				return nil
			}
		}
		return next(ctx, e)
	}
}

// Handle applies one event in one store transaction: the processed-event
// mark, the learner's refreshed personal data, certificate awards and
// revocations, badge progress and awards, and the outbox rows for provider
// calls and published events commit together or not at all. A redelivered
// event (same id) changes nothing. An event that can never be applied (no
// id, a certificate without a learner) gives an eventbus.Permanent error so
// the source dead-letters it.
//
// Handle runs in a SpanHandle span (see Config.TracerProvider), a child of
// the span in ctx or else of the trace context in the event's message
// headers (traceparent, tracestate), and stores that span's context with
// every outbox row it writes.
func (p *Pipeline) Handle(ctx context.Context, e eventbus.Event) error {
	return p.traced(p.handle)(ctx, e)
}

func (p *Pipeline) handle(ctx context.Context, e eventbus.Event) error {
	if err := p.checkID(ctx, e); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = p.cfg.Now().UTC()
	}
	var res applied
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		res = applied{}
		// The transitions are stamped with the time they are made, not the
		// triggering event's (which their causes keep).
		ctx = withApplyTime(ctx, p.cfg.Now().UTC())
		first, err := tx.Events().MarkProcessed(ctx, p.cfg.Group, e.ID, p.cfg.Now())
		if err != nil {
			return err
		}
		if !first {
			res.outcome = "duplicate"
			return nil
		}
		res, err = p.apply(ctx, tx, e)
		return err
	})
	return p.finish(ctx, e, res, err)
}

// checkID rejects (permanently) an event without an id.
func (p *Pipeline) checkID(ctx context.Context, e eventbus.Event) error {
	if strings.TrimSpace(e.ID) == "" {
		p.count(ctx, e, "invalid")
		return retry.Permanent(fmt.Errorf("event of type %q has no id", e.Type))
	}
	return nil
}

// applied is what applying one event did.
type applied struct {
	outcome     string
	transitions []Transition
}

// apply applies an event whose processed mark tx has just recorded: the
// learner's personal data, certificates, badge rules and the effects of
// every transition.
//
// An error matching credential.ErrInvalid (a value of the event the store
// refuses, such as evidence over its size limit) is made permanent: the
// same event fails the same way every time, so retrying it would stop its
// partition or stream for good instead of dead-lettering it.
func (p *Pipeline) apply(ctx context.Context, tx store.Repos, e eventbus.Event) (res applied, err error) {
	defer func() {
		if err != nil && !retry.IsPermanent(err) && errors.Is(err, credential.ErrInvalid) {
			err = retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
		}
	}()
	res = applied{outcome: "applied"}
	learner, hasLearner := e.Learner()
	if hasLearner {
		var err error
		if learner, err = upsertLearner(ctx, tx, learner); err != nil {
			if errors.Is(err, credential.ErrInvalid) {
				return res, retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
			}
			return res, err
		}
	}
	ts, err := p.applyCertificates(ctx, tx, e, learner, hasLearner)
	if err != nil {
		return res, err
	}
	res.transitions = append(res.transitions, ts...)
	if p.cfg.Rules != nil && hasLearner && !p.ownBadgeEvent(ctx, tx, e) {
		ts, err := p.cfg.Rules.ApplyRules(ctx, tx, e, learner)
		if err != nil {
			return res, err
		}
		res.transitions = append(res.transitions, ts...)
	}
	if len(res.transitions) == 0 && !hasLearner {
		res.outcome = "ignored"
	}
	for _, t := range res.transitions {
		if err := p.effects(ctx, tx, e, learner, t, ""); err != nil {
			return res, err
		}
	}
	return res, nil
}

// finish counts, logs and measures an event once its transaction ended
// with err, and returns err.
func (p *Pipeline) finish(ctx context.Context, e eventbus.Event, res applied, err error) error {
	if err != nil {
		if retry.IsPermanent(err) {
			p.count(ctx, e, "invalid")
		} else {
			p.count(ctx, e, "failed")
		}
		return err
	}
	p.count(ctx, e, res.outcome)
	p.cfg.Logger.Debug("event handled", "event", e.ID, "type", e.Type, "outcome", res.outcome, "transitions", len(res.transitions))
	for _, t := range res.transitions {
		verb := "granted"
		if t.Revoked {
			verb = "revoked"
			p.stats.revoked.Add(1)
		} else {
			p.stats.granted.Add(1)
		}
		p.cfg.Logger.Info("award "+verb, "award", t.Award.UUID, "learner", t.Award.LearnerID,
			"achievement", t.Award.Achievement.String(), "event", e.ID)
		if p.m.transitions != nil {
			p.m.transitions.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", string(t.Award.Achievement.Kind)),
				attribute.String("achievement", t.Award.Achievement.ID), attribute.String("transition", verb)))
		}
	}
	return nil
}

// ownBadgeEvent reports whether e is a badge event this deployment
// published about one of its own awards (Open edX carries them on the same
// topic as the passing-status events). Rules are not applied to those, so a
// rule matching badge events can never feed on its own output.
func (p *Pipeline) ownBadgeEvent(ctx context.Context, tx store.Repos, e eventbus.Event) bool {
	if e.Type != eventbus.TypeBadgeAwarded && e.Type != eventbus.TypeBadgeRevoked {
		return false
	}
	b, err := e.Badge()
	if err != nil {
		return false
	}
	id, err := parseUUID(b.UUID)
	if err != nil {
		return false
	}
	_, err = tx.Awards().GetByUUID(ctx, id)
	return err == nil
}

func (p *Pipeline) count(ctx context.Context, e eventbus.Event, outcome string) {
	switch outcome {
	case "applied":
		p.stats.applied.Add(1)
	case "duplicate":
		p.stats.duplicate.Add(1)
	case "ignored":
		p.stats.ignored.Add(1)
	case "failed":
		p.stats.failed.Add(1)
	case "invalid":
		p.stats.invalid.Add(1)
	}
	if p.m.events != nil {
		p.m.events.Add(ctx, 1, metric.WithAttributes(attribute.String("type", e.Type), attribute.String("outcome", outcome)))
	}
	markOutcome(ctx, outcome)
}

// applyCertificates handles the certificate and program certificate events.
func (p *Pipeline) applyCertificates(ctx context.Context, tx store.Repos, e eventbus.Event, l credential.Learner, hasLearner bool) ([]Transition, error) {
	var (
		ref      credential.AchievementRef
		grant    bool
		evidence map[string]string
	)
	switch e.Type {
	case eventbus.TypeCertificateCreated, eventbus.TypeCertificateChanged, eventbus.TypeCertificateRevoked:
		c, err := e.Certificate()
		if err != nil {
			return nil, retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
		}
		ref = credential.CourseCertificate(c.Course.CourseKey)
		evidence = map[string]string{}
		for k, v := range map[string]string{"mode": c.Mode, "grade": c.Grade, "course_name": c.Course.DisplayName, "download_url": c.DownloadURL} {
			if v != "" {
				evidence[k] = v
			}
		}
		switch e.Type {
		case eventbus.TypeCertificateCreated:
			grant = true
		case eventbus.TypeCertificateRevoked:
			grant = false
		default: // changed: follow the LMS's status.
			switch c.CurrentStatus {
			case "downloadable":
				grant = true
			case "revoked", "unverified", "notpassing", "audit_notpassing", "unavailable":
				grant = false
			default:
				return nil, nil
			}
		}
	case eventbus.TypeProgramCertificateAwarded, eventbus.TypeProgramCertificateRevoked:
		pc, err := e.ProgramCertificate()
		if err != nil {
			return nil, retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
		}
		ref = credential.ProgramCertificate(pc.Program.UUID)
		evidence = map[string]string{}
		for k, v := range map[string]string{"program_title": pc.Program.Title, "program_type": pc.Program.ProgramType, "url": pc.URL} {
			if v != "" {
				evidence[k] = v
			}
		}
		grant = e.Type == eventbus.TypeProgramCertificateAwarded
	default:
		return nil, nil
	}
	if !hasLearner {
		return nil, retry.Permanent(fmt.Errorf("event %s (%s) carries no learner", e.ID, e.Type))
	}
	if err := ref.Validate(); err != nil {
		return nil, retry.Permanent(fmt.Errorf("event %s: %w", e.ID, err))
	}
	cause := credential.Cause{EventID: e.ID, EventTime: e.Time}
	a, err := tx.Awards().Get(ctx, l.UserID, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !grant {
			return nil, nil // nothing to revoke: no spurious revocation
		}
		a, err = credential.NewAward(l.UserID, ref, cause)
		if err != nil {
			return nil, retry.Permanent(err)
		}
		a.Evidence = evidence
		a.AwardedAt = applyTime(ctx, e.Time)
		if _, _, err := tx.Awards().Put(ctx, a); err != nil {
			return nil, err
		}
		stored, err := tx.Awards().Get(ctx, l.UserID, ref)
		if err != nil {
			return nil, err
		}
		return []Transition{{Award: stored}}, nil
	case err != nil:
		return nil, err
	}
	changed := false
	if grant {
		cause.Reason = "certificate awarded by the LMS"
		// The LMS re-issues certificates: a revoked one may be awarded again.
		if changed, err = a.Grant(cause, false, true); err != nil {
			return nil, retry.Permanent(err)
		}
	} else {
		cause.Reason = "certificate revoked by the LMS"
		changed = a.Revoke(cause)
	}
	if changed && grant {
		a.AwardedAt = applyTime(ctx, e.Time)
	} else if changed {
		a.RevokedAt = applyTime(ctx, e.Time)
	}
	evChanged := false
	for k, v := range evidence {
		if a.Evidence[k] != v {
			if a.Evidence == nil {
				a.Evidence = map[string]string{}
			}
			a.Evidence[k] = v
			evChanged = true
		}
	}
	if !changed && !evChanged {
		return nil, nil
	}
	stored, _, err := tx.Awards().Put(ctx, a)
	if err != nil {
		return nil, err
	}
	if !changed {
		return nil, nil
	}
	return []Transition{{Award: stored, Revoked: !grant}}, nil
}

// callsProvider reports whether the pipeline writes the calls to provider
// id: it is configured here or queued for another process.
func (p *Pipeline) callsProvider(id string) bool {
	_, ok := p.cfg.Providers[id]
	return ok || p.queued[id]
}

// publishes reports whether the pipeline writes published events' rows.
func (p *Pipeline) publishes() bool { return p.cfg.Publisher != nil || p.cfg.QueuePublish }

// effects writes the outbox rows (and status-list changes) for one
// transition. skip names a provider whose call is left out (it made the
// change itself: a revocation its webhook reported).
func (p *Pipeline) effects(ctx context.Context, tx store.Repos, e eventbus.Event, l credential.Learner, t Transition, skip string) error {
	a := t.Award
	if t.Revoked && p.cfg.Status != nil {
		if err := p.cfg.Status.RevokeAward(ctx, tx, a); err != nil {
			return err
		}
	}
	switch a.Achievement.Kind {
	case credential.KindBadge:
		return p.badgeEffects(ctx, tx, e, l, t, skip)
	case credential.KindCourseCertificate:
		return p.certificateCall(ctx, tx, l, t, badge.TemplateRef{Name: a.Evidence["course_name"], ExternalID: a.Achievement.ID}, skip)
	case credential.KindProgramCertificate:
		if err := p.certificateCall(ctx, tx, l, t, badge.TemplateRef{Name: a.Evidence["program_title"], ExternalID: a.Achievement.ID}, skip); err != nil {
			return err
		}
		if !p.cfg.PublishProgramEvents || !p.publishes() {
			return nil
		}
		typ := eventbus.TypeProgramCertificateAwarded
		if t.Revoked {
			typ = eventbus.TypeProgramCertificateRevoked
		}
		status := "awarded"
		if t.Revoked {
			status = "revoked"
		}
		ev := eventbus.ProgramCertificateEvent(typ, eventbus.ProgramCertificateData{
			User:    userData(l),
			Program: eventbus.ProgramData{UUID: a.Achievement.ID, Title: a.Evidence["program_title"], ProgramType: a.Evidence["program_type"]},
			UUID:    a.UUID.String(),
			Status:  status,
			URL:     a.Evidence["url"],
		})
		ev.CauseID = e.ID
		return p.enqueuePublish(ctx, tx, eventbus.TopicProgramCertificateLifecycle, ev, a, t.Revoked)
	}
	return nil
}

// certificateCall queues the certificate provider's call for a certificate
// transition, when a certificate provider is configured.
func (p *Pipeline) certificateCall(ctx context.Context, tx store.Repos, l credential.Learner, t Transition, ref badge.TemplateRef, skip string) error {
	if p.cfg.CertificateProvider == "" || p.cfg.CertificateProvider == skip {
		return nil
	}
	return p.enqueueCall(ctx, tx, p.cfg.CertificateProvider, l, t, ref)
}

// enqueueCall writes the outbox row for a provider's issue or revoke call.
func (p *Pipeline) enqueueCall(ctx context.Context, tx store.Repos, provider string, l credential.Learner, t Transition, ref badge.TemplateRef) error {
	a := t.Award
	var (
		kind, key string
		payload   any
	)
	if t.Revoked {
		kind = KindBadgeRevoke
		key = fmt.Sprintf("badge.revoke:%s:%s:%d", provider, a.UUID, a.Times)
		ext := ""
		if pr, ok := a.Provider(provider); ok {
			ext = pr.ExternalID
		}
		payload = badge.RevokeRequest{IdempotencyKey: key, AwardUUID: a.UUID, Template: ref, Recipient: l,
			ExternalID: ext, Reason: a.Revoked.Reason, RevokedAt: a.RevokedAt}
	} else {
		kind = KindBadgeIssue
		key = fmt.Sprintf("badge.issue:%s:%s:%d", provider, a.UUID, a.Times)
		payload = badge.IssueRequest{IdempotencyKey: key, AwardUUID: a.UUID, Template: ref, Recipient: l,
			IssuedAt: a.AwardedAt, Evidence: a.Evidence}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	err = enqueue(ctx, tx, store.OutboxItem{Kind: kind, Target: provider, IdempotencyKey: key, Payload: body,
		TraceParent: traceParent(ctx)})
	return err
}

func (p *Pipeline) badgeEffects(ctx context.Context, tx store.Repos, e eventbus.Event, l credential.Learner, t Transition, skip string) error {
	a := t.Award
	tplID, err := parseUUID(a.Achievement.ID)
	if err != nil {
		return retry.Permanent(fmt.Errorf("badge award %s: template id: %w", a.UUID, err))
	}
	tpl, err := getTemplate(ctx, tx, tplID)
	if err != nil {
		return err
	}
	ref := badge.TemplateRef{UUID: tpl.UUID, AccountID: tpl.AccountID, ExternalID: tpl.ExternalID, Name: tpl.Name}
	switch {
	case tpl.Provider == "" || tpl.Provider == skip:
	case p.callsProvider(tpl.Provider):
		if err := p.enqueueCall(ctx, tx, tpl.Provider, l, t, ref); err != nil {
			return err
		}
	default:
		p.cfg.Logger.Warn("badge template's provider is not configured; award recorded without a provider call",
			"template", tpl.UUID, "provider", tpl.Provider)
	}
	if !p.publishes() {
		return nil
	}
	typ := eventbus.TypeBadgeAwarded
	if t.Revoked {
		typ = eventbus.TypeBadgeRevoked
	}
	ev := eventbus.BadgeEvent(typ, eventbus.BadgeData{
		UUID: a.UUID.String(),
		User: userData(l),
		Template: eventbus.BadgeTemplateData{UUID: tpl.UUID.String(), Origin: tpl.Provider, Name: tpl.Name,
			Description: tpl.Description, ImageURL: tpl.ImageURL},
	})
	// The published event's time is the award's (or revocation's); the
	// triggering event's id travels as its CauseID.
	ev.CauseID = e.ID
	return p.enqueuePublish(ctx, tx, eventbus.TopicBadgesLifecycle, ev, a, t.Revoked)
}

func (p *Pipeline) enqueuePublish(ctx context.Context, tx store.Repos, topic string, ev eventbus.Event, a credential.Award, revoked bool) error {
	verb := "awarded"
	if revoked {
		verb = "revoked"
	}
	key := fmt.Sprintf("event:%s:%s:%s:%d", a.Achievement.Kind, verb, a.UUID, a.Times)
	// A stable event id derived from the idempotency key lets downstream
	// consumers deduplicate even if a publish is retried after a timeout.
	ev.ID = stableUUID(key).String()
	ev.Time = p.cfg.Now().UTC()
	if revoked {
		ev.Time = a.RevokedAt
	} else if !a.AwardedAt.IsZero() {
		ev.Time = a.AwardedAt
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	err = enqueue(ctx, tx, store.OutboxItem{Kind: KindEventPublish, Target: topic, IdempotencyKey: key, Payload: body,
		TraceParent: traceParent(ctx)})
	return err
}

// applyTimeKey carries the time Handle applies an event at to ApplyRules.
type applyTimeKey struct{}

func withApplyTime(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, applyTimeKey{}, t)
}

// applyTime returns the time the current event is applied at (the
// pipeline's clock), or def outside Handle.
func applyTime(ctx context.Context, def time.Time) time.Time {
	if t, ok := ctx.Value(applyTimeKey{}).(time.Time); ok && !t.IsZero() {
		return t
	}
	return def.UTC()
}

func userData(l credential.Learner) eventbus.UserData {
	return eventbus.UserData{ID: l.UserID, IsActive: l.IsActive,
		PII: eventbus.UserPersonalData{Username: l.Username, Email: l.Email, Name: l.FullName}}
}

// Revoke revokes an award as a person (credential.RevokedByPerson), the
// way an operator's tool or an API does: in one transaction it records the
// revocation and writes the same effects as a rules revocation (status-list
// bits, the provider's revoke call, badge.revoked). The rules never award
// the achievement again; only Reinstate does. Revoking an award the rules
// already revoked marks it as revoked by a person and writes no effects
// again; revoking one a person revoked changes nothing. ErrNotFound (from
// the store) for an unknown award.
func (p *Pipeline) Revoke(ctx context.Context, award uuid.UUID, reason string) (credential.Award, error) {
	var out credential.Award
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := tx.Awards().GetByUUID(ctx, award)
		if err != nil {
			return err
		}
		out, _, err = p.revokeByPerson(ctx, tx, a, credential.Cause{EventTime: p.cfg.Now().UTC(), Reason: reason}, "")
		return err
	})
	return out, err
}

// RevokedAtProvider records, inside tx, a revocation a person made at a
// badge provider — the provider's webhook reported the award's badge
// revoked there — as a person's revocation (credential.RevokedByPerson):
// the award is revoked with the effects of any revocation (status-list
// bits when Config.Status is set, badge.revoked, the calls of other
// providers) except the call to provider itself, whose badge is already
// revoked. cause is the provider's event (its id and time, and a reason).
//
// It changes nothing (changed is false) when the award is already revoked,
// whoever revoked it: the webhook that reports a revocation credshare sent
// itself must not turn a rules revocation into a person's. Calling it
// again for the same award is therefore harmless. It writes through tx so
// the caller records the provider event as processed in the same
// transaction; ErrNotFound (from the store) for an unknown award.
func (p *Pipeline) RevokedAtProvider(ctx context.Context, tx store.Repos, award uuid.UUID, provider string, cause credential.Cause) (a credential.Award, changed bool, err error) {
	if provider == "" {
		return credential.Award{}, false, credential.Invalid("provider", "must be set")
	}
	if a, err = tx.Awards().GetByUUID(ctx, award); err != nil {
		return credential.Award{}, false, err
	}
	if a.Status != credential.StatusAwarded {
		return a, false, nil
	}
	return p.revokeByPerson(ctx, tx, a, cause, provider)
}

// revokeByPerson revokes a as a person through tx and writes the effects
// of the revocation (leaving out provider skip's call) when a was awarded.
func (p *Pipeline) revokeByPerson(ctx context.Context, tx store.Repos, a credential.Award, c credential.Cause, skip string) (credential.Award, bool, error) {
	now := p.cfg.Now().UTC()
	if c.EventTime.IsZero() {
		c.EventTime = now
	}
	was := a.Status
	if !a.RevokeBy(c, credential.RevokedByPerson) {
		return a, false, nil
	}
	if was == credential.StatusAwarded {
		a.RevokedAt = now
	}
	out, _, err := tx.Awards().Put(ctx, a)
	if err != nil {
		return credential.Award{}, false, err
	}
	if was != credential.StatusAwarded {
		return out, true, nil
	}
	l, err := tx.Learners().Get(ctx, a.LearnerID)
	if err != nil {
		return credential.Award{}, false, err
	}
	if err := p.effects(ctx, tx, eventbus.Event{ID: c.EventID}, l, Transition{Award: out, Revoked: true}, skip); err != nil {
		return credential.Award{}, false, err
	}
	return out, true, nil
}

// Reinstate reverses a revocation as a person: it issues the achievement
// again as a new credential (credential.Award.Reissue: new UUID, next
// generation) and writes the effects of a grant (the provider's issue call,
// badge.awarded); the revoked credential stays revoked. award must be the
// learner's current credential for the achievement and revoked; otherwise
// the error matches credential.ErrTransition (or store.ErrConflict when a
// newer credential exists).
func (p *Pipeline) Reinstate(ctx context.Context, award uuid.UUID, reason string) (credential.Award, error) {
	var out credential.Award
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := tx.Awards().GetByUUID(ctx, award)
		if err != nil {
			return err
		}
		cur, err := tx.Awards().Get(ctx, a.LearnerID, a.Achievement)
		if err != nil {
			return err
		}
		if cur.UUID != a.UUID {
			return fmt.Errorf("award %s was replaced by %s: %w", a.UUID, cur.UUID, store.ErrConflict)
		}
		now := p.cfg.Now().UTC()
		n, err := a.Reissue(credential.Cause{EventTime: now, Reason: reason}, true)
		if err != nil {
			return err
		}
		if out, _, err = tx.Awards().Put(ctx, n); err != nil {
			return err
		}
		l, err := tx.Learners().Get(ctx, a.LearnerID)
		if err != nil {
			return err
		}
		return p.effects(ctx, tx, eventbus.Event{}, l, Transition{Award: out}, "")
	})
	return out, err
}
