// Command quickstart runs the whole credshare pipeline on the embedded
// default, with no server and no account: a SQLite file, the in-memory
// event bus fed with bundled, realistic Open edX events, badge rules from a
// bundled rules file, a generated did:key issuer, badges and certificates
// issued as signed Open Badges 3.0 credentials, and status lists with a
// revocation in them.
//
//	go run ./examples/quickstart [-data DIR] [-out DIR] [-serve ADDR] [-events FILE] [-rules FILE] [-v]
//
// # What it does
//
// The bundled events (data/events.jsonl) are published to an in-memory bus
// and consumed by a consumer group into pipeline.Pipeline, one store
// transaction per event. The rules (data/rules.yaml) award three badges;
// certificates are issued too (Config.CertificateProvider). The outbox
// dispatcher issues every award through the native Open Badges 3.0 provider
// (badge/obv3), which allocates a status list entry and signs the
// credential; revocations set the bits in the same transaction. Badge
// events are published back to the bus as Open edX consumers expect them.
//
// # Output
//
// Every issued credential and every status list credential is written as
// JSON into -out (default ./out), with the issuer's DID document and a
// Learner Credential Wallet deep link and QR code per awarded credential.
// Each credential is verified through the status list endpoint the program
// serves on 127.0.0.1 (valid, or revoked for the revoked awards). A summary
// is printed and the program exits 0; with -serve ADDR it keeps serving the
// DID document, the status lists, the wallet endpoints and every issued
// credential's public verification page (vc/verifypage: /credentials/{id},
// HTML or JSON, verified on each request; listed in the summary and at /)
// until interrupted.
//
// # Badge platforms
//
// When CREDLY_ORG_ID and CREDLY_TOKEN (and optionally CREDLY_SANDBOX=1) are
// set, templates whose provider is "credly" in the rules file are issued
// through Credly; likewise ACCREDIBLE_API_KEY (and ACCREDIBLE_SANDBOX=1) for
// "accredible". The bundled rules issue everything natively.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	data, out, serve, events, rules string
	verbose                         bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "", "folder for the SQLite database (default: a temporary folder, removed at exit)")
	fs.StringVar(&o.out, "out", "out", "folder the issued credentials and status lists are written to")
	fs.StringVar(&o.serve, "serve", "", "keep serving the DID document, status lists, verification pages and wallet links on this address (e.g. 127.0.0.1:8080) until interrupted")
	fs.StringVar(&o.events, "events", "", "JSON-lines file of Open edX events (default: the bundled events)")
	fs.StringVar(&o.rules, "rules", "", "badge rules file, YAML or JSON (default: the bundled rules)")
	fs.BoolVar(&o.verbose, "v", false, "log every step")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}
