package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

// TestFakeSmoke runs `openedx -fake -serve` in process: the seeded
// Open edX events must all be applied through kfake + srfake + SQLite + the
// Credly fake, the badges issued and published, only the poisoned record
// dead-lettered; the endpoints must answer while it serves; a cancelled
// context (SIGINT/SIGTERM) must shut it down cleanly with exit code 0; and
// the store left behind must hold the awards.
func TestFakeSmoke(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- realMain(ctx, []string{"-fake", "-serve", "-data", dir, "-addr", "127.0.0.1:0"}, &stdout, &stderr, noEnv)
	}()
	deadline := time.After(45 * time.Second)
	for !strings.Contains(stdout.String(), "serving on http://") {
		select {
		case c := <-code:
			t.Fatalf("exited with %d before serving\nstdout:\n%s\nstderr:\n%s", c, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no summary within 45s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	out := stdout.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"records seeded      12 (10 events as the LMS writes them, 1 duplicate delivery, 1 poisoned record)",
		"events applied      10 of 10",
		"course certificates 2 awarded, 1 revoked",
		"badges              3 awarded, 3 issued on Credly",
		"- alice: Python Fundamentals (awarded",
		"- bob: Python Fundamentals (awarded",
		"- carol: Data Science Track (awarded",
		"credly webhook      badge accepted on Credly -> award state updated: true",
		"published           3 org.openedx.learning.badge.awarded.v1 (topic dev-learning-badges-lifecycle)",
		"dead-letter topics  1 record(s)",
		"bad magic byte",
		"outbox              0 pending, 0 dead",
		"endpoints           /healthz 200, /readyz 200, /metrics 200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(out, "dave") {
		t.Errorf("dave passed one of two required courses and must have no badge:\n%s", out)
	}

	// The endpoints, while it serves.
	addr := strings.TrimSpace(strings.TrimSuffix(strings.SplitN(strings.SplitN(out, "serving on http://", 2)[1], " ", 2)[0], "\n"))
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if c, body := get("/readyz"); c != 200 || !strings.Contains(body, `"kafka":"ok"`) || !strings.Contains(body, `"store":"ok"`) {
		t.Errorf("/readyz = %d %s", c, body)
	}
	c, metrics := get("/metrics")
	for _, want := range []string{
		"# TYPE credshare_events_total counter",
		`credshare_events_total{outcome="applied",type="org.openedx.learning.course.passing.status.updated.v1"} 6`,
		`credshare_award_transitions_total{achievement="course-v1:OpenedX+PY101+2026_T1",kind="course_certificate",transition="revoked"} 1`,
		`credshare_outbox_depth{state="pending"} 0`,
		"# TYPE credshare_event_handle_duration_seconds histogram",
	} {
		if c != 200 || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %q", c, want)
		}
	}

	// SIGINT / SIGTERM.
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d after shutdown\nstderr:\n%s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown within 30s")
	}
	if strings.Contains(stderr.String(), `"level":"ERROR"`) {
		t.Errorf("error lines in the log:\n%s", stderr.String())
	}

	// What the store holds, read back independently.
	st, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "credshare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx = context.Background()
	award := func(learner int64, ref credential.AchievementRef) credential.Award {
		t.Helper()
		a, err := st.Awards().Get(ctx, learner, ref)
		if err != nil {
			t.Fatalf("award of %d for %s: %v", learner, ref, err)
		}
		return a
	}
	if a := award(101, credential.CourseCertificate(coursePY101)); a.Status != credential.StatusAwarded || a.Evidence["mode"] != "verified" {
		t.Errorf("alice's certificate: %+v", a)
	}
	if a := award(102, credential.CourseCertificate(coursePY101)); a.Status != credential.StatusRevoked {
		t.Errorf("bob's certificate should be revoked: %+v", a)
	}
	badges, err := st.Awards().List(ctx, store.AwardFilter{Kind: credential.KindBadge})
	if err != nil {
		t.Fatal(err)
	}
	held := map[int64]int{}
	for _, a := range badges {
		if a.Status != credential.StatusAwarded {
			t.Errorf("badge %s of %d is %s", a.Achievement, a.LearnerID, a.Status)
		}
		if ref, ok := a.Provider("credly"); !ok || ref.ExternalID == "" {
			t.Errorf("badge %s of %d has no Credly badge id: %+v", a.Achievement, a.LearnerID, a.Providers)
		}
		held[a.LearnerID]++
	}
	if len(badges) != 3 || held[101] != 1 || held[102] != 1 || held[103] != 1 {
		t.Errorf("badges by learner = %v, want alice, bob and carol one each", held)
	}
	ob, err := st.Outbox().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ob.Pending != 0 || ob.Dead != 0 {
		t.Errorf("outbox after shutdown: %+v", ob)
	}
}

// TestShutdownMidStreamLosesNothing stops a first process while it is
// handling the seeded events (with Credly answering slowly, so provider
// calls are in flight), then lets a second process with the same consumer
// group and store finish: every event is applied once, each badge is issued
// on Credly once and published once, and nothing is left in the outbox —
// on Kafka and on Redis.
func TestShutdownMidStreamLosesNothing(t *testing.T) {
	for _, tc := range busCases {
		t.Run(tc.bus, func(t *testing.T) { shutdownMidStream(t, tc.opts(t)) })
	}
}

func shutdownMidStream(t *testing.T, o fakeOptions) {
	var cl cleanups
	defer cl.run()
	var log syncBuffer
	ctx := context.Background()
	o.Log, o.Dir, o.LogLevel = &log, t.TempDir(), "info"
	w, err := newFakeWorld(ctx, o, &cl)
	if err != nil {
		t.Fatal(err)
	}
	w.cf.Faults.SetLatency(300 * time.Millisecond)
	start := func() (*App, func() error) {
		t.Helper()
		app, err := NewApp(ctx, w.cfg, w.log, w.appOpts)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- app.Run(rctx) }()
		return app, func() error { cancel(); return <-done }
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nlog:\n%s", what, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	_, stop1 := start()
	base := w.cf.Faults.Requests() // the template sync's
	waitFor("a first Credly issue call in flight", func() bool { return w.cf.Faults.Requests() > base })
	if err := stop1(); err != nil {
		t.Fatalf("first process: %v", err)
	}
	// The call in flight was allowed to finish, and its outcome recorded.
	first := len(w.cf.Badges(fakeOrg))
	if first == 0 {
		t.Error("the Credly call in flight at shutdown did not complete")
	}
	st, err := sqlitestore.Open(ctx, w.cfg.Store.DSN)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := st.Awards().List(ctx, store.AwardFilter{Kind: credential.KindBadge})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, a := range bs {
		if _, ok := a.Provider("credly"); ok {
			recorded++
		}
	}
	if recorded != first {
		t.Errorf("after the first process Credly holds %d badges but %d awards record one", first, recorded)
	}

	w.cf.Faults.SetLatency(0)
	app2, stop2 := start()
	waitFor("every event applied and every call made", func() bool {
		ok, _ := fakeDone(ctx, app2, w.cfg.Bus.ConsumerGroup, w.evs, w.watch, 3)
		return ok
	})
	if err := stop2(); err != nil {
		t.Fatalf("second process: %v", err)
	}
	t.Logf("Credly badges after the first process: %d", first)

	if got := len(w.cf.Badges(fakeOrg)); got != 3 {
		t.Errorf("Credly holds %d badges, want 3", got)
	}
	for _, b := range w.cf.Badges(fakeOrg) {
		if n := w.cf.Count(fakeOrg, b.BadgeTemplate.ID, b.RecipientEmail); n != 1 {
			t.Errorf("%s holds %d badges of %s", b.RecipientEmail, n, b.BadgeTemplate.Name)
		}
	}
	pub, dlq := w.watch.snapshot()
	if pub["org.openedx.learning.badge.awarded.v1"] != 3 || len(pub) != 1 {
		t.Errorf("published %v, want 3 distinct badge.awarded events", pub)
	}
	if len(dlq) != 1 {
		t.Errorf("dead letters %q, want the poisoned record alone", dlq)
	}
	if strings.Contains(log.String(), `"level":"ERROR"`) {
		t.Errorf("error lines in the log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "stopped cleanly") {
		t.Errorf("no clean stop in the log:\n%s", log.String())
	}
}

// TestFakeOnMySQL runs the -fake flow with its state in MariaDB/MySQL
// (the production store) instead of SQLite.
func TestFakeOnMySQL(t *testing.T) {
	dsn := mysqltest.DSN(t) // skips unless CREDSHARE_MYSQL_DSN is set
	var out, log syncBuffer
	sum, err := runFake(context.Background(), fakeOptions{Out: &out, Log: &log, MySQLDSN: dsn, Timeout: 45 * time.Second})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if sum.Processed != sum.Unique || sum.BadgesAwarded != 3 || sum.CredlyBadges != 3 || sum.CertsAwarded != 2 ||
		sum.CertsRevoked != 1 || len(sum.DLQ) != 1 || sum.Published["org.openedx.learning.badge.awarded.v1"] != 3 ||
		sum.OutboxPending != 0 || sum.OutboxDead != 0 || !sum.CredlyAccepted {
		t.Errorf("summary on MySQL: %+v\n%s", sum, out.String())
	}
	if at := strings.LastIndex(dsn, "@"); at > 0 && strings.Contains(out.String()+log.String(), dsn[:at+1]) {
		t.Error("the MySQL user:password was printed")
	}
	if !strings.Contains(out.String(), "events applied      10 of 10") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// TestProductionPathFromEnvironment runs the program as a deployment does
// (no -fake): configuration from Open edX's EVENT_BUS_* variables and
// CREDSHARE_* ones, against a Kafka broker and a schema registry, until
// SIGTERM.
func TestProductionPathFromEnvironment(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	reg := srfake.New()
	defer reg.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := envMap(map[string]string{
		"EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS":   strings.Join(cluster.ListenAddrs(), ","),
		"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL": reg.URL(),
		"EVENT_BUS_TOPIC_PREFIX":              "prod",
		"CREDSHARE_STORE_DRIVER":              "sqlite",
		"CREDSHARE_STORE_DSN":                 filepath.Join(t.TempDir(), "credshare.db"),
		"CREDSHARE_HTTP_ADDR":                 addr,
	})
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- realMain(ctx, nil, &stdout, &stderr, env) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case c := <-code:
			t.Fatalf("exited with %d\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 30s\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d\n%s", c, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"starting"`, `"bus":"kafka"`, `"bus.topic_prefix":"prod"`, `"store.dsn":"[set]"`, `"msg":"stopped cleanly"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if c := realMain(context.Background(), []string{"-help"}, &out, &out, noEnv); c != 0 {
		t.Fatalf("-help exit code %d", c)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.Env) || !strings.Contains(out.String(), s.Key) {
			t.Errorf("-help does not mention %s / %s", s.Env, s.Key)
		}
	}
}

func TestREADMEHasTheSettingsTable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), settingsMarkdown()) {
		t.Errorf("README.md's settings table is out of date; it should contain:\n%s", settingsMarkdown())
	}
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestInvalidConfigurationExitsTwoNamingSettings(t *testing.T) {
	const secret = "s3cr3t-value-never-printed"
	var stdout, stderr bytes.Buffer
	env := envMap(map[string]string{
		"CREDSHARE_KAFKA_API_KEY":        "key-" + secret,
		"CREDSHARE_CREDLY_ORGANIZATIONS": `{"org-1": ""}`,
		"CREDSHARE_STORE_DSN":            "user:" + secret + "@tcp(db:3306)/credshare",
		"CREDSHARE_STORE_DRIVER":         "postgres",
	})
	if c := realMain(context.Background(), nil, &stdout, &stderr, env); c != 2 {
		t.Fatalf("exit code %d, want 2", c)
	}
	msg := stderr.String()
	for _, want := range []string{
		"kafka.bootstrap_servers (CREDSHARE_KAFKA_BOOTSTRAP_SERVERS): required",
		"kafka.schema_registry_url (CREDSHARE_SCHEMA_REGISTRY_URL): required",
		"kafka.api_key (CREDSHARE_KAFKA_API_KEY): set both",
		`credly.organizations (CREDSHARE_CREDLY_ORGANIZATIONS): organisation "org-1" has no token`,
		`store.driver (CREDSHARE_STORE_DRIVER): "postgres" is not mysql or sqlite`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error output lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("a secret was printed:\n%s", msg)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	cfg, err := LoadConfig("", envMap(map[string]string{
		"EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS":   "kafka-1:9092, kafka-2:9092",
		"CREDSHARE_SCHEMA_REGISTRY_URL":       "http://registry:8081",
		"EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL": "http://ignored:8081", // the CREDSHARE_ name wins
		"EVENT_BUS_TOPIC_PREFIX":              "prod",
		"CREDSHARE_PROGRAM_CERTIFICATES":      "true",
		"CREDSHARE_CREDLY_ORGANIZATIONS":      "org-1=tok1, org-2=tok2",
		"CREDSHARE_ACCREDIBLE_API_KEYS":       `{"main": "k1"}`,
		"CREDSHARE_STORE_DRIVER":              "SQLite",
		"CREDSHARE_STORE_DSN":                 "/var/lib/credshare/credshare.db",
		"CREDSHARE_SHUTDOWN_TIMEOUT":          "45s",
		"CREDSHARE_KAFKA_API_KEY":             "k",
		"CREDSHARE_KAFKA_API_SECRET":          "s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Kafka.BootstrapServers, ","); got != "kafka-1:9092,kafka-2:9092" {
		t.Errorf("brokers %q", got)
	}
	if cfg.Kafka.SchemaRegistryURL[0] != "http://registry:8081" || cfg.Bus.TopicPrefix != "prod" {
		t.Errorf("registry %v prefix %q", cfg.Kafka.SchemaRegistryURL, cfg.Bus.TopicPrefix)
	}
	if got := strings.Join(cfg.topics(), ","); got != "learning-badges-lifecycle,learning-certificate-lifecycle,learning-program-certificate-lifecycle" {
		t.Errorf("topics %q", got)
	}
	if cfg.Credly.Organizations["org-2"] != "tok2" || cfg.Accredible.APIKeys["main"] != "k1" {
		t.Errorf("accounts %v %v", cfg.Credly.Organizations, cfg.Accredible.APIKeys)
	}
	if cfg.Store.Driver != "sqlite" || cfg.ShutdownTimeout.Duration != 45*time.Second || !cfg.kafkaTLS() {
		t.Errorf("driver %q timeout %s tls %v", cfg.Store.Driver, cfg.ShutdownTimeout, cfg.kafkaTLS())
	}
}

func TestSecretFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(p, []byte("u:pw@tcp(db:3306)/credshare\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig("", envMap(map[string]string{"CREDSHARE_STORE_DSN_FILE": p}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.DSN != "u:pw@tcp(db:3306)/credshare" {
		t.Errorf("dsn %q", cfg.Store.DSN)
	}
	_, err = LoadConfig("", envMap(map[string]string{"CREDSHARE_STORE_DSN_FILE": p + ".missing"}))
	if err == nil || !strings.Contains(err.Error(), "store.dsn (CREDSHARE_STORE_DSN_FILE): cannot read the file") {
		t.Errorf("missing secret file: %v", err)
	}
}

func TestBadEnvironmentValues(t *testing.T) {
	_, err := LoadConfig("", envMap(map[string]string{
		"CREDSHARE_CREDLY_SANDBOX":       "maybe",
		"CREDSHARE_CREDLY_ORGANIZATIONS": "tok-without-an-id",
		"CREDSHARE_SHUTDOWN_TIMEOUT":     "soon",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`credly.sandbox (CREDSHARE_CREDLY_SANDBOX): "maybe": not a boolean`,
		"credly.organizations (CREDSHARE_CREDLY_ORGANIZATIONS): use",
		`shutdown_timeout (CREDSHARE_SHUTDOWN_TIMEOUT): "soon"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "tok-without-an-id") {
		t.Errorf("a secret was echoed:\n%s", msg)
	}
}

const yamlConfig = `
bus:
  topic_prefix: stage
  consumer_group: credshare-stage
  retry_backoff: 2s
kafka:
  bootstrap_servers: [kafka:9092]
  schema_registry_url: [https://registry.example.org]
  schema_registry_api_key: rk
  schema_registry_api_secret: rs
store:
  driver: mysql
  dsn: credshare:pw@tcp(mysql:3306)/credshare
credly:
  organizations: {"org-1": "tok"}
  sandbox: true
http:
  addr: 127.0.0.1:9090
shutdown_timeout: 1m
`

func TestConfigFiles(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "credshare.yaml")
	if err := os.WriteFile(yml, []byte(yamlConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(yml, envMap(map[string]string{"CREDSHARE_CONSUMER_GROUP": "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Bus.TopicPrefix != "stage" || cfg.Bus.ConsumerGroup != "from-env" || !cfg.Credly.Sandbox ||
		cfg.Bus.RetryBackoff.Duration != 2*time.Second || cfg.ShutdownTimeout.Duration != time.Minute {
		t.Errorf("yaml config: %+v", cfg)
	}
	if len(cfg.Bus.Topics) != 2 || !cfg.Bus.PublishBadgeEvents {
		t.Errorf("defaults lost: topics %v publish %v", cfg.Bus.Topics, cfg.Bus.PublishBadgeEvents)
	}

	js := filepath.Join(dir, "credshare.json")
	if err := os.WriteFile(js, []byte(`{"kafka": {"bootstrap_servers": ["k:9092"], "schema_registry_url": ["http://r:8081"]},
		"store": {"driver": "sqlite", "dsn": "/tmp/x.db"}, "shutdown_timeout": 10}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConfig(js, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || cfg.ShutdownTimeout.Duration != 10*time.Second {
		t.Errorf("json config: %v %s", err, cfg.ShutdownTimeout)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("kafka:\n  bootstrap_server: [k:9092]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(bad, noEnv); err == nil || !strings.Contains(err.Error(), "bootstrap_server") {
		t.Errorf("misspelt key: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "credshare.toml"), noEnv); err == nil {
		t.Error("a missing .toml file was accepted")
	}
}

func TestValidateURLsAndAddresses(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Kafka.BootstrapServers = []string{"kafka"}
	cfg.Kafka.SchemaRegistryURL = []string{"http://user:pw@registry:8081"}
	cfg.Store.DSN = "x"
	cfg.Credly.APIURL = "http://credly.example.org/v1/"
	cfg.HTTP.Addr = "8080"
	cfg.Bus.Topics = []string{"learning-badges-lifecycle-dlq"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`kafka.bootstrap_servers (CREDSHARE_KAFKA_BOOTSTRAP_SERVERS): "kafka" is not host:port`,
		"kafka.schema_registry_url (CREDSHARE_SCHEMA_REGISTRY_URL):", "carries credentials",
		"credly.api_url (CREDSHARE_CREDLY_API_URL):", "must use https",
		`http.addr (CREDSHARE_HTTP_ADDR): "8080" is not [host]:port`,
		"is a dead-letter topic",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "pw@") {
		t.Errorf("registry password printed:\n%s", msg)
	}
}

func TestFakeRulesMatchTheFake(t *testing.T) {
	ts, err := rules.ParseFile(fakeRules)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID]bool{
		badge.TemplateUUID(credly.ProviderID, fakeOrg, fakeTplPython): true,
		badge.TemplateUUID(credly.ProviderID, fakeOrg, fakeTplData):   true,
	}
	for _, tpl := range ts {
		if !want[tpl.UUID] {
			t.Errorf("template %q (%s) is not one the Credly fake holds", tpl.Name, tpl.UUID)
		}
	}
	if len(ts) != len(want) {
		t.Errorf("%d templates, want %d", len(ts), len(want))
	}
	// The YAML form of a rules file is read through the same strict parser.
	j, err := yamlToJSON([]byte("templates:\n  - name: X\n    provider: credly\n    external_id: t1\n    requirementz: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.ParseFile(j); err == nil || !strings.Contains(err.Error(), "requirementz") {
		t.Errorf("a misspelt key in a YAML rules file: %v", err)
	}
}

// TestPrometheusText scrapes /metrics's handler as Prometheus would and
// parses it with Prometheus's own text parser: names, types, _total and
// unit suffixes, escaping and histogram buckets come out as the
// exposition format defines them.
func TestPrometheusText(t *testing.T) {
	mp, h, err := newMetrics()
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Shutdown(context.Background())
	m := mp.Meter("test")
	c, _ := m.Int64Counter("credshare.events", metric.WithDescription("Events.\nHandled."))
	c.Add(context.Background(), 2, metric.WithAttributes(attribute.String("type", `a"b\c`)))
	hist, _ := m.Float64Histogram("x.duration", metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(0.5, 1))
	hist.Record(context.Background(), 0.7)
	hist.Record(context.Background(), 2)
	g, _ := m.Int64UpDownCounter("queue.size")
	g.Add(context.Background(), -3)

	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus's parser refuses /metrics: %v", err)
	}
	ev := fams["credshare_events_total"]
	if ev == nil || ev.GetType() != dto.MetricType_COUNTER || ev.GetHelp() != "Events.\nHandled." {
		t.Fatalf("credshare_events_total = %v", ev)
	}
	var typ string
	for _, l := range ev.GetMetric()[0].GetLabel() {
		if l.GetName() == "type" {
			typ = l.GetValue()
		}
	}
	if typ != `a"b\c` || ev.GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Errorf("counter sample = %v", ev.GetMetric()[0])
	}
	q := fams["queue_size"]
	if q == nil || q.GetType() != dto.MetricType_GAUGE || q.GetMetric()[0].GetGauge().GetValue() != -3 {
		t.Errorf("queue_size = %v", q)
	}
	d := fams["x_duration_seconds"]
	if d == nil || d.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("x_duration_seconds = %v", d)
	}
	hd := d.GetMetric()[0].GetHistogram()
	if hd.GetSampleCount() != 2 || hd.GetSampleSum() != 2.7 {
		t.Errorf("histogram count/sum = %d/%v", hd.GetSampleCount(), hd.GetSampleSum())
	}
	var cum []uint64
	for _, b := range hd.GetBucket() {
		cum = append(cum, b.GetCumulativeCount())
	}
	if !slices.Equal(cum, []uint64{0, 1, 2}) {
		t.Errorf("buckets (le 0.5, 1, +Inf) = %v, want [0 1 2]", cum)
	}
}

func FuzzParseMap(f *testing.F) {
	for _, s := range []string{`{"a": "b"}`, "a=b,c=d", "a", "=", `{"a": 1}`, "{", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMap(s)
		if err == nil && m == nil {
			t.Fatal("nil map without an error")
		}
	})
}

func FuzzConfigFile(f *testing.F) {
	f.Add([]byte(yamlConfig), true)
	f.Add([]byte(`{"bus": {"topics": ["a"]}, "redis": {"connection_url": "redis://r:6379/0"}, "shutdown_timeout": "3s"}`), false)
	f.Add([]byte("kafka: [1, 2"), true)
	f.Add([]byte(`{"shutdown_timeout": {}}`), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, isYAML bool) {
		p := filepath.Join(dir, "c.json")
		if isYAML {
			p = filepath.Join(dir, "c.yaml")
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(p, noEnv)
		if err != nil {
			return
		}
		_ = cfg.Validate() // must not panic
	})
}

// TestTimingSettings: the settings the reliability suite turns
// (internal/integration/reliability) are read, applied and validated.
func TestTimingSettings(t *testing.T) {
	base := map[string]string{
		"CREDSHARE_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
		"CREDSHARE_SCHEMA_REGISTRY_URL":     "http://registry:8081",
		"CREDSHARE_STORE_DSN":               "u:pw@tcp(db:3306)/credshare",
	}
	def, err := LoadConfig("", envMap(base))
	if err != nil {
		t.Fatal(err)
	}
	if def.Kafka.SessionTimeout.Duration != 45*time.Second || def.Credly.Timeout.Duration != 10*time.Second ||
		def.Outbox != (OutboxConfig{MaxAttempts: 12, MinBackoff: Duration{time.Second}, Lease: Duration{time.Minute}}) {
		t.Errorf("defaults: session %s, credly %s, outbox %+v", def.Kafka.SessionTimeout, def.Credly.Timeout, def.Outbox)
	}
	env := maps.Clone(base)
	maps.Copy(env, map[string]string{
		"CREDSHARE_KAFKA_SESSION_TIMEOUT": "6s", "CREDSHARE_CREDLY_TIMEOUT": "1s", "CREDSHARE_KAFKA_GROUP_INSTANCE_ID": " pod-0 ",
		"CREDSHARE_OUTBOX_MAX_ATTEMPTS": "5", "CREDSHARE_OUTBOX_MIN_BACKOFF": "200ms", "CREDSHARE_OUTBOX_LEASE": "5s",
	})
	cfg, err := LoadConfig("", envMap(env))
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	if def.Kafka.GroupInstanceID != "" || cfg.Kafka.GroupInstanceID != "pod-0" {
		t.Errorf("group instance id: default %q, set %q", def.Kafka.GroupInstanceID, cfg.Kafka.GroupInstanceID)
	}
	if cfg.Kafka.SessionTimeout.Duration != 6*time.Second || cfg.Credly.Timeout.Duration != time.Second ||
		cfg.Outbox != (OutboxConfig{MaxAttempts: 5, MinBackoff: Duration{200 * time.Millisecond}, Lease: Duration{5 * time.Second}}) {
		t.Errorf("set: session %s, credly %s, outbox %+v", cfg.Kafka.SessionTimeout, cfg.Credly.Timeout, cfg.Outbox)
	}
	maps.Copy(env, map[string]string{
		"CREDSHARE_KAFKA_SESSION_TIMEOUT": "0s", "CREDSHARE_CREDLY_TIMEOUT": "0",
		"CREDSHARE_OUTBOX_MAX_ATTEMPTS": "0", "CREDSHARE_OUTBOX_MIN_BACKOFF": "1h", "CREDSHARE_OUTBOX_LEASE": "10ms",
	})
	cfg, err = LoadConfig("", envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	for _, want := range []string{"kafka.session_timeout (CREDSHARE_KAFKA_SESSION_TIMEOUT)", "credly.timeout (CREDSHARE_CREDLY_TIMEOUT)",
		"outbox.max_attempts (CREDSHARE_OUTBOX_MAX_ATTEMPTS)", "outbox.min_backoff (CREDSHARE_OUTBOX_MIN_BACKOFF)", "outbox.lease (CREDSHARE_OUTBOX_LEASE)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation error lacks %q: %v", want, err)
		}
	}
	if _, err := LoadConfig("", envMap(map[string]string{"CREDSHARE_OUTBOX_MAX_ATTEMPTS": "many"})); err == nil ||
		!strings.Contains(err.Error(), `outbox.max_attempts (CREDSHARE_OUTBOX_MAX_ATTEMPTS): "many": not a whole number`) {
		t.Errorf("bad number: %v", err)
	}
}
