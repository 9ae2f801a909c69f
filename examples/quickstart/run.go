package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/badge/rules/rulesyaml"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/membus"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/outbox"
	"github.com/credshare/credshare/store/sqlitestore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
)

//go:embed data/events.jsonl
var bundledEvents []byte

//go:embed data/rules.yaml
var bundledRules []byte

const (
	group   = "quickstart"
	orgName = "Quickstart Academy"
)

// app holds everything the quickstart assembles.
type app struct {
	o       options
	log     *slog.Logger
	st      store.Store
	base    string
	did     string
	status  *status.Service
	lists   *status.Publisher
	lcw     *lcw.Wallet
	mux     *http.ServeMux
	pipe    *pipeline.Pipeline
	disp    *outbox.Dispatcher
	bus     *membus.Bus
	verify  *verify.Verifier
	page    *verifypage.Handler
	didDoc  []byte
	summary summary
}

type summary struct {
	events, applied, duplicates, deadLettered, published int
	granted, revoked                                     []string
	credentials                                          []writtenCredential
	lists                                                []string
	links                                                []string
}

type writtenCredential struct {
	file, learner, achievement, verdict string
	// page is the credential's verification page (vc/verifypage).
	page string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	a := &app{o: o, log: slog.New(slog.DiscardHandler), mux: http.NewServeMux()}
	if o.verbose {
		a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if a.o.data == "" {
		dir, err := os.MkdirTemp("", "credshare-quickstart-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		a.o.data = dir
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(a.o.data, "credshare.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	a.st = st

	addr := o.serve
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	a.base = "http://" + ln.Addr().String()
	if err := a.assemble(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: a.mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	if err := a.consume(ctx); err != nil {
		return err
	}
	if err := a.writeOutput(ctx); err != nil {
		return err
	}
	a.printSummary(stdout)
	for _, c := range a.summary.credentials {
		if c.verdict != string(vc.VerdictValid) && c.verdict != string(vc.VerdictRevoked) {
			return fmt.Errorf("credential %s did not verify: %s", c.file, c.verdict)
		}
	}
	if o.serve != "" {
		fmt.Fprintf(stdout, "\nServing on %s — press Ctrl-C to stop.\n", a.base)
		<-ctx.Done()
	}
	return nil
}

// assemble builds the issuer, status lists, providers, rules, bus and pipeline.
func (a *app) assemble(ctx context.Context) error {
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		return err
	}
	a.did = didKey
	signer, err := vc.NewSigner(priv, vm)
	if err != nil {
		return err
	}
	iss, err := issuer.New(issuer.Config{Signer: signer})
	if err != nil {
		return err
	}
	doc, err := did.KeyDocument(didKey)
	if err != nil {
		return err
	}
	if a.didDoc, err = json.MarshalIndent(doc, "", "  "); err != nil {
		return err
	}

	statusBase := a.base + "/status"
	if a.status, err = status.New(status.Config{BaseURL: statusBase}); err != nil {
		return err
	}
	listSigner, err := newListSigner(iss, signer)
	if err != nil {
		return err
	}
	if a.lists, err = status.NewPublisher(status.PublisherConfig{Store: a.st, BaseURL: statusBase,
		Signers: []status.ListSigner{listSigner}, Logger: a.log}); err != nil {
		return err
	}
	checker, err := newStatusChecker()
	if err != nil {
		return err
	}
	if a.verify, err = verify.New(verify.Config{Status: checker}); err != nil {
		return err
	}
	// Every issued credential's public verification page, verified on
	// each request against the served status list.
	// Pages of records whose ids anyone could compute (the native
	// provider's before ids were keyed) are 404 like unknown ones; each
	// client gets the default rate limit.
	if a.page, err = verifypage.New(verifypage.Config{Store: a.st, Verifier: a.verify, Status: checker,
		BaseURL: a.base + "/credentials", Logger: a.log, Public: obv3.PublicRecord}); err != nil {
		return err
	}

	profile := vc.Profile{ID: didKey, Type: vc.Types{"Profile"}, Name: orgName, URL: "https://academy.example.org",
		Email: "credentials@academy.example.org"}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: profile, Signer: iss,
		Achievement: wallet.StoreAchievements(orgName, nil), Status: a.status.Entry})
	if err != nil {
		return err
	}
	// The record (and page) ids are keyed with a secret. The quickstart's
	// issuer key lives for one run, and so does this one; a deployment
	// keeps both (obv3.Config.IDKey, PreviousIDKeys when rotating).
	idKey := make([]byte, obv3.MinIDKeySize)
	if _, err := rand.Read(idKey); err != nil {
		return err
	}
	native, err := obv3.New(obv3.Config{Store: a.st, Issuer: vci, IssuerID: didKey, Status: a.status, Revoker: a.status, IDKey: idKey})
	if err != nil {
		return err
	}
	providers := map[string]badge.Provider{obv3.ID: native}
	if err := addPlatformProviders(ctx, a.st, providers); err != nil {
		return err
	}

	rules, err := a.loadRules(ctx)
	if err != nil {
		return err
	}
	a.bus = membus.New(membus.Config{Partitions: 4, RedeliveryDelay: 20 * time.Millisecond})
	if a.pipe, err = pipeline.New(pipeline.Config{Store: a.st, Group: group, Rules: rules, Providers: providers,
		Publisher: a.bus, Status: a.status, CertificateProvider: obv3.ID, PublishProgramEvents: true, Logger: a.log}); err != nil {
		return err
	}
	if a.disp, err = outbox.NewDispatcher(outbox.Config{Store: a.st, Logger: a.log,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, MaxAttempts: 40}); err != nil {
		return err
	}
	a.pipe.RegisterHandlers(a.disp)

	// The wallet side: the Learner Credential Wallet deep-link protocol.
	ws, err := wallet.NewService(wallet.Config{Store: a.st, Issuer: vci, Status: a.status, Verifier: a.verify,
		IssuerID: didKey, Logger: a.log})
	if err != nil {
		return err
	}
	if a.lcw, err = lcw.New(lcw.Config{Service: ws, BaseURL: a.base + "/wallet/lcw"}); err != nil {
		return err
	}
	a.mux.Handle("/status/", a.lists)
	a.mux.Handle("/credentials/", http.StripPrefix("/credentials", a.page))
	a.mux.Handle("/wallet/lcw/", http.StripPrefix("/wallet/lcw", a.lcw.Handler()))
	a.mux.HandleFunc("GET /issuer/did.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/did+json")
		w.Write(a.didDoc)
	})
	a.mux.HandleFunc("GET /{$}", a.index)
	return nil
}

// loadRules stores the rules file's templates and builds the engine.
func (a *app) loadRules(ctx context.Context) (*pipeline.Rules, error) {
	b := bundledRules
	name := "bundled rules"
	if a.o.rules != "" {
		var err error
		if b, err = os.ReadFile(a.o.rules); err != nil {
			return nil, err
		}
		name = a.o.rules
	}
	var ts []rules.Template
	var err error
	if strings.HasSuffix(name, ".json") {
		ts, err = rules.ParseFile(b)
	} else {
		ts, err = rulesyaml.Parse(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, err := rules.PutTemplates(ctx, a.st.Config(), ts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pipeline.LoadRules(ctx, a.st.Config())
}

// readEvents parses the JSON-lines event file.
func readEvents(r io.Reader) ([]eventbus.Event, error) {
	var evs []eventbus.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var e eventbus.Event
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if data, ok := eventbus.NormalizeJSON(map[string]any(e.Data)).(map[string]any); ok {
			e.Data = data
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		evs = append(evs, e)
	}
	return evs, sc.Err()
}

// consume publishes the events to the in-memory bus, runs the pipeline over
// them as a consumer group would, then runs the outbox until it is empty.
func (a *app) consume(ctx context.Context) error {
	var r io.Reader = bytes.NewReader(bundledEvents)
	if a.o.events != "" {
		f, err := os.Open(a.o.events)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	evs, err := readEvents(r)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	topics := map[string]bool{}
	for _, e := range evs {
		topic := eventbus.TopicBadgesLifecycle
		if info, ok := eventbus.LookupType(e.Type); ok {
			topic = info.Topic
		}
		topics[topic] = true
		if err := a.bus.Publish(ctx, topic, e); err != nil {
			return err
		}
	}
	a.summary.events = len(evs)
	var names []string
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)
	src, err := a.bus.NewSource(membus.SourceConfig{Group: group, Topics: names})
	if err != nil {
		return err
	}
	defer src.Close()

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	// Count deliveries of the input events (the badge events the pipeline
	// publishes to the same topics are read back too, and applied like any
	// other event, but are not part of the input).
	input := map[string]bool{}
	for _, e := range evs {
		input[e.ID] = true
	}
	var mu sync.Mutex
	seen := 0
	handler := eventbus.Chain(a.pipe.Handler(), eventbus.DeadLetter(a.bus))
	done := make(chan error, 1)
	go func() {
		done <- src.Receive(rctx, func(ctx context.Context, e eventbus.Event) error {
			before, _ := a.st.Events().IsProcessed(ctx, group, e.ID)
			if err := handler(ctx, e); err != nil {
				return err // redelivered later
			}
			mu.Lock()
			defer mu.Unlock()
			if !input[e.ID] {
				return nil
			}
			if before {
				a.summary.duplicates++
			} else {
				a.summary.applied++
			}
			if seen++; seen == len(evs) {
				stop()
			}
			return nil
		})
	}()
	dispDone := make(chan struct{})
	go func() { _ = a.disp.Run(rctx); close(dispDone) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-time.After(60 * time.Second):
		return errors.New("events were not all consumed within 60s")
	}
	stop()
	<-dispDone
	for t := range topics {
		a.summary.deadLettered += len(a.bus.DeadLetters(t))
	}
	// Run what the outbox still holds (provider calls, published events).
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, err := a.disp.Drain(dctx); err != nil {
			return err
		}
		s, err := a.st.Outbox().Stats(dctx)
		if err != nil {
			return err
		}
		if s.Pending == 0 {
			total := 0
			for _, t := range []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle, eventbus.TopicProgramCertificateLifecycle} {
				total += a.bus.Len(t)
			}
			a.summary.published = total - len(evs)
			if s.Dead > 0 {
				dead, _ := a.st.Outbox().ListDead(dctx, 0, 10)
				for _, d := range dead {
					fmt.Fprintf(os.Stderr, "quickstart: outbox item %d (%s → %s) died: %s\n", d.ID, d.Kind, d.Target, d.LastError)
				}
				return fmt.Errorf("%d outbox item(s) died", s.Dead)
			}
			return nil
		}
		select {
		case <-dctx.Done():
			return fmt.Errorf("outbox not empty after 30s: %+v", s)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// learnerName returns a display name for a learner id.
func (a *app) learnerName(ctx context.Context, id int64) string {
	l, err := a.st.Learners().Get(ctx, id)
	if err != nil || l.FullName == "" {
		return fmt.Sprintf("learner %d", id)
	}
	return l.FullName
}

func achievementName(ctx context.Context, st store.Store, aw credential.Award) string {
	ach, err := wallet.StoreAchievements(orgName, nil)(ctx, st, aw)
	if err != nil || ach.Name == "" {
		return aw.Achievement.String()
	}
	return ach.Name
}
