// Package lifecycle holds the state every eventbus.Source adapter shares:
// at most one Receive at a time, and none once the source is closed.
package lifecycle

import (
	"errors"
	"sync"

	"github.com/credshare/credshare/eventbus"
)

// Guard is a source's running/closed state. The zero value is an open
// source with no Receive running; a Guard must not be copied after use.
type Guard struct {
	mu      sync.Mutex
	running bool
	closed  bool
}

// Start marks a Receive as running. It fails with eventbus.ErrClosed
// after Close, and with an error naming the adapter (its package name,
// e.g. "kafkabus") while another Receive runs. On success the caller
// defers done, which marks the Receive as finished.
func (g *Guard) Start(adapter string) (done func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		return nil, eventbus.ErrClosed
	case g.running:
		return nil, errors.New(adapter + ": Receive is already running")
	}
	g.running = true
	return func() {
		g.mu.Lock()
		g.running = false
		g.mu.Unlock()
	}, nil
}

// Close marks the source closed and reports whether this call closed it,
// so that the adapter releases its resources exactly once.
func (g *Guard) Close() (first bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	first = !g.closed
	g.closed = true
	return first
}
