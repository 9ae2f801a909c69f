package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Environment variables of the suite.
const (
	envLong     = "CREDSHARE_RELIABILITY_LONG"
	envReport   = "CREDSHARE_RELIABILITY_REPORT"
	envMariaDir = "CREDSHARE_RELIABILITY_MARIADB_DIR"
)

// long reports whether the issue's sizes were asked for.
func long() bool { return os.Getenv(envLong) == "1" }

// size picks the short or the long figure.
func size(short, lng int) int {
	if long() {
		return lng
	}
	return short
}

// deadline is the generous bound of every wait: a wait ends as soon as its
// condition holds, and fails with the state it saw when this passes.
func deadline() time.Duration {
	if long() {
		return 90 * time.Minute
	}
	return 5 * time.Minute
}

// The programs under test, built once.
var (
	buildOnce    sync.Once
	buildErr     error
	openedxBin   string
	credshareBin string
	buildDir     string
	repoRoot     = filepath.Join("..", "..", "..")
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// goTool is the go command: the one on PATH (go test runs with its own
// directory first there).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// binaries builds examples/openedx and cmd/credshare (each in its own
// module, so this works with and without go.work) into a temporary
// directory, once per test binary.
func binaries(t *testing.T) (openedx, cli string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "credshare-reliability-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		openedxBin, credshareBin = filepath.Join(dir, "openedx"), filepath.Join(dir, "credshare")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, b := range []struct{ dir, pkg, out string }{
			{filepath.Join(repoRoot, "examples"), "./openedx", openedxBin},
			{filepath.Join(repoRoot, "cmd", "credshare"), ".", credshareBin},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(goTool(), "build", "-o", b.out, b.pkg)
				cmd.Dir = b.dir
				if out, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("go build %s in %s: %v\n%s", b.pkg, b.dir, err, out)
				}
			}()
		}
		wg.Wait()
		buildErr = errors.Join(errs...)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return openedxBin, credshareBin
}

// ---------------------------------------------------------------------
// The workload: what an Open edX LMS writes, and what must follow from it.

const (
	credlyOrg   = "7d1c6a2e-4b3f-4e5a-9c8d-1f2e3a4b5c6d"
	credlyToken = "reliability-token"
	lmsSource   = "openedx/lms/web"
	nCourses    = 6
)

var idSpace = uuid.MustParse("0b7f5a52-8a43-4d8e-9a1c-3c6f5e2d1a90")

// template is a Credly badge template of the workload: course i's badge
// for courses 0..3, and a track badge for passing courses 4 and 5.
type template struct {
	id, name string
	courses  []int
}

func templates() []template {
	var ts []template
	for i := range 4 {
		ts = append(ts, template{id: uuid.NewSHA1(idSpace, []byte(fmt.Sprint("tpl", i))).String(),
			name: fmt.Sprintf("Course %d", i), courses: []int{i}})
	}
	ts = append(ts, template{id: uuid.NewSHA1(idSpace, []byte("tpl-track")).String(), name: "Track 4+5", courses: []int{4, 5}})
	return ts
}

func courseKey(i int) string { return fmt.Sprintf("course-v1:Reliability+C%d+2026_T1", i) }

// rulesJSON is the badge rules file the program is given.
func rulesJSON() []byte {
	type rule struct {
		Path     string `json:"path"`
		Operator string `json:"operator"`
		Value    string `json:"value"`
	}
	type req struct {
		ID        string `json:"id"`
		Group     string `json:"group"`
		EventType string `json:"event_type"`
		Rules     []rule `json:"rules"`
	}
	type tpl struct {
		Name         string `json:"name"`
		Description  string `json:"description"`
		Provider     string `json:"provider"`
		AccountID    string `json:"account_id"`
		ExternalID   string `json:"external_id"`
		Requirements []req  `json:"requirements"`
	}
	var out struct {
		Templates []tpl `json:"templates"`
	}
	for _, t := range templates() {
		x := tpl{Name: t.name, Description: "Passed " + t.name, Provider: credly.ProviderID, AccountID: credlyOrg, ExternalID: t.id}
		for gi, c := range t.courses {
			x.Requirements = append(x.Requirements, req{ID: fmt.Sprintf("pass-c%d", c), Group: string(rune('A' + gi)),
				EventType: eventbus.TypeCoursePassingStatusUpdated, Rules: []rule{
					{"course.course_key", "eq", courseKey(c)}, {"is_passing", "eq", "true"}}})
		}
		out.Templates = append(out.Templates, x)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return b
}

type seeded struct {
	topic string
	ev    eventbus.Event
}

type pair struct{ a, b string }

// workload is the events, in the order the LMS wrote them, and the final
// state they call for.
type workload struct {
	events     []seeded
	users      map[int64]string           // LMS user id → username
	wantBadges map[pair]bool              // (username, template name)
	wantCerts  map[pair]credential.Status // (username, course key)
	emails     map[string]string          // email → username
}

// rng is a small deterministic generator (SplitMix64), so a seed names a
// workload exactly.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// newWorkload makes n events: learners who each take one to three
// courses, sometimes failing first, usually earning the certificate, now
// and then having it revoked.
func newWorkload(seed uint64, n int, base time.Time) *workload {
	w := &workload{users: map[int64]string{}, wantBadges: map[pair]bool{}, wantCerts: map[pair]credential.Status{}, emails: map[string]string{}}
	r := &rng{s: seed}
	passed := map[pair]bool{}
	for i := 0; len(w.events) < n; i++ {
		uid := int64(10000 + i)
		name := fmt.Sprintf("learner%06d", i)
		w.users[uid] = name
		w.emails[name+"@example.org"] = name
		u := eventbus.UserData{ID: uid, IsActive: true, PII: eventbus.UserPersonalData{Username: name, Email: name + "@example.org", Name: "Learner " + strconv.Itoa(i)}}
		courses := map[int]bool{}
		for range 1 + r.intn(3) {
			c := r.intn(nCourses)
			if r.float() < 0.3 { // the track's two courses together
				courses[4], courses[5] = true, true
			} else {
				courses[c] = true
			}
		}
		var cs []int
		for c := range courses {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		for _, c := range cs {
			cd := eventbus.CourseData{CourseKey: courseKey(c), DisplayName: fmt.Sprintf("Course %d", c)}
			pass := func(ok bool) {
				w.add(eventbus.TopicBadgesLifecycle, eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: ok, Course: cd, User: u}))
			}
			cert := func(typ, status string) {
				w.add(eventbus.TopicCertificateLifecycle, eventbus.CertificateEvent(typ, eventbus.CertificateData{
					User: u, Course: cd, Mode: "verified", Grade: "0.80", Name: u.PII.Name, CurrentStatus: status, PreviousStatus: "notpassing",
					DownloadURL: "https://lms.example.org/certificates/" + name + "/" + strconv.Itoa(c)}))
			}
			if r.float() < 0.2 {
				pass(false)
			}
			pass(true)
			passed[pair{name, courseKey(c)}] = true
			if r.float() < 0.7 {
				cert(eventbus.TypeCertificateCreated, "downloadable")
				w.wantCerts[pair{name, courseKey(c)}] = credential.StatusAwarded
				if r.float() < 0.1 {
					cert(eventbus.TypeCertificateRevoked, "revoked")
					w.wantCerts[pair{name, courseKey(c)}] = credential.StatusRevoked
				}
			}
			if len(w.events) >= n {
				break
			}
		}
	}
	// The events were cut at n: derive what must follow from those kept.
	w.events = w.events[:n]
	passed, w.wantCerts = map[pair]bool{}, map[pair]credential.Status{}
	for i := range w.events {
		e := &w.events[i].ev
		e.ID = uuid.NewSHA1(idSpace, fmt.Appendf(nil, "%d/%d", seed, i)).String()
		e.Source, e.SourceHost = lmsSource, "lms.example.org"
		e.Time = base.Add(time.Duration(i-n) * time.Millisecond)
		user, _ := e.LookupString("user.pii.username")
		ck, _ := e.LookupString("course.course_key")
		switch e.Type {
		case eventbus.TypeCoursePassingStatusUpdated:
			if ok, _ := e.LookupString("is_passing"); ok == "True" {
				passed[pair{user, ck}] = true
			}
		case eventbus.TypeCertificateCreated:
			w.wantCerts[pair{user, ck}] = credential.StatusAwarded
		case eventbus.TypeCertificateRevoked:
			w.wantCerts[pair{user, ck}] = credential.StatusRevoked
		}
	}
	for _, name := range w.users {
		for _, t := range templates() {
			all := true
			for _, c := range t.courses {
				all = all && passed[pair{name, courseKey(c)}]
			}
			if all {
				w.wantBadges[pair{name, t.name}] = true
			}
		}
	}
	return w
}

func (w *workload) add(topic string, e eventbus.Event) { w.events = append(w.events, seeded{topic, e}) }

// ---------------------------------------------------------------------
// The fault-injecting Credly proxy.

// faultProxy stands between the program and credlyfake. It fails a
// seeded-random fraction of the calls (5xx, 429 with Retry-After, or a
// stall past the client's timeout — half of the stalls after forwarding
// the call, so the effect happened but the answer never came), always
// fails the calls about one doomed recipient while doom is set, and counts
// the issue calls that reached the fake by template and recipient.
type faultProxy struct {
	upstream string
	client   *http.Client

	mu                 sync.Mutex
	r                  *rng
	p5xx, p429, pStall float64
	stall              time.Duration
	doom               string // an email whose calls always fail
	calls              int
	injected           map[string]int
	issues             map[pair]int // (template, email) → issue calls forwarded
	created            map[pair]int // (template, email) → 201 answers
	refused            int          // 422 duplicates answered by the fake
}

func newFaultProxy(t *testing.T, cf *credlyfake.Server, seed uint64) (*faultProxy, string) {
	p := &faultProxy{upstream: strings.TrimSuffix(cf.URL(), "/v1/"), client: cf.Client(), r: &rng{s: seed},
		injected: map[string]int{}, issues: map[pair]int{}, created: map[pair]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL + "/v1/"
}

// setFaults sets the fractions of calls answered 5xx, 429 and stalled.
func (p *faultProxy) setFaults(p5xx, p429, pStall float64, stall time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p5xx, p.p429, p.pStall, p.stall = p5xx, p429, pStall, stall
}

func (p *faultProxy) setDoom(email string) { p.mu.Lock(); p.doom = email; p.mu.Unlock() }

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var issue struct {
		Template string `json:"badge_template_id"`
		Email    string `json:"recipient_email"`
	}
	isIssue := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/badges")
	if isIssue {
		_ = json.Unmarshal(body, &issue)
	}
	p.mu.Lock()
	p.calls++
	doomed := p.doom != "" && (bytes.Contains(body, []byte(p.doom)) || strings.Contains(r.URL.Query().Get("filter"), p.doom))
	u := p.r.float()
	coin := p.r.float() < 0.5
	p.mu.Unlock()
	fault := ""
	switch {
	case doomed:
		fault = "doomed 503"
	case u < p.p5xx:
		fault = "5xx"
	case u < p.p5xx+p.p429:
		fault = "429"
	case u < p.p5xx+p.p429+p.pStall:
		fault = "stall"
		if coin {
			fault = "stall after forwarding"
		}
	}
	if fault != "" {
		p.mu.Lock()
		p.injected[fault]++
		p.mu.Unlock()
	}
	switch fault {
	case "doomed 503", "5xx":
		http.Error(w, `{"message":"upstream trouble"}`, []int{500, 502, 503, 504}[int(u*1000)%4])
		return
	case "429":
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"message":"rate limited"}`, http.StatusTooManyRequests)
		return
	case "stall":
		p.wait(r)
		return
	}
	status, hdr, resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if isIssue {
		p.mu.Lock()
		k := pair{issue.Template, strings.ToLower(issue.Email)}
		p.issues[k]++
		switch status {
		case http.StatusCreated:
			p.created[k]++
		case http.StatusUnprocessableEntity:
			p.refused++
		}
		p.mu.Unlock()
	}
	if fault == "stall after forwarding" {
		p.wait(r)
		return
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp)
}

// wait holds the call until the client gives up (its timeout) or the stall
// ends.
func (p *faultProxy) wait(r *http.Request) {
	p.mu.Lock()
	d := p.stall
	p.mu.Unlock()
	select {
	case <-r.Context().Done():
	case <-time.After(d):
	}
}

func (p *faultProxy) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for _, h := range []string{"Authorization", "Content-Type", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func (p *faultProxy) faults() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// ---------------------------------------------------------------------
// The world: Kafka, registry, Credly, MariaDB, and the program's processes.

type world struct {
	t         *testing.T
	ctx       context.Context
	wl        *workload
	cluster   *kfake.Cluster
	reg       *srfake.Registry
	cf        *credlyfake.Server
	proxy     *faultProxy
	credlyURL string
	dsn       string
	st        store.Store
	adm       *kadm.Client
	prefix    string
	group     string
	rules     string
	env       map[string]string
	watch     *published
	started   time.Time

	mu       sync.Mutex
	procs    []*proc
	restarts int
}

// newWorld starts the peers on 127.0.0.1 and makes the workload; nothing
// is seeded yet.
func newWorld(t *testing.T, seed uint64, n int) *world {
	t.Helper()
	dsn := mysqltest.DSN(t) // skips without CREDSHARE_MYSQL_DSN
	binaries(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := &world{t: t, ctx: ctx, dsn: dsn, prefix: "rel", group: "credshare", env: map[string]string{}, started: time.Now()}
	w.wl = newWorkload(seed, n, time.Now().UTC())

	var full []string
	for _, tp := range []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle} {
		f := eventbus.FullTopic(w.prefix, tp)
		full = append(full, f, eventbus.DLQName(f))
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, full...), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	w.cluster = cluster
	w.reg = srfake.New()
	t.Cleanup(w.reg.Close)
	kc, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	w.adm = kadm.NewClient(kc)

	w.cf = credlyfake.New(t)
	w.cf.PerPage = 100
	w.cf.AddOrg(credlyOrg, credlyToken)
	for _, tp := range templates() {
		w.cf.AddTemplate(credlyOrg, credlyfake.Template{ID: tp.id, Name: tp.name, State: "active", Description: "Passed " + tp.name,
			ImageURL: "https://images.example.org/" + tp.id + ".png"})
	}
	w.proxy, w.credlyURL = newFaultProxy(t, w.cf, seed^0x5eed)

	w.rules = filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(w.rules, rulesJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's own view of the store (migrated before the program starts).
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	if w.st, err = mysqlstore.Open(sctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.st.Close() })
	w.watch = watchPublished(t, ctx, cluster.ListenAddrs(), w.reg.URL(), w.prefix)
	t.Cleanup(w.stopAll)
	return w
}

// seed writes the workload's events with kafkabus's publisher — the
// framing, headers, keys and schema registration of event-bus-kafka's
// producer — produced in batches.
func (w *world) seed() {
	w.t.Helper()
	p, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{
		Client:   kafkabus.ClientConfig{Brokers: w.cluster.ListenAddrs(), ClientID: "lms", TopicPrefix: w.prefix},
		Registry: kafkabus.RegistryConfig{URLs: []string{w.reg.URL()}},
		Source:   lmsSource, SourceHost: "lms.example.org",
	})
	if err != nil {
		w.t.Fatal(err)
	}
	defer p.Close()
	kc, err := kgo.NewClient(kgo.SeedBrokers(w.cluster.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		w.t.Fatal(err)
	}
	defer kc.Close()
	var mu sync.Mutex
	var perr error
	for i, s := range w.wl.events {
		rec, err := p.Record(w.ctx, s.topic, s.ev)
		if err != nil {
			w.t.Fatalf("seeding event %d: %v", i, err)
		}
		kc.Produce(w.ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
		})
	}
	if err := kc.Flush(w.ctx); err != nil {
		w.t.Fatal(err)
	}
	if perr != nil {
		w.t.Fatalf("seeding: %v", perr)
	}
}

// proc is one running program.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// baseEnv is the program's configuration: no variable of the test's own
// environment leaks in except what a process needs to run.
func (w *world) baseEnv() map[string]string {
	return map[string]string{
		"CREDSHARE_KAFKA_BOOTSTRAP_SERVERS": strings.Join(w.cluster.ListenAddrs(), ","),
		"CREDSHARE_SCHEMA_REGISTRY_URL":     w.reg.URL(),
		"CREDSHARE_TOPIC_PREFIX":            w.prefix,
		"CREDSHARE_CONSUMER_GROUP":          w.group,
		"CREDSHARE_STORE_DRIVER":            "mysql",
		"CREDSHARE_STORE_DSN":               w.dsn,
		"CREDSHARE_CREDLY_ORGANIZATIONS":    credlyOrg + "=" + credlyToken,
		"CREDSHARE_CREDLY_API_URL":          w.credlyURL,
		"CREDSHARE_BADGE_RULES_FILE":        w.rules,
		"CREDSHARE_HTTP_ADDR":               "127.0.0.1:0",
		"CREDSHARE_LOG_LEVEL":               "warn",
		"CREDSHARE_RETRY_BACKOFF":           "200ms",
		"CREDSHARE_KAFKA_SESSION_TIMEOUT":   "6s",
		"CREDSHARE_CREDLY_TIMEOUT":          "1s",
		"CREDSHARE_OUTBOX_MIN_BACKOFF":      "200ms",
		"CREDSHARE_OUTBOX_LEASE":            "5s",
		// Generous: a graceful stop is checked for its outcome (exit 0,
		// nothing lost), not its speed, on machines of any load.
		"CREDSHARE_SHUTDOWN_TIMEOUT": "5m",
	}
}

// start runs the program with the base configuration, w.env and extra.
func (w *world) start(name string, extra map[string]string) *proc {
	w.t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	m := w.baseEnv()
	for k, v := range w.env {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	p := &proc{name: name, log: filepath.Join(w.t.TempDir(), name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		w.t.Fatal(err)
	}
	p.cmd = exec.Command(openedxBin)
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, f, f
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	w.mu.Lock()
	w.procs = append(w.procs, p)
	w.mu.Unlock()
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process (by its PID) and waits for it.
func (w *world) kill(p *proc) {
	w.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && p.running() {
		w.t.Fatalf("kill -9 %s (pid %d): %v", p.name, p.cmd.Process.Pid, err)
	}
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (w *world) stop(p *proc) {
	w.t.Helper()
	if !p.running() {
		w.t.Fatalf("%s (pid %d) had exited before it was stopped: %v\n%s", p.name, p.cmd.Process.Pid, p.err, tail(p.log))
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(6 * time.Minute):
		w.kill(p)
		w.t.Fatalf("%s did not stop within 6 minutes of SIGTERM\n%s", p.name, tail(p.log))
	}
	if p.err != nil {
		w.t.Fatalf("%s exited with %v after SIGTERM\n%s", p.name, p.err, tail(p.log))
	}
}

// stopAll kills what is still running at the end of the test.
func (w *world) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.procs {
		if p.running() {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
}

// checkAlive fails the test when a process that should run has exited.
func (w *world) checkAlive(ps ...*proc) error {
	for _, p := range ps {
		if !p.running() {
			return fmt.Errorf("%s (pid %d) exited: %v\n%s", p.name, p.cmd.Process.Pid, p.err, tail(p.log))
		}
	}
	return nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "--- " + filepath.Base(path) + " (last lines) ---\n" + strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------
// Observing the outcome.

// published reads learning-badges-lifecycle with a consumer group of its
// own through kafkabus's source, decoding each record as any Open edX
// consumer would, and keeps the badge.awarded events.
type published struct {
	mu      sync.Mutex
	records int               // badge.awarded records read
	byID    map[string]pair   // ce_id → (username, template name)
	ids     map[pair][]string // (username, template name) → distinct ce_ids
}

func watchPublished(t *testing.T, ctx context.Context, brokers []string, regURL, prefix string) *published {
	pw := &published{byID: map[string]pair{}, ids: map[pair][]string{}}
	src, err := kafkabus.NewSource(kafkabus.SourceConfig{
		Client:   kafkabus.ClientConfig{Brokers: brokers, ClientID: "watch", TopicPrefix: prefix},
		Registry: kafkabus.RegistryConfig{URLs: []string{regURL}},
		Group:    "reliability-watch", Topics: []string{eventbus.TopicBadgesLifecycle},
		FetchMaxWait: 100 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error {
			if e.Type != eventbus.TypeBadgeAwarded {
				return nil
			}
			user, _ := e.LookupString("badge.user.pii.username")
			tpl, _ := e.LookupString("badge.template.name")
			k := pair{user, tpl}
			pw.mu.Lock()
			defer pw.mu.Unlock()
			pw.records++
			if _, seen := pw.byID[e.ID]; !seen {
				pw.byID[e.ID] = k
				pw.ids[k] = append(pw.ids[k], e.ID)
			}
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done; _ = src.Close() })
	return pw
}

func (pw *published) distinct() int { pw.mu.Lock(); defer pw.mu.Unlock(); return len(pw.byID) }

// lag returns how many records of the consumed topics the group has not
// committed yet.
func (w *world) lag() (int64, error) {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	topics := []string{eventbus.FullTopic(w.prefix, eventbus.TopicBadgesLifecycle), eventbus.FullTopic(w.prefix, eventbus.TopicCertificateLifecycle)}
	ends, err := w.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return 0, err
	}
	if err := ends.Error(); err != nil {
		return 0, err
	}
	committed, err := w.adm.FetchOffsets(ctx, w.group)
	if err != nil {
		return 0, err
	}
	var lag int64
	ends.Each(func(o kadm.ListedOffset) {
		at := int64(0)
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.At > 0 {
			at = c.At
		}
		lag += max(o.Offset-at, 0)
	})
	return lag, nil
}

// progress is how many badges the Credly fake holds.
func (w *world) progress() int { return len(w.cf.Badges(credlyOrg)) }

// settled reports whether the program has caught up: nothing left to
// consume, nothing pending in the outbox, every badge at Credly and every
// badge.awarded event published (missing tells how many badges are
// expected to stay undelivered: dead items).
func (w *world) settled(missing int) (bool, string) {
	lag, err := w.lag()
	if err != nil {
		return false, "kafka: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	ob, err := w.st.Outbox().Stats(ctx)
	if err != nil {
		return false, "store: " + err.Error()
	}
	want := len(w.wl.wantBadges) - missing
	state := fmt.Sprintf("kafka lag %d, outbox %d pending / %d dead, credly badges %d of %d, badge.awarded published %d of %d",
		lag, ob.Pending, ob.Dead, w.progress(), want, w.watch.distinct(), want)
	return lag == 0 && ob.Pending == 0 && w.progress() >= want && w.watch.distinct() >= want, state
}

// waitFor polls cond until it holds or the deadline passes; then it fails
// with the last state cond described.
func (w *world) waitFor(what string, cond func() (bool, string), alive ...*proc) {
	w.t.Helper()
	end := time.Now().Add(deadline())
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if err := w.checkAlive(alive...); err != nil {
			w.t.Fatalf("waiting for %s: %v (state: %s)", what, err, last)
		}
		if time.Now().After(end) {
			var logs []string
			for _, p := range w.procs {
				logs = append(logs, tail(p.log))
			}
			w.t.Fatalf("%s: not reached within %s; last state: %s; %s\n%s", what, deadline(), last, w.describeGroup(), strings.Join(logs, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// describeGroup tells the consumer group's state and members, for a
// failed wait.
func (w *world) describeGroup() string {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	gs, err := w.adm.DescribeGroups(ctx, w.group)
	if err != nil {
		return "group: " + err.Error()
	}
	g := gs[w.group]
	var ms []string
	for _, m := range g.Members {
		parts := 0
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				parts += len(t.Partitions)
			}
		}
		inst := ""
		if m.InstanceID != nil {
			inst = " instance " + *m.InstanceID
		}
		ms = append(ms, fmt.Sprintf("%s%s from %s with %d partitions", m.MemberID, inst, m.ClientHost, parts))
	}
	return fmt.Sprintf("group %s %s, %d members: %s", w.group, g.State, len(g.Members), strings.Join(ms, "; "))
}

// figures are what each test reports.
type figures struct {
	Test         string         `json:"test"`
	Long         bool           `json:"long"`
	Events       int            `json:"events"`          // distinct events the LMS wrote
	Deliveries   int            `json:"deliveries"`      // records of them on the topics
	Badges       int            `json:"badges"`          // badge awards the workload calls for
	Certificates int            `json:"certificates"`    // course certificate awards it calls for
	Faults       map[string]int `json:"faults_injected"` // by kind
	Restarts     int            `json:"restarts"`
	CredlyCalls  int            `json:"credly_calls"`         // every call to the Credly proxy
	IssueCalls   int            `json:"credly_issue_calls"`   // issue calls that reached Credly
	Refused      int            `json:"credly_duplicate_422"` // of them refused as duplicates (retries after lost answers)
	Republished  int            `json:"republished_same_id"`  // badge.awarded records repeating a ce_id
	Dead         int            `json:"dead_requeued"`
	Duplicates   int            `json:"duplicates"`
	Losses       int            `json:"losses"`
	Duration     string         `json:"duration"`
	Seconds      float64        `json:"seconds"`
}

var reportMu sync.Mutex

func (w *world) report(f figures) {
	f.Test, f.Long = w.t.Name(), long()
	f.Events = len(w.wl.events)
	f.Badges, f.Certificates = len(w.wl.wantBadges), len(w.wl.wantCerts)
	if f.Faults == nil {
		f.Faults = w.proxy.faults()
	}
	w.proxy.mu.Lock()
	for _, n := range w.proxy.issues {
		f.IssueCalls += n
	}
	f.Refused, f.CredlyCalls = w.proxy.refused, w.proxy.calls
	w.proxy.mu.Unlock()
	w.watch.mu.Lock()
	f.Republished = w.watch.records - len(w.watch.byID)
	w.watch.mu.Unlock()
	f.Restarts = w.restarts
	d := time.Since(w.started)
	f.Duration, f.Seconds = d.Round(100*time.Millisecond).String(), d.Seconds()
	b, _ := json.Marshal(f)
	w.t.Logf("figures: %s", b)
	if path := os.Getenv(envReport); path != "" {
		reportMu.Lock()
		defer reportMu.Unlock()
		fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			w.t.Errorf("report: %v", err)
			return
		}
		defer fh.Close()
		fmt.Fprintf(fh, "%s\n", b)
	}
}

// snapshot is the final state in a comparable form, sorted.
type snapshot struct {
	awards, credly, published []string
}

// verify compares the final state with the workload's model and returns
// the duplicates and losses it found, each described in problems. undelivered
// names badges that may legitimately be missing at Credly (dead items).
func (w *world) verify(undelivered map[pair]bool) (snap snapshot, dups, losses int, problems []string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, deadline())
	defer cancel()
	bad := func(dup bool, format string, args ...any) {
		if dup {
			dups++
		} else {
			losses++
		}
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	tplName := map[string]string{} // store template id → name
	tplByExt := map[string]string{}
	for _, t := range templates() {
		tplByExt[t.id] = t.name
	}
	// Awards.
	gotBadges := map[pair]credential.Award{}
	gotCerts := map[pair]credential.Status{}
	for _, kind := range []credential.Kind{credential.KindBadge, credential.KindCourseCertificate} {
		after := uuid.Nil
		for {
			as, err := w.st.Awards().List(ctx, store.AwardFilter{Kind: kind, After: after, Limit: 1000})
			if err != nil {
				w.t.Fatalf("listing awards: %v", err)
			}
			for _, a := range as {
				user := w.wl.users[a.LearnerID]
				if kind == credential.KindBadge {
					name, ok := tplName[a.Achievement.ID]
					if !ok {
						if id, err := uuid.Parse(a.Achievement.ID); err == nil {
							if t, err := w.st.Config().GetTemplate(ctx, id); err == nil {
								name = t.Name
							}
						}
						tplName[a.Achievement.ID] = name
					}
					k := pair{user, name}
					if _, dup := gotBadges[k]; dup {
						bad(true, "two badge awards of %s for %s", name, user)
					}
					gotBadges[k] = a
					ref, _ := a.Provider(credly.ProviderID)
					snap.awards = append(snap.awards, fmt.Sprintf("badge|%s|%s|%s|credly:%s", user, name, a.Status, ref.ExternalID))
				} else {
					k := pair{user, a.Achievement.ID}
					if _, dup := gotCerts[k]; dup {
						bad(true, "two certificate awards of %s for %s", a.Achievement.ID, user)
					}
					gotCerts[k] = a.Status
					snap.awards = append(snap.awards, fmt.Sprintf("cert|%s|%s|%s", user, a.Achievement.ID, a.Status))
				}
			}
			if len(as) < 1000 {
				break
			}
			after = as[len(as)-1].UUID
		}
	}
	for k := range w.wl.wantBadges {
		a, ok := gotBadges[k]
		if !ok {
			bad(false, "no badge award of %s for %s", k.b, k.a)
			continue
		}
		if a.Status != credential.StatusAwarded {
			bad(false, "badge award of %s for %s is %s", k.b, k.a, a.Status)
		}
	}
	for k := range gotBadges {
		if !w.wl.wantBadges[k] {
			bad(true, "unexpected badge award of %s for %s", k.b, k.a)
		}
	}
	for k, st := range w.wl.wantCerts {
		if got, ok := gotCerts[k]; !ok || got != st {
			bad(false, "certificate %s for %s: want %s, have %q", k.b, k.a, st, got)
		}
	}
	for k := range gotCerts {
		if _, ok := w.wl.wantCerts[k]; !ok {
			bad(true, "unexpected certificate %s for %s", k.b, k.a)
		}
	}
	// Credly: one badge per award, the one the award refers to.
	atCredly := map[pair][]credlyfake.Badge{}
	for _, b := range w.cf.Badges(credlyOrg) {
		k := pair{w.wl.emails[strings.ToLower(b.RecipientEmail)], tplByExt[b.BadgeTemplate.ID]}
		atCredly[k] = append(atCredly[k], b)
		snap.credly = append(snap.credly, fmt.Sprintf("%s|%s|%s|%s", k.a, k.b, b.ID, b.State))
	}
	for k, bs := range atCredly {
		if len(bs) > 1 {
			bad(true, "%d Credly badges of %s for %s", len(bs), k.b, k.a)
		}
		if !w.wl.wantBadges[k] {
			bad(true, "Credly badge of %s for %s that no award calls for", k.b, k.a)
		}
	}
	for k := range w.wl.wantBadges {
		if undelivered[k] {
			continue
		}
		bs := atCredly[k]
		if len(bs) == 0 {
			bad(false, "no Credly badge of %s for %s", k.b, k.a)
			continue
		}
		if ref, _ := gotBadges[k].Provider(credly.ProviderID); ref.ExternalID != bs[0].ID {
			bad(false, "award of %s for %s refers to Credly badge %q, Credly holds %q", k.b, k.a, ref.ExternalID, bs[0].ID)
		}
	}
	w.proxy.mu.Lock()
	for k, n := range w.proxy.created {
		if n > 1 {
			bad(true, "Credly created %d badges for issue calls of template %s, recipient %s", n, k.a, k.b)
		}
	}
	w.proxy.mu.Unlock()
	// Published badge.awarded: one event id per award.
	w.watch.mu.Lock()
	for k, ids := range w.watch.ids {
		if len(ids) > 1 {
			bad(true, "%d distinct badge.awarded events of %s for %s", len(ids), k.b, k.a)
		}
		if !w.wl.wantBadges[k] {
			bad(true, "badge.awarded of %s for %s that no award calls for", k.b, k.a)
		}
	}
	for k := range w.wl.wantBadges {
		if len(w.watch.ids[k]) == 0 {
			bad(false, "no badge.awarded event of %s for %s", k.b, k.a)
		}
	}
	for id, k := range w.watch.byID {
		snap.published = append(snap.published, fmt.Sprintf("%s|%s|%s", k.a, k.b, id))
	}
	w.watch.mu.Unlock()
	// Every event recorded as processed.
	for _, s := range w.wl.events {
		ok, err := w.st.Events().IsProcessed(ctx, w.group, s.ev.ID)
		if err != nil {
			w.t.Fatalf("IsProcessed: %v", err)
		}
		if !ok {
			bad(false, "event %s (%s) not recorded as processed", s.ev.ID, s.ev.Type)
		}
	}
	sort.Strings(snap.awards)
	sort.Strings(snap.credly)
	sort.Strings(snap.published)
	return snap, dups, losses, problems
}

// mustBeExact fails the test when verify found duplicates or losses.
func (w *world) mustBeExact(dups, losses int, problems []string) {
	w.t.Helper()
	if dups != 0 || losses != 0 {
		w.t.Errorf("%d duplicates, %d losses:\n  %s", dups, losses, strings.Join(problems, "\n  "))
	}
}

// freeAddr returns a free 127.0.0.1 port's address (for a process whose HTTP
// address the test wants to know).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// readyz returns the program's /readyz status code and body.
func readyz(addr string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(resp.Body))
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// delivered sums the process's credshare_bus_delivered_total (records
// handed to the handler) from its /metrics.
func delivered(addr string) (float64, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "credshare_bus_delivered") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// records counts the records on the consumed topics.
func (w *world) records() (int64, error) {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	ends, err := w.adm.ListEndOffsets(ctx, eventbus.FullTopic(w.prefix, eventbus.TopicBadgesLifecycle), eventbus.FullTopic(w.prefix, eventbus.TopicCertificateLifecycle))
	if err != nil {
		return 0, err
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n, ends.Error()
}
