package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/outbox"
	"github.com/credshare/credshare/store/sqlitestore"
)

// meterName is the instrumentation scope of this program's own metrics.
const meterName = "github.com/credshare/credshare/examples/openedx"

// appOptions are the knobs the -fake mode and tests turn; a deployment
// leaves them zero.
type appOptions struct {
	// httpClient replaces the providers' HTTP client (fake APIs).
	httpClient *http.Client
	// kafkaOpts are extra franz-go options (faster heartbeats for kfake).
	kafkaOpts []kgo.Opt
	// redisBlock, when set, shortens the Redis source's blocking read.
	redisBlock time.Duration
	// defaultRules is used when no rules file is configured.
	defaultRules []byte
	// tracerProvider, when set, records the pipeline's, the dispatcher's,
	// the providers' and the bus source's spans (see docs/operating.md,
	// "Tracing"); nil records none. This example ships no exporter: a
	// host embedding the App passes its own SDK TracerProvider.
	tracerProvider trace.TracerProvider
}

// App is the assembled deployment: store, providers, pipeline, event bus
// (Kafka or Redis) source and publisher, outbox dispatcher and HTTP server.
type App struct {
	cfg  Config
	log  *slog.Logger
	st   store.Store
	pipe *pipeline.Pipeline
	disp *outbox.Dispatcher
	bus  string             // busKafka or busRedis
	pub  eventbus.Publisher // also the dead-letter queue of Kafka
	src  eventbus.Source    // nil with consumers disabled
	ping func(context.Context) error
	mp   *sdkmetric.MeterProvider
	srv  *http.Server
	ln   net.Listener

	rulesEng  *pipeline.Rules
	handleDur metric.Float64Histogram
	stopping  atomic.Bool
	consuming atomic.Bool
	closers   []func() error
}

// NewApp connects everything cfg describes, failing fast with a clear
// error: the store (and its migrations), provider accounts, template sync,
// the rules, the event bus (Kafka and its schema registry, or Redis), and
// the HTTP listener.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger, opts appOptions) (a *App, err error) {
	a = &App{cfg: cfg, log: log}
	// "return nil, err" sets a to nil before this runs, and the closers
	// refer to a: put it back to close everything, then return nil.
	app := a
	defer func() {
		if err != nil {
			a = app
			a.closeAll()
			a = nil
		}
	}()

	mp, metricsH, err := newMetrics()
	if err != nil {
		return nil, err
	}
	a.mp = mp
	a.closers = append(a.closers, func() error { return a.mp.Shutdown(context.Background()) })
	meter := a.mp.Meter(meterName)
	if a.handleDur, err = meter.Float64Histogram("credshare.event.handle.duration", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
		metric.WithDescription("Time to apply one consumed event, by bus (kafka, redis), type and result (ok, error).")); err != nil {
		return nil, err
	}

	// Store.
	switch cfg.Store.Driver {
	case "sqlite":
		a.st, err = sqlitestore.Open(ctx, cfg.Store.DSN)
	default:
		// CheckDSN's error quotes no part of the DSN; the driver's may.
		if err = mysqlstore.CheckDSN(cfg.Store.DSN); err == nil {
			a.st, err = mysqlstore.Open(ctx, cfg.Store.DSN)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store.dsn (CREDSHARE_STORE_DSN): %w", err)
	}
	a.closers = append(a.closers, a.st.Close)

	// Provider accounts and providers.
	providers, listers, err := a.providers(ctx, opts)
	if err != nil {
		return nil, err
	}
	if cfg.Badges.SyncTemplates {
		for _, l := range listers {
			a.syncTemplates(ctx, l.provider, l.account, l.lister)
		}
	}
	rules, err := a.rules(ctx, opts.defaultRules)
	if err != nil {
		return nil, err
	}
	a.rulesEng = rules

	// The event bus: Kafka or Redis Streams, as the configuration says.
	if err = a.openBus(ctx, opts, meter); err != nil {
		return nil, err
	}

	// Pipeline and outbox dispatcher.
	var pub eventbus.Publisher
	if cfg.Bus.PublishBadgeEvents || cfg.Bus.PublishProgramEvents {
		pub = typeFilter{next: a.pub, badges: cfg.Bus.PublishBadgeEvents}
	}
	if a.pipe, err = pipeline.New(pipeline.Config{
		Store: a.st, Group: cfg.Bus.ConsumerGroup, Rules: rules, Providers: providers, Publisher: pub,
		PublishProgramEvents: cfg.Bus.PublishProgramEvents, Logger: log, Meter: meter, TracerProvider: opts.tracerProvider,
	}); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if a.disp, err = outbox.NewDispatcher(outbox.Config{Store: a.st, Owner: fmt.Sprintf("%s-%d", host, os.Getpid()),
		MaxAttempts: cfg.Outbox.MaxAttempts, MinBackoff: cfg.Outbox.MinBackoff.Duration, Lease: cfg.Outbox.Lease.Duration,
		Logger: log, Meter: meter, TracerProvider: opts.tracerProvider}); err != nil {
		return nil, err
	}
	a.pipe.RegisterHandlers(a.disp)

	// HTTP.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", metricsH)
	if p, ok := providers[credly.ProviderID].(*credly.Provider); ok {
		wh, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: a.st, Secret: cfg.Credly.WebhookSecret, Logger: log,
			Revocations: a.pipe})
		if err != nil {
			return nil, err
		}
		// Open edX's path, so Credly's webhook URL need not change, and a
		// shorter one.
		mux.Handle("POST /badges/credly/webhook/", wh)
		mux.Handle("POST /webhooks/credly", wh)
	}
	if a.ln, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
		return nil, fmt.Errorf("http.addr (CREDSHARE_HTTP_ADDR): %w", err)
	}
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return a, nil
}

// Addr returns the HTTP server's address.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Store returns the store.
func (a *App) Store() store.Store { return a.st }

type listerRef struct {
	provider, account string
	lister            badge.TemplateLister
}

// providers records the configured accounts in the store (tokens are read
// from there on every call, so a token rotated in the store is used at
// once) and builds the providers.
func (a *App) providers(ctx context.Context, opts appOptions) (map[string]badge.Provider, []listerRef, error) {
	providers := map[string]badge.Provider{}
	var listers []listerRef
	if len(a.cfg.Credly.Organizations) > 0 {
		for org, tok := range a.cfg.Credly.Organizations {
			if err := a.putAccount(ctx, credly.ProviderID, org, tok, a.cfg.Credly.Sandbox); err != nil {
				return nil, nil, err
			}
		}
		copts := []credly.Option{httpapi.WithLogger(a.log), httpapi.WithTracerProvider(opts.tracerProvider),
			httpapi.WithTimeout(a.cfg.Credly.Timeout.Duration)}
		if a.cfg.Credly.Sandbox {
			copts = append(copts, credly.WithSandbox())
		}
		if a.cfg.Credly.APIURL != "" {
			copts = append(copts, httpapi.WithBaseURL(a.cfg.Credly.APIURL))
		}
		if opts.httpClient != nil {
			copts = append(copts, httpapi.WithHTTPClient(opts.httpClient))
		}
		p, err := credly.NewProvider(a.st.Config(), copts...)
		if err != nil {
			return nil, nil, fmt.Errorf("credly: %w", err)
		}
		providers[credly.ProviderID] = p
		for org := range a.cfg.Credly.Organizations {
			listers = append(listers, listerRef{credly.ProviderID, org, p})
		}
	}
	if len(a.cfg.Accredible.APIKeys) > 0 {
		for name, key := range a.cfg.Accredible.APIKeys {
			if err := a.putAccount(ctx, accredible.ProviderID, name, key, a.cfg.Accredible.Sandbox); err != nil {
				return nil, nil, err
			}
		}
		aopts := []accredible.Option{httpapi.WithLogger(a.log), httpapi.WithTracerProvider(opts.tracerProvider)}
		if a.cfg.Accredible.Sandbox {
			aopts = append(aopts, accredible.WithSandbox())
		}
		if a.cfg.Accredible.APIURL != "" {
			aopts = append(aopts, httpapi.WithBaseURL(a.cfg.Accredible.APIURL))
		}
		if opts.httpClient != nil {
			aopts = append(aopts, httpapi.WithHTTPClient(opts.httpClient))
		}
		p, err := accredible.NewProvider(a.st.Config(), aopts...)
		if err != nil {
			return nil, nil, fmt.Errorf("accredible: %w", err)
		}
		providers[accredible.ProviderID] = p
		for name := range a.cfg.Accredible.APIKeys {
			listers = append(listers, listerRef{accredible.ProviderID, name, p})
		}
	}
	if len(providers) == 0 {
		a.log.Warn("no badge provider configured (credly.organizations, accredible.api_keys): badge awards are recorded and published but not sent to a provider")
	}
	return providers, listers, nil
}

// putAccount upserts a configured account, keeping what others recorded
// about it (its name, its webhook secret setting, its creation time).
func (a *App) putAccount(ctx context.Context, provider, id, secret string, sandbox bool) error {
	now := time.Now().UTC()
	acc, err := a.st.Config().GetAccount(ctx, provider, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		acc = store.ProviderAccount{ID: id, Provider: provider, CreatedAt: now}
	case err != nil:
		return fmt.Errorf("store: reading %s account %s: %w", provider, id, err)
	}
	acc.Secret, acc.Active, acc.UpdatedAt = secret, true, now
	if acc.Settings == nil {
		acc.Settings = map[string]string{}
	}
	acc.Settings["sandbox"] = fmt.Sprint(sandbox)
	if err := a.st.Config().PutAccount(ctx, acc); err != nil {
		return fmt.Errorf("store: recording %s account %s: %w", provider, id, err)
	}
	return nil
}

// syncTemplates brings one account's templates in line with the provider.
// A failure is logged, not fatal: events still flow, and templates already
// stored keep working.
func (a *App) syncTemplates(ctx context.Context, provider, account string, l badge.TemplateLister) {
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := badge.SyncTemplates(sctx, a.st.Config(), l, badge.SyncOptions{Provider: provider, AccountID: account})
	if err != nil {
		a.log.Error("template sync failed; stored templates stay as they were", "provider", provider, "account", account, "err", err)
		return
	}
	a.log.Info("templates synced", "provider", provider, "account", account,
		"created", rep.Count(badge.SyncCreate), "updated", rep.Count(badge.SyncUpdate), "deactivated", rep.Count(badge.SyncDeactivate))
}

// typeFilter drops published badge events when they are switched off while
// program certificate events are on.
type typeFilter struct {
	next   eventbus.Publisher
	badges bool
}

func (f typeFilter) Publish(ctx context.Context, topic string, e eventbus.Event) error {
	if !f.badges && (e.Type == eventbus.TypeBadgeAwarded || e.Type == eventbus.TypeBadgeRevoked) {
		return nil
	}
	return f.next.Publish(ctx, topic, e)
}

// Close does nothing: the App closes the real publisher itself.
func (f typeFilter) Close() error { return nil }

// handler is the chain every consumed event goes through: a log line per
// failed attempt, three quick attempts in process, then the source's own
// redelivery (retryable errors) or dead-lettering (permanent ones).
func (a *App) handler() eventbus.Handler {
	inner := a.pipe.Handler()
	apply := func(ctx context.Context, e eventbus.Event) error {
		// A shutdown stops fetching, but lets the event in hand finish:
		// the pipeline's own timeout bounds it.
		start := time.Now()
		err := inner(context.WithoutCancel(ctx), e)
		res := "ok"
		if err != nil {
			res = "error"
		}
		a.handleDur.Record(ctx, time.Since(start).Seconds(), metric.WithAttributeSet(attrSet(a.bus, e.Type, res)))
		return err
	}
	logFailures := func(next eventbus.Handler) eventbus.Handler {
		return func(ctx context.Context, e eventbus.Event) error {
			err := next(ctx, e)
			if err != nil {
				lvl := slog.LevelWarn
				msg := "event failed; it will be delivered again"
				if retry.IsPermanent(err) {
					lvl, msg = slog.LevelError, "event cannot be applied; sent to the dead-letter topic"
				}
				a.log.Log(ctx, lvl, msg, "bus", a.bus, "event", e.ID, "type", e.Type, "err", err)
			}
			return err
		}
	}
	return eventbus.Chain(apply, logFailures, eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 3}))
}

// batchHandler applies a batch of one partition's events in one store
// transaction (pipeline.HandleBatch), with handler's metric and log line
// per event; a failed event is delivered again by the source (retryable)
// or dead-lettered (permanent), the others of its batch are kept.
func (a *App) batchHandler() eventbus.BatchHandler {
	inner := a.pipe.BatchHandler()
	return func(ctx context.Context, es []eventbus.Event) []error {
		start := time.Now()
		errs := inner(context.WithoutCancel(ctx), es)
		per := time.Since(start).Seconds() / float64(max(len(es), 1))
		for i, e := range es {
			res := "ok"
			if errs[i] != nil {
				res = "error"
				lvl, msg := slog.LevelWarn, "event failed; it will be delivered again"
				if retry.IsPermanent(errs[i]) {
					lvl, msg = slog.LevelError, "event cannot be applied; sent to the dead-letter topic"
				}
				a.log.Log(ctx, lvl, msg, "bus", a.bus, "event", e.ID, "type", e.Type, "err", errs[i])
			}
			a.handleDur.Record(ctx, per, metric.WithAttributeSet(attrSet(a.bus, e.Type, res)))
		}
		return errs
	}
}

// readyz reports 200 when the store answers and the event bus answers (a
// check named "kafka" or "redis"),
// and 503 (with the failing checks) otherwise or while shutting down.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if a.stopping.Load() {
		checks["process"] = "shutting down"
		ok = false
	}
	if _, err := a.st.Outbox().Stats(ctx); err != nil {
		checks["store"] = err.Error()
		ok = false
	} else {
		checks["store"] = "ok"
	}
	if err := a.ping(ctx); err != nil {
		checks[a.bus] = err.Error()
		ok = false
	} else {
		checks[a.bus] = "ok"
	}
	if a.cfg.Bus.ConsumersEnabled {
		if a.consuming.Load() {
			checks["consumer"] = "ok"
		} else {
			checks["consumer"] = "not running"
			ok = false
		}
	} else {
		checks["consumer"] = "disabled (bus.consumers_enabled=false)"
	}
	status, code := "ok", http.StatusOK
	if !ok {
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Run serves until ctx ends (or a component fails), then shuts down
// gracefully: it stops fetching events and lets the ones in hand finish,
// commits their offsets and leaves the consumer group (Kafka) or
// acknowledges them (Redis), lets the outbox calls
// in flight finish, stops the HTTP server after its requests, and closes the
// publisher, the metrics and the store — in that order, within
// shutdown_timeout. Nothing committed is lost: an event not committed or
// acknowledged is delivered again (and deduplicated), an outbox item not run
// stays in the store.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	go func() {
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	dctx, dcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer dcancel()
	ddone := make(chan struct{})
	go func() {
		defer close(ddone)
		_ = a.disp.Run(dctx)
	}()
	go a.reloadRules(dctx, time.Minute)
	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	cdone := make(chan struct{})
	if a.src != nil {
		a.consuming.Store(true)
		go func() {
			defer close(cdone)
			defer a.consuming.Store(false)
			var err error
			if bs, ok := a.src.(eventbus.BatchSource); ok && a.cfg.Bus.BatchSize > 1 {
				err = bs.ReceiveBatch(cctx, a.batchHandler(), eventbus.BatchOptions{MaxEvents: a.cfg.Bus.BatchSize})
			} else {
				err = a.src.Receive(cctx, a.handler())
			}
			if cctx.Err() == nil {
				if err == nil {
					err = errors.New("stopped by itself")
				}
				errc <- fmt.Errorf("%s consumer: %w", a.bus, err)
			}
		}()
	} else {
		close(cdone)
	}
	a.log.Info("credshare running", "bus", a.bus, "http", a.Addr(), "topics", a.cfg.topics(), "group", a.cfg.Bus.ConsumerGroup,
		"consumers_enabled", a.cfg.Bus.ConsumersEnabled)

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
	case runErr = <-errc:
		a.log.Error("shutting down after a failure", "err", runErr)
	}
	a.stopping.Store(true)
	sctx, scancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout.Duration)
	defer scancel()
	var errs []error
	if runErr != nil {
		errs = append(errs, runErr)
	}
	wait := func(what string, done <-chan struct{}) {
		select {
		case <-done:
		case <-sctx.Done():
			errs = append(errs, fmt.Errorf("shutdown: %s did not finish within %s", what, a.cfg.ShutdownTimeout.Duration))
		}
	}
	ccancel()
	wait("event handling", cdone)
	if a.src != nil {
		if err := a.src.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the %s consumer: %w", a.bus, err))
		}
	}
	dcancel()
	wait("outbox calls", ddone)
	if err := a.srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("http server shutdown: %w", err))
	}
	a.closeAll()
	if len(errs) == 0 {
		a.log.Info("stopped cleanly")
	}
	return errors.Join(errs...)
}

// closeAll closes, in reverse order of opening, what NewApp opened.
func (a *App) closeAll() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil && !strings.Contains(err.Error(), "closed") {
			a.log.Warn("close failed", "err", err)
		}
	}
	a.closers = nil
}
