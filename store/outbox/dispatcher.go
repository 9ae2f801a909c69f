package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/time/rate"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
)

// Handler performs one outbox item's call to the outside world. It
// returns nil when the call took effect. Errors are retried with backoff
// unless they are permanent (retry.IsPermanent from credential/retry) or the item ran out of
// attempts; then the item is marked dead with the error as the reason.
type Handler func(ctx context.Context, item store.OutboxItem) error

// Limits bounds the calls made to one outbox target (a provider, a topic).
type Limits struct {
	// Concurrency is the most calls in flight at once; 0 means 4.
	Concurrency int
	// Rate is the most calls per second; 0 means unlimited.
	Rate float64
	// Burst is the token-bucket burst for Rate; 0 means 1.
	Burst int
}

// Config configures a Dispatcher.
type Config struct {
	// Store holds the outbox. Required.
	Store store.Store
	// Owner names this worker in leases; default "dispatcher-<random>".
	Owner string
	// Lease is how long a claimed item is reserved; default 1 minute. A
	// worker that dies leaves its items claimable again after that.
	Lease time.Duration
	// Batch is how many items are claimed at once; default 32.
	Batch int
	// PollInterval is the wait between claims when the outbox is empty;
	// default 200ms.
	PollInterval time.Duration
	// MaxAttempts is how many attempts an item gets before it is dead;
	// default 12.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential retry delay (with
	// full jitter); defaults 1s and 10m.
	MinBackoff, MaxBackoff time.Duration
	// Limits holds per-target limits; targets not listed get Default.
	Limits map[string]Limits
	// Default applies to targets not in Limits.
	Default Limits
	// Logger receives one line per failure; default slog.Default().
	Logger *slog.Logger
	// Meter records metrics; default none.
	Meter metric.Meter
	// TracerProvider records a "credshare.outbox.call" span per attempt,
	// a child of the item's stored TraceParent when it has one (so a call
	// made minutes after its event joins the event's trace); default none.
	// The global OpenTelemetry provider is never used.
	TracerProvider trace.TracerProvider
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// SpanCall is the name of the span a Dispatcher records for each attempt
// of an outbox item (see Config.TracerProvider). Its attributes are
// credshare.outbox.kind, .target, .item_id, .attempt and .result (ok,
// retry, dead).
const SpanCall = "credshare.outbox.call"

// Dispatcher runs outbox items: it claims due items with a lease, calls the
// handler registered for each item's kind, and completes, reschedules (with
// capped exponential backoff and jitter, honouring Retry-After) or kills the
// item. Per-target concurrency and rate limits keep providers within their
// published limits. It is safe to run several dispatchers, in one process or
// many, against one store: leases make sure an item runs in one place.
type Dispatcher struct {
	cfg      Config
	handlers map[string]Handler

	mu      sync.Mutex
	limits  map[string]Limits // Config.Limits, then what LimitTarget added
	targets map[string]*targetState

	calls  metric.Int64Counter
	tracer trace.Tracer
}

type targetState struct {
	sem     chan struct{}
	limiter *rate.Limiter
}

// NewDispatcher returns a dispatcher; register handlers with Handle before Run.
func NewDispatcher(cfg Config) (*Dispatcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("outbox: Config.Store is required")
	}
	if cfg.Owner == "" {
		cfg.Owner = fmt.Sprintf("dispatcher-%08x", rand.Uint32())
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Minute
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		return nil, errors.New("outbox: Config.MaxBackoff is below MinBackoff")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = noop.NewTracerProvider()
	}
	d := &Dispatcher{cfg: cfg, handlers: map[string]Handler{}, limits: map[string]Limits{}, targets: map[string]*targetState{},
		tracer: cfg.TracerProvider.Tracer("github.com/credshare/credshare/store/outbox")}
	for name, l := range cfg.Limits {
		d.limits[name] = l
	}
	if cfg.Meter != nil {
		c, err := cfg.Meter.Int64Counter("credshare.outbox.calls",
			metric.WithDescription("Outbox calls by kind, target and outcome (ok, retry, dead)."))
		if err != nil {
			return nil, err
		}
		d.calls = c
	}
	return d, nil
}

// Handle registers h for items of the given kind. An item of a kind with
// no handler is rescheduled like a failed call (another dispatcher that
// knows the kind may take it meanwhile) and dies after MaxAttempts with a
// reason naming the kind, so it shows in the dead-letter list instead of
// circulating for ever. Handle must be called before Run.
func (d *Dispatcher) Handle(kind string, h Handler) { d.handlers[kind] = h }

// LimitTarget sets the limits of calls to target (a provider's published
// limits, say) unless target has limits already: those in Config.Limits, or
// from an earlier LimitTarget, win. Like Handle, it must be called before Run.
func (d *Dispatcher) LimitTarget(target string, l Limits) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, set := d.limits[target]; !set {
		d.limits[target] = l
	}
}

func (d *Dispatcher) target(name string) *targetState {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.targets[name]
	if !ok {
		l, ok := d.limits[name]
		if !ok {
			l = d.cfg.Default
		}
		if l.Concurrency <= 0 {
			l.Concurrency = 4
		}
		t = &targetState{sem: make(chan struct{}, l.Concurrency)}
		if l.Rate > 0 {
			b := l.Burst
			if b <= 0 {
				b = 1
			}
			t.limiter = rate.NewLimiter(rate.Limit(l.Rate), b)
		}
		d.targets[name] = t
	}
	return t
}

// Run dispatches until ctx is done. In-flight calls are allowed to finish
// (their own contexts are not cancelled by ctx ending) so that a shutdown
// records every outcome; items not yet started stay leased and become
// claimable again when the lease ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		n, err := d.runOnce(ctx, &wg)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("outbox claim failed", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n < d.cfg.Batch {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d.cfg.PollInterval):
			}
		}
	}
}

// Drain runs due items until none is left and every call finished, then
// returns how many items it ran. Items rescheduled into the future are left
// for later. It is meant for tests, batch jobs and the quickstart.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		var wg sync.WaitGroup
		n, err := d.runOnce(ctx, &wg)
		wg.Wait()
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, ctx.Err()
		}
	}
}

func (d *Dispatcher) runOnce(ctx context.Context, wg *sync.WaitGroup) (int, error) {
	items, err := d.cfg.Store.Outbox().Claim(ctx, d.cfg.Owner, d.cfg.Now(), d.cfg.Lease, d.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for i, it := range items {
		t := d.target(it.Target)
		select {
		case t.sem <- struct{}{}:
		case <-ctx.Done():
			// Stopping: hand the items not started back at once rather than
			// leaving them leased until the lease ends.
			d.release(context.WithoutCancel(ctx), items[i:])
			return len(items), nil
		}
		wg.Add(1)
		go func(it store.OutboxItem) {
			defer wg.Done()
			defer func() { <-t.sem }()
			d.run(context.WithoutCancel(ctx), t, it)
		}(it)
	}
	return len(items), nil
}

// release returns claimed items that were not started to pending, due now.
func (d *Dispatcher) release(ctx context.Context, items []store.OutboxItem) {
	for _, it := range items {
		if err := d.cfg.Store.Outbox().Reschedule(ctx, it.ID, d.cfg.Owner, d.cfg.Now(), it.LastError); err != nil {
			d.cfg.Logger.Warn("outbox item not released", "id", it.ID, "err", err)
		}
	}
}

func (d *Dispatcher) run(ctx context.Context, t *targetState, it store.OutboxItem) {
	ctx, span := d.startSpan(ctx, it)
	defer span.End()
	var err error
	defer func() {
		outcome := d.finish(ctx, it, err)
		span.SetAttributes(attribute.String("credshare.outbox.result", outcome))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, outcome)
		}
	}()
	h, ok := d.handlers[it.Kind]
	if !ok {
		err = fmt.Errorf("no handler for outbox kind %q in this dispatcher", it.Kind)
		return
	}
	if t.limiter != nil {
		if err = t.limiter.Wait(ctx); err != nil {
			return
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, d.cfg.Lease*3/4)
	err = safeCall(callCtx, h, it)
	cancel()
}

// startSpan starts the attempt's span, a child of the trace context stored
// with the item (a remote parent: it was recorded by another process, or
// long ago), or a root span when the item carries none.
func (d *Dispatcher) startSpan(ctx context.Context, it store.OutboxItem) (context.Context, trace.Span) {
	if it.TraceParent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": it.TraceParent})
	}
	return d.tracer.Start(ctx, SpanCall, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(
		attribute.String("credshare.outbox.kind", it.Kind),
		attribute.String("credshare.outbox.target", it.Target),
		attribute.Int64("credshare.outbox.item_id", it.ID),
		attribute.Int("credshare.outbox.attempt", it.Attempts)))
}

func safeCall(ctx context.Context, h Handler, it store.OutboxItem) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = retry.Permanent(fmt.Errorf("outbox handler panicked: %v", r))
		}
	}()
	return h(ctx, it)
}

// finish records the attempt's outcome and returns it: "ok", "retry" or "dead".
func (d *Dispatcher) finish(ctx context.Context, it store.OutboxItem, err error) string {
	ob := d.cfg.Store.Outbox()
	outcome := "ok"
	var serr error
	switch {
	case err == nil:
		serr = ob.Complete(ctx, it.ID, d.cfg.Owner)
	case retry.IsPermanent(err) || it.Attempts >= d.cfg.MaxAttempts:
		outcome = "dead"
		reason := err.Error()
		if !retry.IsPermanent(err) {
			reason = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, reason)
		}
		serr = ob.Kill(ctx, it.ID, d.cfg.Owner, reason)
		d.cfg.Logger.Error("outbox item dead", "id", it.ID, "kind", it.Kind, "target", it.Target, "attempts", it.Attempts, "reason", reason)
	default:
		outcome = "retry"
		delay := d.backoff(it.Attempts)
		delay = max(delay, retry.Delay(err))
		serr = ob.Reschedule(ctx, it.ID, d.cfg.Owner, d.cfg.Now().Add(delay), err.Error())
		d.cfg.Logger.Warn("outbox call failed; will retry", "id", it.ID, "kind", it.Kind, "target", it.Target, "attempt", it.Attempts, "retry_in", delay, "err", err)
	}
	if serr != nil {
		// The lease was lost (someone else owns the item now) or the store
		// failed; the item will be retried from its stored state.
		d.cfg.Logger.Warn("outbox state not recorded", "id", it.ID, "err", serr)
	}
	if d.calls != nil {
		d.calls.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", it.Kind),
			attribute.String("target", it.Target), attribute.String("outcome", outcome)))
	}
	return outcome
}

// backoff returns the delay before attempt n+1: full jitter over a capped
// exponential, never below MinBackoff/2.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	ceil := d.cfg.MinBackoff
	for i := 1; i < attempts && ceil < d.cfg.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, d.cfg.MaxBackoff)
	half := ceil / 2
	return half + rand.N(half+1)
}
