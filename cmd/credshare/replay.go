package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/term"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/filebus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store"
)

func init() { extraCommands = append(extraCommands, newReplayCmd) }

// maxListedInvalid bounds the invalid events listed in the report.
const maxListedInvalid = 100

// maxEventLine bounds one JSON line of the replay file.
const maxEventLine = 4 << 20

// replayReport is replay's final report (--json prints it as is).
type replayReport struct {
	Source     string `json:"source"`
	Group      string `json:"group"`
	Read       int64  `json:"read"`
	Applied    int64  `json:"applied"`
	Duplicates int64  `json:"duplicates"`
	// Ignored events were recorded but concern no learner or rule.
	Ignored int64 `json:"ignored"`
	Invalid int64 `json:"invalid"`
	// Failed events hit a retryable error (database, timeout) on every
	// attempt; replaying again picks them up.
	Failed     int64            `json:"failed"`
	OutOfRange int64            `json:"out_of_range,omitempty"`
	Granted    int64            `json:"awards_granted"`
	Revoked    int64            `json:"awards_revoked"`
	ByKind     map[string]int64 `json:"awards_by_kind,omitempty"`
	Problems   []replayProblem  `json:"problems,omitempty"`
	// ProblemsTruncated says that more problems happened than are listed.
	ProblemsTruncated bool   `json:"problems_truncated,omitempty"`
	Elapsed           string `json:"elapsed"`
}

// replayProblem is an event that was invalid or failed.
type replayProblem struct {
	Line   int    `json:"line,omitempty"`
	ID     string `json:"id,omitempty"`
	Type   string `json:"type,omitempty"`
	Reason string `json:"reason"`
	Failed bool   `json:"failed,omitempty"`
}

// replayRun holds one replay's counters; safe for concurrent handlers.
type replayRun struct {
	read, invalid, failed, outOfRange atomic.Int64
	bar                               *progressbar.ProgressBar
	mu                                sync.Mutex
	problems                          []replayProblem
	truncated                         bool
}

func (r *replayRun) problem(p replayProblem) {
	if p.Failed {
		r.failed.Add(1)
	} else {
		r.invalid.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < maxListedInvalid {
		r.problems = append(r.problems, p)
	} else {
		r.truncated = true
	}
}

// DeadLetter implements eventbus.DeadLetterer for replays: lines and
// messages that cannot be decoded and events the pipeline refuses are
// reported, not written anywhere.
func (r *replayRun) DeadLetter(_ context.Context, e eventbus.Event, reason error) error {
	var he handledError
	if !errors.As(reason, &he) {
		// The source could not decode it: the handler never saw it.
		r.read.Add(1)
		if r.bar != nil {
			r.bar.Add(1)
		}
	} else {
		reason = he.error
	}
	r.problem(replayProblem{Line: lineOf(e), ID: e.ID, Type: e.Type, Reason: reason.Error()})
	return nil
}

// handledError marks a permanent error returned by the replay's handler, so
// DeadLetter does not count the event as read twice.
type handledError struct{ error }

func (h handledError) Unwrap() error { return h.error }

func newReplayCmd(g *globals) *cobra.Command {
	var checkpoint string
	var group, brokers, topic, prefix, registry, kafkaGroup, fromS, toS, providers string
	var idle time.Duration
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "replay [FILE|-]",
		Short: "Run events (a JSON-lines file or a Kafka time range) through the pipeline and report",
		Long: `replay applies Open edX events to the store exactly as the running pipeline does
(certificate awards, badge rules from the stored templates, outbox rows), one
transaction per event, and prints a report: events read, applied, duplicates,
ignored, invalid (with reasons), failed, and awards granted and revoked.

Events come from a JSON-lines file (one event per line in eventbus.Event's JSON
form, as package eventbus/filebus reads and writes it: id, type, source,
specversion, time, minorversion, key, data; "-" reads stdin; --checkpoint
makes an interrupted replay resume where it stopped) or from Kafka: --kafka BROKERS --topic TOPIC --from RFC3339 [--to
RFC3339] with the schema registry at --registry. A Kafka replay joins its own
consumer group (--kafka-group) starting each partition at --from, skips events
after --to and stops once no event arrived for --idle.

Events already applied by the consumer group --group (default "credshare", the
pipeline's) are counted as duplicates and change nothing, so a replay can be
repeated safely. Badge templates whose provider is listed in --providers get
their provider calls queued in the outbox (run by the dispatcher of your
deployment); others are recorded only.

A progress bar is drawn on stderr when it is a terminal.
Exit status: 0 when every event was applied, a duplicate or ignored; 2 when
some were invalid or failed; 1 on usage errors.`,
		Example: `  credshare replay events.jsonl
  credshare replay --json --group backfill events.jsonl
  credshare replay --kafka broker:9092 --registry http://registry:8081 \
    --topic learning-certificate-lifecycle --from 2026-03-01T00:00:00Z --to 2026-03-02T00:00:00Z`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			kafka := brokers != ""
			if kafka == (len(args) == 1) {
				return fmt.Errorf("give either a JSON-lines FILE (or -) or --kafka BROKERS, not both or neither")
			}
			var from, to time.Time
			var err error
			if fromS != "" {
				if from, err = time.Parse(time.RFC3339, fromS); err != nil {
					return fmt.Errorf("--from %q is not RFC 3339", fromS)
				}
			}
			if toS != "" {
				if to, err = time.Parse(time.RFC3339, toS); err != nil {
					return fmt.Errorf("--to %q is not RFC 3339", toS)
				}
			}
			if !from.IsZero() && !to.IsZero() && !to.After(from) {
				return fmt.Errorf("--to must be after --from")
			}
			if kafka && idle <= 0 {
				return fmt.Errorf("--idle must be positive")
			}
			if kafka && (topic == "" || from.IsZero() || registry == "") {
				return fmt.Errorf("a Kafka replay needs --topic, --from and --registry")
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rules, err := pipeline.LoadRules(ctx, st.Config())
			if err != nil {
				return fmt.Errorf("loading badge rules from the store: %w", err)
			}
			provs, err := replayProviders(st, providers)
			if err != nil {
				return err
			}
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			defer mp.Shutdown(context.Background())
			p, err := pipeline.New(pipeline.Config{
				Store: st, Group: group, Rules: rules, Providers: provs,
				Logger: slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Meter:  mp.Meter("credshare-replay"),
			})
			if err != nil {
				return err
			}
			run := &replayRun{}
			started := time.Now()
			src := "kafka " + topic
			if !kafka {
				src = args[0]
				err = replayFile(ctx, g, p, run, args[0], checkpoint, cmd.InOrStdin(), from, to, !noProgress)
			} else {
				err = replayKafka(ctx, g, p, run, kafkabus.SourceConfig{
					Client:     kafkabus.ClientConfig{Brokers: strings.Split(brokers, ","), TopicPrefix: prefix},
					Registry:   kafkabus.RegistryConfig{URLs: strings.Split(registry, ",")},
					Group:      kafkaGroup,
					Topics:     []string{topic},
					ReplayFrom: from,
				}, from, to, idle, !noProgress)
			}
			if err != nil {
				return err
			}
			rep, err := buildReport(ctx, reader, run)
			if err != nil {
				return err
			}
			rep.Source, rep.Group, rep.Elapsed = src, p.Group(), time.Since(started).Round(time.Millisecond).String()
			if err := g.emit(rep, func(w io.Writer) { printReplay(w, rep) }); err != nil {
				return err
			}
			if rep.Invalid > 0 || rep.Failed > 0 {
				return exitCode(2)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&group, "group", "credshare", "consumer group the processed-event marks are kept for")
	f.StringVar(&providers, "providers", "credly,accredible", "badge providers whose calls are queued in the outbox (empty: none)")
	f.StringVar(&brokers, "kafka", "", "Kafka seed brokers (host:port,…) to replay from")
	f.StringVar(&topic, "topic", "", "base topic to replay (e.g. learning-certificate-lifecycle)")
	f.StringVar(&prefix, "topic-prefix", "", "Open edX EVENT_BUS_TOPIC_PREFIX")
	f.StringVar(&registry, "registry", "", "schema registry URL(s), comma-separated")
	f.StringVar(&kafkaGroup, "kafka-group", "credshare-replay", "Kafka consumer group of the replay (keep it apart from the live consumer's)")
	f.StringVar(&fromS, "from", "", "replay events from this time (RFC 3339)")
	f.StringVar(&toS, "to", "", "replay events up to this time (RFC 3339)")
	f.DurationVar(&idle, "idle", 10*time.Second, "a Kafka replay stops after this long without events")
	f.StringVar(&checkpoint, "checkpoint", "", "file keeping how many lines of FILE are done, so an interrupted replay resumes there")
	f.BoolVar(&noProgress, "no-progress", false, "never draw the progress bar")
	return cmd
}

// replayProviders returns the badge providers the pipeline queues calls
// for. They read their accounts from the store when the dispatcher calls
// them; nothing is sent during the replay.
func replayProviders(st store.Store, list string) (map[string]badge.Provider, error) {
	out := map[string]badge.Provider{}
	for _, id := range strings.Split(list, ",") {
		switch id = strings.TrimSpace(id); id {
		case "":
		case providerCredly:
			p, err := credly.NewProvider(st.Config())
			if err != nil {
				return nil, err
			}
			out[id] = p
		case providerAccredible:
			p, err := accredible.NewProvider(st.Config())
			if err != nil {
				return nil, err
			}
			out[id] = p
		default:
			return nil, fmt.Errorf("--providers: unknown provider %q (want credly, accredible)", id)
		}
	}
	return out, nil
}

// countLines counts the lines of a file (the progress bar's total).
func countLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return n
		}
	}
}

// fileHandler is the handler of a replay (file or Kafka): events outside the range are
// skipped, retryable failures are retried a few times and then reported
// (replaying again picks them up); permanent ones go back to the source,
// which dead-letters them into run.
func fileHandler(p *pipeline.Pipeline, run *replayRun, from, to time.Time, bar *progressbar.ProgressBar) eventbus.Handler {
	h := eventbus.Chain(p.Handle, eventbus.Recover(), eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 4}))
	return func(ctx context.Context, e eventbus.Event) error {
		run.read.Add(1)
		if bar != nil {
			bar.Add(1)
		}
		if !inRange(e, from, to) {
			run.outOfRange.Add(1)
			return nil
		}
		err := h(ctx, e)
		if err != nil && !retry.IsPermanent(err) && ctx.Err() == nil {
			run.problem(replayProblem{Line: lineOf(e), ID: e.ID, Type: e.Type, Reason: err.Error(), Failed: true})
			return nil
		}
		if err != nil && retry.IsPermanent(err) {
			return handledError{err}
		}
		return err
	}
}

// lineOf returns the line number filebus records for an event (0 if none).
func lineOf(e eventbus.Event) int {
	if e.Msg == nil || e.Msg.Transport != "file" {
		return 0
	}
	return int(e.Msg.Offset)
}

// replayFile replays a JSON-lines file through filebus (stdin, "-", is read
// here line by line with filebus.Decode).
func replayFile(ctx context.Context, g *globals, p *pipeline.Pipeline, run *replayRun, path, checkpoint string, stdin io.Reader,
	from, to time.Time, progress bool) error {
	if path != "-" {
		bar := newBar(g, progress, countLines(path), "replaying "+path)
		defer finishBar(bar)
		run.bar = bar
		src, err := filebus.NewSource(filebus.SourceConfig{Path: path, Checkpoint: checkpoint, DeadLetter: run,
			RetryBackoff: 200 * time.Millisecond, MaxLineBytes: maxEventLine})
		if err != nil {
			return err
		}
		defer src.Close()
		h := fileHandler(p, run, from, to, bar)
		if err := src.Receive(ctx, h); err != nil {
			return err
		}
		return ctx.Err()
	}
	if checkpoint != "" {
		return fmt.Errorf("--checkpoint needs a file, not stdin")
	}
	h := fileHandler(p, run, from, to, nil)
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), maxEventLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		e, err := filebus.Decode(b)
		e.Msg = &eventbus.Message{Transport: "file", Topic: "-", Offset: int64(line)}
		if err != nil {
			run.DeadLetter(ctx, e, err)
			continue
		}
		if err := h(ctx, e); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			run.DeadLetter(ctx, e, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("stdin: line %d is longer than %d bytes", line+1, maxEventLine)
		}
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}

func inRange(e eventbus.Event, from, to time.Time) bool {
	if e.Time.IsZero() {
		return true
	}
	return (from.IsZero() || !e.Time.Before(from)) && (to.IsZero() || !e.Time.After(to))
}

func replayKafka(ctx context.Context, g *globals, p *pipeline.Pipeline, run *replayRun, cfg kafkabus.SourceConfig,
	from, to time.Time, idle time.Duration, progress bool) error {
	cfg.DeadLetter = run
	cfg.Logger = slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	src, err := kafkabus.NewSource(cfg)
	if err != nil {
		return err
	}
	defer src.Close()
	bar := newBar(g, progress, -1, "replaying "+cfg.Topics[0])
	defer finishBar(bar)
	run.bar = bar
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	inner := fileHandler(p, run, from, to, bar)
	h := func(ctx context.Context, e eventbus.Event) error {
		last.Store(time.Now().UnixNano())
		return inner(ctx, e)
	}
	done := make(chan error, 1)
	go func() { done <- src.Receive(rctx, h) }()
	tick := time.NewTicker(idle / 10)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		case <-tick.C:
			if time.Since(time.Unix(0, last.Load())) >= idle {
				cancel()
				err := <-done
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
	}
}

// newBar returns a progress bar on stderr when it is a terminal, else nil.
func newBar(g *globals, want bool, max int64, desc string) *progressbar.ProgressBar {
	f, ok := g.errOut.(*os.File)
	if !want || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(desc),
		progressbar.OptionThrottle(100 * time.Millisecond), progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30), progressbar.OptionShowElapsedTimeOnFinish(),
	}
	if max > 0 {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString("events"), progressbar.OptionShowIts())
	}
	return progressbar.NewOptions64(max, opts...)
}

func finishBar(b *progressbar.ProgressBar) {
	if b != nil {
		b.Finish()
	}
}

// buildReport reads the pipeline's counters (events by outcome, award
// transitions by kind) from the metric reader and merges the run's own.
func buildReport(ctx context.Context, reader *sdkmetric.ManualReader, run *replayRun) (replayReport, error) {
	rep := replayReport{
		Read: run.read.Load(), Invalid: run.invalid.Load(), Failed: run.failed.Load(),
		OutOfRange: run.outOfRange.Load(), ByKind: map[string]int64{},
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return rep, fmt.Errorf("reading the pipeline's counters: %w", err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				switch m.Name {
				case "credshare.events":
					switch attr(dp.Attributes, "outcome") {
					case "applied":
						rep.Applied += dp.Value
					case "duplicate":
						rep.Duplicates += dp.Value
					case "ignored":
						rep.Ignored += dp.Value
					}
				case "credshare.award.transitions":
					verb := attr(dp.Attributes, "transition")
					if verb == "granted" {
						rep.Granted += dp.Value
					} else if verb == "revoked" {
						rep.Revoked += dp.Value
					}
					rep.ByKind[attr(dp.Attributes, "kind")+" "+verb] += dp.Value
				}
			}
		}
	}
	if len(rep.ByKind) == 0 {
		rep.ByKind = nil
	}
	run.mu.Lock()
	rep.Problems, rep.ProblemsTruncated = run.problems, run.truncated
	run.mu.Unlock()
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Line < rep.Problems[j].Line })
	return rep, nil
}

func attr(set attribute.Set, key attribute.Key) string {
	v, _ := set.Value(key)
	return v.AsString()
}

func printReplay(w io.Writer, r replayReport) {
	fmt.Fprintf(w, "replayed %s for group %q in %s\n", r.Source, r.Group, r.Elapsed)
	fmt.Fprintf(w, "  events read:    %d\n", r.Read)
	fmt.Fprintf(w, "  applied:        %d\n", r.Applied)
	fmt.Fprintf(w, "  duplicates:     %d\n", r.Duplicates)
	fmt.Fprintf(w, "  ignored:        %d\n", r.Ignored)
	if r.OutOfRange > 0 {
		fmt.Fprintf(w, "  out of range:   %d\n", r.OutOfRange)
	}
	fmt.Fprintf(w, "  invalid:        %d\n", r.Invalid)
	fmt.Fprintf(w, "  failed:         %d\n", r.Failed)
	fmt.Fprintf(w, "  awards granted: %d\n", r.Granted)
	fmt.Fprintf(w, "  awards revoked: %d\n", r.Revoked)
	keys := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "    %-32s %d\n", k, r.ByKind[k])
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(w, "  problems:")
		for _, p := range r.Problems {
			where := ""
			if p.Line > 0 {
				where = fmt.Sprintf("line %d ", p.Line)
			}
			id := p.ID
			if id == "" {
				id = "(no id)"
			}
			kind := "invalid"
			if p.Failed {
				kind = "failed"
			}
			fmt.Fprintf(w, "    - %s%s [%s]: %s\n", where, id, kind, p.Reason)
		}
		if r.ProblemsTruncated {
			fmt.Fprintf(w, "    … more problems not listed (first %d shown)\n", maxListedInvalid)
		}
	}
}
