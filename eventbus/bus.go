package eventbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credshare/credshare/credential/retry"
)

// Sentinel errors. ErrInvalidEvent and ErrDecode, and every error wrapping
// them, are permanent (retry.IsPermanent).
var (
	// ErrInvalidEvent reports an event that lacks a required attribute or
	// whose data does not fit its type.
	ErrInvalidEvent = retry.Permanent(errors.New("eventbus: invalid event"))
	// ErrDecode reports a message that cannot be decoded into an event (bad
	// framing, unknown schema, truncated data, missing ce_id, oversized
	// value). Sources dead-letter such messages and carry on.
	ErrDecode = retry.Permanent(errors.New("eventbus: cannot decode message"))
	// ErrClosed reports use of a closed source or publisher.
	ErrClosed = errors.New("eventbus: closed")
)

// Handler handles one event. It returns nil when the event's effects are
// committed; only then does the source acknowledge the message. An error
// that is permanent (retry.IsPermanent: marked with retry.Permanent, or
// wrapping ErrDecode or ErrInvalidEvent) sends the message to the dead-letter queue (then it
// is acknowledged); any other error leaves the message unacknowledged, so it
// is delivered again. Handlers may be called concurrently for events of
// different partitions or streams, never for two events of one partition.
type Handler func(ctx context.Context, e Event) error

// Middleware wraps a Handler with a policy (retry, dedup, timeout, …).
type Middleware func(Handler) Handler

// Chain wraps h in mws; the first middleware is the outermost, so
// Chain(h, Recover(), Retry(p)) runs Recover(Retry(h)).
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Source delivers events from a bus to a Handler.
//
// Acknowledgement contract (every adapter, checked by eventbustest): a
// message is acknowledged (Kafka offset committed, Redis XACK, …) only after
// the handler returned nil for it, or after it was written to the dead-letter
// queue — never before. A message whose handler returned a retryable error
// is delivered again (to this consumer after a pause, or to another one of
// the group when this one dies). A message that cannot be decoded is
// dead-lettered with the reason and acknowledged, and consumption goes on.
type Source interface {
	// Receive delivers events to h until ctx is done, then waits for the
	// handlers in flight, acknowledges what they finished and returns nil.
	// It returns an error only when the bus fails in a way it cannot
	// recover from (for example a dead-letter queue it cannot write to for
	// longer than the configured patience). Calling Receive twice at once
	// on one Source is an error.
	Receive(ctx context.Context, h Handler) error
	// Close releases the source's resources. Messages that were delivered
	// but not acknowledged are redelivered to another consumer of the
	// group. Close is safe to call more than once.
	Close() error
}

// BatchHandler handles several events of one partition at once, in
// partition order, and returns one error per event (len(es) errors, in the
// same order), each meaning what a Handler's error means for that event: nil
// once its effects are committed, a permanent error to dead-letter it, any
// other error to have it delivered again. A source acknowledges an event
// only after the handler returned for the whole batch. A BatchHandler must
// not panic; a source dead-letters every event of a batch whose handler
// panicked.
type BatchHandler func(ctx context.Context, es []Event) []error

// BatchOptions bound the batches a BatchSource delivers.
type BatchOptions struct {
	// MaxEvents is the largest batch; 0 means 256.
	MaxEvents int
	// Linger is how long the source may wait for more events once it has
	// some but fewer than MaxEvents; 0 means not at all. An idle bus never
	// holds back an event for longer than Linger.
	Linger time.Duration
}

// BatchSource is an optional capability of a Source: delivering the events
// already available (up to BatchOptions.MaxEvents per partition) to one
// BatchHandler call, so the handler can apply them in one transaction. The
// acknowledgement contract is Source's, per event.
type BatchSource interface {
	Source
	// ReceiveBatch is Receive with a BatchHandler.
	ReceiveBatch(ctx context.Context, h BatchHandler, opts BatchOptions) error
}

// Publisher sends events to a bus the way Open edX producers do (headers,
// framing, keys). Publish is safe for concurrent use.
type Publisher interface {
	// Publish sends e to topic, the base topic name (the publisher applies
	// its topic prefix). It returns after the bus acknowledged the write.
	// An event with an empty Key gets the value at its type's KeyField.
	// Publishing the same event (same ID) twice sends it twice; consumers
	// deduplicate on the ID, so callers retrying a publish should reuse it.
	Publish(ctx context.Context, topic string, e Event) error
	// Close flushes and releases the publisher.
	Close() error
}

// DeadLetterer stores a message that cannot be handled, together with the
// reason, so an operator can inspect and replay it. Adapters write the
// original message bytes and headers (e.Msg) when present.
type DeadLetterer interface {
	// DeadLetter stores e with reason. It returns nil only once the message
	// is durably stored in the dead-letter queue.
	DeadLetter(ctx context.Context, e Event, reason error) error
}

// DecodeError returns an error matching ErrDecode (and so permanent) with a
// reason, for adapters reporting poison messages.
func DecodeError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDecode, fmt.Sprintf(format, args...))
}

// PanicError is the error Recover returns for a handler that panicked.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error implements error.
func (p *PanicError) Error() string { return fmt.Sprintf("eventbus: handler panicked: %v", p.Value) }

// Retryable reports false: a panic is permanent.
func (p *PanicError) Retryable() bool { return false }
