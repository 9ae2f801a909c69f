// Command credshare is the credshare command-line tool: generate issuer
// keys and DID documents, issue and verify credentials, bake them into
// badge images and read them back, inspect status lists, sync badge
// templates, replay events through the pipeline, manage dead outbox items
// and revoke or reinstate awards as a person.
//
// revoke and reinstate call no provider and publish nothing: they record
// the decision and queue its provider calls and badge events in the
// outbox (pipeline.Config.QueueProviders and QueuePublish), for the running
// deployment's dispatcher to perform.
//
// Install it with
//
//	go install github.com/credshare/credshare/cmd/credshare@latest
//
// # Commands
//
//	keygen            a new Ed25519 issuer: did:key, or did:web with its DID document
//	issue             sign an Open Badges 3.0 credential (any proof type, VC 2.0 or 1.1)
//	verify            verify a credential offline (or with --allow-network); exit 0 only when valid
//	bake              bake a credential into a PNG or SVG badge image (Open Badges 3.0 baking)
//	unbake            print the credential baked into an image; --verify checks it as verify does
//	status            inspect a status list credential or check one entry; status list: the store's lists
//	templates         sync Credly/Accredible templates, load and list badge rules
//	replay            run a JSON-lines file or a Kafka time range through the pipeline
//	deadletter        list and re-queue dead outbox items
//	awards            list stored awards, every generation, with who revoked them
//	revoke            revoke an award as a person (the rules never award it again)
//	reinstate         reverse a revocation as a person: a new credential, the next generation
//
// docs/cli.md describes every flag.
//
// # Store and output
//
// Every command accepts --json for output that scripts can read. The store is
// chosen with --db (or CREDSHARE_DB): sqlite:PATH (the default,
// ./credshare.db), mysql:DSN or mem:. A password in a DSN is never printed.
//
// # Exit codes
//
// 0 on success; 2 when the command ran but the answer is negative (a
// credential that is not valid, a set status entry, invalid events in a
// replay); 1 on usage errors and failures.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "credshare:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with a code after the command printed its own
// verdict (e.g. verify on an invalid credential exits 2).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
