// Command credshare is the credshare command-line tool: generate issuer
// keys and DID documents, issue and verify credentials, inspect status
// lists, sync badge templates, replay events through the pipeline and manage
// dead outbox items.
//
// Install it with
//
//	go install github.com/credshare/credshare/cmd/credshare@latest
//
// Every command accepts --json for output that scripts can read. The store is
// chosen with --db (or CREDSHARE_DB): sqlite:PATH (the default,
// ./credshare.db), mysql:DSN or mem:.
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
