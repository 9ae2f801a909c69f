package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// realMain runs the program and returns its exit code: 0 after a clean
// shutdown (or a -fake run that saw every event through), 1 when something
// failed, 2 for bad flags or configuration.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("openedx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("CREDSHARE_CONFIG_FILE"), "configuration `file` (.json, .yaml or .yml); environment variables override it (default $CREDSHARE_CONFIG_FILE)")
	checkOnly := fs.Bool("check-config", false, "validate the configuration, print it without secrets, and exit")
	fake := fs.Bool("fake", false, "(Kafka only) run against in-process Kafka (kfake), schema registry (srfake), Credly fake and SQLite with seeded Open edX events; print a summary and exit")
	serve := fs.Bool("serve", false, "with -fake: keep serving after the summary until interrupted")
	dataDir := fs.String("data", "", "with -fake: `directory` for the SQLite file (default a temporary one, removed at exit)")
	fakeAddr := fs.String("addr", "", "with -fake: HTTP listen address (default 127.0.0.1:0, or 127.0.0.1:8080 with -serve)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `openedx: the credshare deployment for an Open edX site.

It consumes the LMS's events from the Open edX event bus — Redis Streams
when EVENT_BUS_REDIS_CONNECTION_URL is set (as event-bus-redis writes them,
the bus Tutor runs), Kafka when EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS is (Avro +
schema registry, as event-bus-kafka writes them) — awards course
certificates and badges in MySQL (or SQLite), issues badges on Credly and
Accredible through an outbox, publishes badge.awarded / badge.revoked back
on the same bus, and serves /healthz, /readyz, /metrics and the Credly
webhook.

Usage:
  openedx [-config FILE] [-check-config]
  openedx -fake [-serve] [-data DIR] [-addr HOST:PORT]

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, "\nSettings (environment variable, configuration file key, default, Open edX counterpart):\n\n")
		writeSettingsHelp(w)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openedx: unexpected argument %q (see -help)\n", fs.Arg(0))
		return 2
	}

	if *fake {
		addr := *fakeAddr
		if addr == "" && *serve {
			addr = "127.0.0.1:8080"
		}
		_, err := runFake(ctx, fakeOptions{Out: stdout, Log: stderr, LogLevel: getenv("CREDSHARE_LOG_LEVEL"), Dir: *dataDir,
			Serve: *serve, Addr: addr, Timeout: 60 * time.Second})
		if err != nil {
			fmt.Fprintf(stderr, "openedx -fake: %v\n", err)
			return 1
		}
		return 0
	}

	cfg, err := LoadConfig(*configPath, getenv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "openedx: invalid configuration:\n%v\n(run with -help for every setting)\n", indent(err.Error()))
		return 2
	}
	lvl, _ := logLevel(cfg.Log.Level)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if *checkOnly {
		log.Info("configuration is valid", "config", cfg)
		return 0
	}
	log.Info("starting", "config", cfg)
	app, err := NewApp(ctx, cfg, log, appOptions{})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := app.Run(ctx); err != nil {
		log.Error("stopped with an error", "err", err)
		return 1
	}
	return 0
}

func indent(s string) string {
	out := "  "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "  "
		}
	}
	return out
}
