package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// fakeRules are the badge rules of the -fake mode: two Credly templates of
// the fake organisation.
//
//go:embed fake-rules.json
var fakeRules []byte

// Identifiers of the -fake world; fake-rules.json names the same ones.
const (
	fakeOrg           = "5f2b8a4e-1c3d-4e6f-8a9b-0c1d2e3f4a5b"
	fakeOrgToken      = "fake-credly-token"
	fakeTplPython     = "9b1e6f0a-7d2c-4b3a-8e5f-1a2b3c4d5e6f"
	fakeTplData       = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e70"
	fakeWebhookSecret = "fake-webhook-secret"
	fakePrefix        = "dev"

	coursePY101 = "course-v1:OpenedX+PY101+2026_T1"
	courseDS201 = "course-v1:OpenedX+DS201+2026_T1"
	courseDS202 = "course-v1:OpenedX+DS202+2026_T1"
)

// fakeOptions configures runFake.
type fakeOptions struct {
	// Out receives the summary.
	Out io.Writer
	// Log receives the JSON log.
	Log io.Writer
	// LogLevel is the log level (default warn, so the summary stands out).
	LogLevel string
	// Dir holds the SQLite file; empty means a temporary directory removed
	// at the end.
	Dir string
	// Serve keeps the deployment running after the summary until ctx ends.
	Serve bool
	// Addr is the HTTP address; default 127.0.0.1:0.
	Addr string
	// Timeout bounds the wait for the seeded events; default 60s.
	Timeout time.Duration
	// MySQLDSN, when set, keeps the state in that MySQL/MariaDB database
	// instead of SQLite.
	MySQLDSN string
	// RedisURL, when set, runs the world on Redis Streams at that server
	// (streams under a prefix of their own, removed at the end) instead
	// of kfake and srfake. The -fake flag does not set it: -fake is
	// self-contained, so Kafka-only.
	RedisURL string
}

// fakeSummary is what runFake observed.
type fakeSummary struct {
	Records, Unique, Duplicates, Poisoned int
	Processed                             int
	RulesEngine                           bool
	CertsAwarded, CertsRevoked            int
	Badges                                []string // "learner: template (status)"
	BadgesAwarded                         int
	CredlyBadges                          int
	CredlyAccepted                        bool // the webhook updated the award's state
	Published                             map[string]int
	DLQ                                   []string
	OutboxPending, OutboxDead             int
	Endpoints                             map[string]int
	Ready, Metrics                        string // the bodies of /readyz and /metrics
	Bus, Prefix                           string
	StorePath                             string
	Addr                                  string
}

// cleanups collects cleanup functions; credlyfake.New wants a Cleanup method.
type cleanups struct {
	mu  sync.Mutex
	fns []func()
}

func (c *cleanups) Cleanup(fn func()) { c.mu.Lock(); c.fns = append(c.fns, fn); c.mu.Unlock() }

func (c *cleanups) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}

// seeded is one event the LMS wrote, or a deliberately broken record.
type seeded struct {
	topic string
	ev    eventbus.Event
}

func user(id int64, username, name string) eventbus.UserData {
	return eventbus.UserData{ID: id, IsActive: true, PII: eventbus.UserPersonalData{Username: username, Email: username + "@example.org", Name: name}}
}

// fakeEvents returns what an Open edX LMS would have written: passing
// status updates on learning-badges-lifecycle and certificate events on
// learning-certificate-lifecycle.
func fakeEvents(now time.Time) []seeded {
	alice, bob, carol, dave := user(101, "alice", "Alice Martin"), user(102, "bob", "Bob Okafor"), user(103, "carol", "Carol Nguyen"), user(104, "dave", "Dave Silva")
	py := eventbus.CourseData{CourseKey: coursePY101, DisplayName: "Python 101"}
	ds1 := eventbus.CourseData{CourseKey: courseDS201, DisplayName: "Data Science I"}
	ds2 := eventbus.CourseData{CourseKey: courseDS202, DisplayName: "Data Science II"}
	pass := func(u eventbus.UserData, c eventbus.CourseData, ok bool) seeded {
		return seeded{eventbus.TopicBadgesLifecycle, eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: ok, Course: c, User: u})}
	}
	cert := func(typ string, u eventbus.UserData, c eventbus.CourseData, status string) seeded {
		return seeded{eventbus.TopicCertificateLifecycle, eventbus.CertificateEvent(typ, eventbus.CertificateData{
			User: u, Course: c, Mode: "verified", Grade: "0.87", Name: u.PII.Name, CurrentStatus: status, PreviousStatus: "notpassing",
			DownloadURL: "https://lms.example.org/certificates/" + uuid.NewString()})}
	}
	evs := []seeded{
		pass(alice, py, true),
		cert(eventbus.TypeCertificateCreated, alice, py, "downloadable"),
		pass(bob, py, false),
		pass(bob, py, true),
		cert(eventbus.TypeCertificateCreated, bob, py, "downloadable"),
		cert(eventbus.TypeCertificateRevoked, bob, py, "revoked"),
		pass(carol, ds1, true),
		pass(carol, ds2, true),
		cert(eventbus.TypeCertificateCreated, carol, ds1, "downloadable"),
		pass(dave, ds1, true),
	}
	for i := range evs {
		evs[i].ev.ID = uuid.NewString()
		evs[i].ev.Source = "openedx/lms/web"
		evs[i].ev.SourceHost = "lms.example.org"
		evs[i].ev.Time = now.Add(time.Duration(i-len(evs)) * time.Minute)
	}
	return evs
}

// fakeWorld is the -fake environment: the peers, the configuration that
// points at them, the seeded events and a watcher of the output topics.
type fakeWorld struct {
	cfg     Config
	log     *slog.Logger
	cf      *credlyfake.Server
	evs     []seeded
	watch   busWatcher
	appOpts appOptions
}

// newFakeWorld starts kfake (a Kafka broker speaking the real protocol),
// srfake (a schema registry) and a Credly API fake on 127.0.0.1, and seeds
// the topics as an Open edX LMS would. Everything stops when cl runs.
func newFakeWorld(ctx context.Context, o fakeOptions, cl *cleanups) (*fakeWorld, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	lvl, err := logLevel(o.LogLevel)
	if err != nil {
		return nil, err
	}
	w := &fakeWorld{log: slog.New(slog.NewJSONHandler(o.Log, &slog.HandlerOptions{Level: lvl}))}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "credshare-fake-")
		if err != nil {
			return nil, err
		}
		cl.Cleanup(func() { os.RemoveAll(dir) })
		o.Dir = dir
	}

	w.cf = credlyfake.New(cl)
	w.cf.AddOrg(fakeOrg, fakeOrgToken)
	w.cf.AddTemplate(fakeOrg, credlyfake.Template{ID: fakeTplPython, Name: "Python Fundamentals", State: "active",
		Description: "Passed Python 101.", ImageURL: "https://images.example.org/python.png"})
	w.cf.AddTemplate(fakeOrg, credlyfake.Template{ID: fakeTplData, Name: "Data Science Track", State: "active",
		Description: "Passed both data science courses.", ImageURL: "https://images.example.org/data.png"})

	cfg := DefaultConfig()
	cfg.Bus.TopicPrefix = fakePrefix
	cfg.Bus.RetryBackoff = Duration{200 * time.Millisecond}
	if o.RedisURL != "" {
		// A prefix of its own, so runs sharing a redis-server do not meet.
		cfg.Bus.TopicPrefix = fakePrefix + "-" + uuid.NewString()[:8]
		cfg.Redis.ConnectionURL = o.RedisURL
		// Stable, as a deployment should set it: a second process drains
		// what the first left pending at once.
		cfg.Redis.ConsumerName = "credshare-fake"
	} else {
		cluster, reg, err := startKafka(cl)
		if err != nil {
			return nil, err
		}
		cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
		cfg.Kafka.SchemaRegistryURL = []string{reg.URL()}
	}
	cfg.Store = StoreConfig{Driver: "sqlite", DSN: filepath.Join(o.Dir, "credshare.db")}
	if o.MySQLDSN != "" {
		cfg.Store = StoreConfig{Driver: "mysql", DSN: o.MySQLDSN}
	}
	cfg.Credly.Organizations = map[string]string{fakeOrg: fakeOrgToken}
	cfg.Credly.APIURL, cfg.Credly.WebhookSecret = w.cf.URL(), fakeWebhookSecret
	cfg.HTTP.Addr = o.Addr
	cfg.Log.Level = o.LogLevel
	cfg.ShutdownTimeout = Duration{20 * time.Second}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fake configuration: %w", err)
	}
	w.cfg = cfg

	// Seed the topics as the LMS would, before the consumer starts.
	w.evs = fakeEvents(time.Now().UTC())
	if cfg.busName() == busRedis {
		err = w.startRedis(ctx, cl)
	} else {
		err = w.startKafkaWatch(ctx)
	}
	if err != nil {
		return nil, err
	}
	cl.Cleanup(w.watch.close)
	// The providers keep their default client (vc/netguard, allowing
	// exactly the fake API's host on 127.0.0.1), as in production.
	w.appOpts = appOptions{defaultRules: fakeRules, redisBlock: 100 * time.Millisecond,
		kafkaOpts: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond), kgo.HeartbeatInterval(200 * time.Millisecond)}}
	return w, nil
}

// startKafka starts kfake (a Kafka broker speaking the real protocol, with
// the -fake topics and their dead-letter topics) and srfake (a schema
// registry).
func startKafka(cl *cleanups) (*kfake.Cluster, *srfake.Registry, error) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, fullTopics(fakePrefix)...), kfake.AllowAutoTopicCreation())
	if err != nil {
		return nil, nil, fmt.Errorf("starting kfake: %w", err)
	}
	cl.Cleanup(cluster.Close)
	reg := srfake.New()
	cl.Cleanup(reg.Close)
	return cluster, reg, nil
}

// fullTopics are the consumed topics of the fake world with their prefix,
// each followed by its dead-letter topic.
func fullTopics(prefix string) []string {
	var full []string
	for _, t := range []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle} {
		f := eventbus.FullTopic(prefix, t)
		full = append(full, f, eventbus.DLQName(f))
	}
	return full
}

func (w *fakeWorld) startKafkaWatch(ctx context.Context) error {
	if err := seed(ctx, w.cfg, w.evs); err != nil {
		return err
	}
	kw, err := newWatcher(w.cfg.Kafka.BootstrapServers, fullTopics(w.cfg.Bus.TopicPrefix))
	if err != nil {
		return err
	}
	w.watch = kw
	return nil
}

// busWatcher follows what the deployment publishes and dead-letters.
type busWatcher interface {
	// snapshot returns the published events (distinct ids by type) and
	// the reasons of the dead letters.
	snapshot() (map[string]int, []string)
	close()
}

// runFake runs the whole deployment against the fake world: it waits until
// the seeded events are processed, posts a Credly webhook, checks the
// endpoints and prints a summary.
func runFake(ctx context.Context, o fakeOptions) (sum fakeSummary, err error) {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	var cl cleanups
	defer cl.run()
	w, err := newFakeWorld(ctx, o, &cl)
	if err != nil {
		return sum, err
	}
	cfg, log, cf, evs, watch := w.cfg, w.log, w.cf, w.evs, w.watch
	sum.StorePath = cfg.Store.DSN
	sum.Bus, sum.Prefix = cfg.busName(), cfg.Bus.TopicPrefix
	if o.MySQLDSN != "" {
		sum.StorePath = "MySQL (" + mysqlstore.RedactDSN(o.MySQLDSN) + ")"
	}
	sum.Unique, sum.Duplicates, sum.Poisoned = len(evs), 1, 1
	sum.Records = sum.Unique + sum.Duplicates + sum.Poisoned

	app, err := NewApp(ctx, cfg, log, w.appOpts)
	if err != nil {
		return sum, err
	}
	sum.Addr = app.Addr()
	sum.RulesEngine = app.rulesEng != nil
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- app.Run(runCtx) }()
	stopApp := func() error {
		stop()
		return <-runErr
	}

	wantBadges := 0
	if sum.RulesEngine {
		wantBadges = 3 // alice and bob: Python; carol: Data Science Track
	}
	deadline := time.Now().Add(o.Timeout)
	for {
		done, err := fakeDone(ctx, app, cfg.Bus.ConsumerGroup, evs, watch, wantBadges)
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = stopApp()
			return sum, fmt.Errorf("the seeded events were not all processed within %s (processed %d of %d; last check: %v)",
				o.Timeout, countProcessed(ctx, app, cfg.Bus.ConsumerGroup, evs), len(evs), err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A Credly webhook: the learner accepts the badge on Credly.
	if sum.RulesEngine {
		sum.CredlyAccepted, err = acceptFirstBadge(ctx, app, cf)
		if err != nil {
			_ = stopApp()
			return sum, err
		}
	}
	sum.Endpoints, sum.Ready, sum.Metrics = probe(ctx, app.Addr())
	if err := collect(ctx, app, cf, &sum); err != nil {
		_ = stopApp()
		return sum, err
	}
	sum.Published, sum.DLQ = watch.snapshot()
	sum.Processed = countProcessed(ctx, app, cfg.Bus.ConsumerGroup, evs)
	writeSummary(o.Out, sum, o.Serve)
	if o.Serve {
		fmt.Fprintf(o.Out, "\nserving on http://%s until interrupted (Ctrl-C)\n", sum.Addr)
		select {
		case <-ctx.Done():
		case err := <-runErr:
			return sum, err
		}
	}
	if err := stopApp(); err != nil {
		return sum, fmt.Errorf("shutdown: %w", err)
	}
	return sum, nil
}

// seed publishes the events with kafkabus's publisher (the same framing,
// headers, keys and schema registration as event-bus-kafka's producer),
// one of them twice, and a record whose value is not Confluent-framed Avro.
func seed(ctx context.Context, cfg Config, evs []seeded) error {
	p, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{
		Client:   kafkabus.ClientConfig{Brokers: cfg.Kafka.BootstrapServers, ClientID: "lms", TopicPrefix: cfg.Bus.TopicPrefix},
		Registry: kafkabus.RegistryConfig{URLs: cfg.Kafka.SchemaRegistryURL},
		Source:   "openedx/lms/web", SourceHost: "lms.example.org",
	})
	if err != nil {
		return err
	}
	defer p.Close()
	for i, s := range evs {
		if err := p.Publish(ctx, s.topic, s.ev); err != nil {
			return fmt.Errorf("seeding event %d: %w", i, err)
		}
		if i == 0 { // an at-least-once producer retry: the same event twice
			if err := p.Publish(ctx, s.topic, s.ev); err != nil {
				return err
			}
		}
	}
	// A poisoned record: the right headers, a value that is not
	// Confluent-framed Avro.
	rec, err := p.Record(ctx, eventbus.TopicCertificateLifecycle, evs[1].ev)
	if err != nil {
		return err
	}
	rec.Value = []byte("{\"certificate\": \"JSON is not what this topic carries\"}")
	for i, h := range rec.Headers {
		if h.Key == kafkabus.HeaderID {
			rec.Headers[i].Value = []byte(uuid.NewString())
		}
	}
	kc, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.BootstrapServers...))
	if err != nil {
		return err
	}
	defer kc.Close()
	return kc.ProduceSync(ctx, rec).FirstErr()
}

// watcher reads the badges topic and the dead-letter topics from the start;
// it counts published events by type and distinct id (a publish retried
// after a lost acknowledgement writes the same id again).
type watcher struct {
	cl        *kgo.Client
	cancel    context.CancelFunc
	done      chan struct{}
	mu        sync.Mutex
	published map[string]map[string]bool // type → distinct event ids
	dlq       []string
}

func newWatcher(brokers, topics []string) (*watcher, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cl: cl, cancel: cancel, done: make(chan struct{}), published: map[string]map[string]bool{}}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				w.mu.Lock()
				defer w.mu.Unlock()
				if strings.HasSuffix(r.Topic, "-dlq") {
					w.dlq = append(w.dlq, header(r, kafkabus.HeaderDLQReason))
				} else if src := header(r, kafkabus.HeaderSource); src != "openedx/lms/web" {
					typ := header(r, kafkabus.HeaderType)
					if w.published[typ] == nil {
						w.published[typ] = map[string]bool{}
					}
					w.published[typ][header(r, kafkabus.HeaderID)] = true
				}
			})
		}
	}()
	return w, nil
}

func header(r *kgo.Record, k string) string {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

func (w *watcher) snapshot() (map[string]int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := map[string]int{}
	for k, ids := range w.published {
		p[k] = len(ids)
	}
	return p, slices.Clone(w.dlq)
}

func (w *watcher) close() {
	w.cancel()
	<-w.done
	w.cl.Close()
}

func countProcessed(ctx context.Context, app *App, group string, evs []seeded) int {
	n := 0
	for _, s := range evs {
		if ok, err := app.Store().Events().IsProcessed(ctx, group, s.ev.ID); err == nil && ok {
			n++
		}
	}
	return n
}

// fakeDone reports whether every seeded event is applied, the poisoned
// record is dead-lettered, the outbox is empty and the badge events are
// on the topic.
func fakeDone(ctx context.Context, app *App, group string, evs []seeded, w busWatcher, wantBadges int) (bool, error) {
	if n := countProcessed(ctx, app, group, evs); n < len(evs) {
		return false, fmt.Errorf("%d of %d events applied", n, len(evs))
	}
	pub, dlq := w.snapshot()
	if len(dlq) < 1 {
		return false, errors.New("the poisoned record is not in the dead-letter topic yet")
	}
	st, err := app.Store().Outbox().Stats(ctx)
	if err != nil {
		return false, err
	}
	if st.Pending > 0 {
		return false, fmt.Errorf("%d outbox items pending", st.Pending)
	}
	if pub[eventbus.TypeBadgeAwarded] < wantBadges {
		return false, fmt.Errorf("%d of %d badge.awarded events published", pub[eventbus.TypeBadgeAwarded], wantBadges)
	}
	return true, nil
}

// acceptFirstBadge makes the fake Credly accept one issued badge and posts
// its webhook to the deployment, as Credly would; it reports whether the
// award then carries the accepted state.
func acceptFirstBadge(ctx context.Context, app *App, cf *credlyfake.Server) (bool, error) {
	bs := cf.Badges(fakeOrg)
	if len(bs) == 0 {
		return false, errors.New("the Credly fake holds no badge")
	}
	evID := cf.SetBadgeState(fakeOrg, bs[0].ID, credly.StateAccepted)
	url := fmt.Sprintf("http://%s/badges/credly/webhook/?secret=%s", app.Addr(), fakeWebhookSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(cf.Notification(fakeOrg, evID))))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := localClient().Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("credly webhook answered %s", resp.Status)
	}
	a, err := app.Store().Awards().FindByProviderRef(ctx, credly.ProviderID, bs[0].ID)
	if err != nil {
		return false, err
	}
	ref, _ := a.Provider(credly.ProviderID)
	return ref.State == credly.StateAccepted, nil
}

// localClient is the client of the -fake mode's own requests to the
// deployment on 127.0.0.1: a netguard client with the Localhost policy.
func localClient() *http.Client {
	return netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
}

func probe(ctx context.Context, addr string) (codes map[string]int, ready, metrics string) {
	out := map[string]int{}
	c := localClient()
	defer c.CloseIdleConnections()
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+p, nil)
		resp, err := c.Do(req)
		if err != nil {
			out[p] = 0
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out[p] = resp.StatusCode
		switch p {
		case "/readyz":
			ready = string(b)
		case "/metrics":
			metrics = string(b)
		}
	}
	return out, ready, metrics
}

func collect(ctx context.Context, app *App, cf *credlyfake.Server, sum *fakeSummary) error {
	st := app.Store()
	certs, err := st.Awards().List(ctx, storeFilter(credential.KindCourseCertificate))
	if err != nil {
		return err
	}
	for _, a := range certs {
		if a.Status == credential.StatusRevoked {
			sum.CertsRevoked++
		} else {
			sum.CertsAwarded++
		}
	}
	badges, err := st.Awards().List(ctx, storeFilter(credential.KindBadge))
	if err != nil {
		return err
	}
	for _, a := range badges {
		name := a.Achievement.ID
		if id, err := uuid.Parse(a.Achievement.ID); err == nil {
			if t, err := st.Config().GetTemplate(ctx, id); err == nil {
				name = t.Name
			}
		}
		learner := fmt.Sprint(a.LearnerID)
		if l, err := st.Learners().Get(ctx, a.LearnerID); err == nil {
			learner = l.Username
		}
		state := string(a.Status)
		if ref, ok := a.Provider(credly.ProviderID); ok {
			state += ", Credly " + ref.State
		}
		sum.Badges = append(sum.Badges, fmt.Sprintf("%s: %s (%s)", learner, name, state))
		if a.Status == credential.StatusAwarded {
			sum.BadgesAwarded++
		}
	}
	slices.Sort(sum.Badges)
	sum.CredlyBadges = len(cf.Badges(fakeOrg))
	ob, err := st.Outbox().Stats(ctx)
	if err != nil {
		return err
	}
	sum.OutboxPending, sum.OutboxDead = ob.Pending, ob.Dead
	return nil
}

func storeFilter(k credential.Kind) store.AwardFilter { return store.AwardFilter{Kind: k, Limit: 1000} }

func writeSummary(w io.Writer, s fakeSummary, serve bool) {
	if s.Bus == busRedis {
		fmt.Fprintln(w, "credshare openedx: Open edX events through Redis Streams + SQLite + Credly (fake)")
	} else {
		fmt.Fprintln(w, "credshare openedx -fake: Open edX events through Kafka (kfake) + schema registry (srfake) + SQLite + Credly (fake)")
	}
	fmt.Fprintf(w, "  records seeded      %d (%d events as the LMS writes them, %d duplicate delivery, %d poisoned record)\n", s.Records, s.Unique, s.Duplicates, s.Poisoned)
	fmt.Fprintf(w, "  events applied      %d of %d (the duplicate was recognised and skipped)\n", s.Processed, s.Unique)
	fmt.Fprintf(w, "  course certificates %d awarded, %d revoked\n", s.CertsAwarded, s.CertsRevoked)
	if s.RulesEngine {
		fmt.Fprintf(w, "  badges              %d awarded, %d issued on Credly\n", s.BadgesAwarded, s.CredlyBadges)
		for _, b := range s.Badges {
			fmt.Fprintf(w, "                      - %s\n", b)
		}
		fmt.Fprintf(w, "  credly webhook      badge accepted on Credly -> award state updated: %v\n", s.CredlyAccepted)
	} else {
		fmt.Fprintln(w, "  badges              none: the badge rules engine is not wired in this build (certificate events only)")
	}
	var pub []string
	for t, n := range s.Published {
		pub = append(pub, fmt.Sprintf("%d %s", n, t))
	}
	slices.Sort(pub)
	if len(pub) == 0 {
		pub = []string{"nothing"}
	}
	fmt.Fprintf(w, "  published           %s (topic %s)\n", strings.Join(pub, ", "), eventbus.FullTopic(s.Prefix, eventbus.TopicBadgesLifecycle))
	fmt.Fprintf(w, "  dead-letter topics  %d record(s)\n", len(s.DLQ))
	for _, r := range s.DLQ {
		fmt.Fprintf(w, "                      - %s\n", r)
	}
	fmt.Fprintf(w, "  outbox              %d pending, %d dead\n", s.OutboxPending, s.OutboxDead)
	var eps []string
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		eps = append(eps, fmt.Sprintf("%s %d", p, s.Endpoints[p]))
	}
	fmt.Fprintf(w, "  endpoints           %s\n", strings.Join(eps, ", "))
	if serve {
		fmt.Fprintf(w, "  store               %s\n", s.StorePath)
	}
}
