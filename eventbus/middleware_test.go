package eventbus_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
)

var fast = eventbus.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond, Max: 2 * time.Millisecond}

func TestRetryRetriesRetryableOnly(t *testing.T) {
	calls := 0
	h := eventbus.Retry(fast)(func(context.Context, eventbus.Event) error {
		calls++
		if calls < 3 {
			return errors.New("db down")
		}
		return nil
	})
	if err := h(context.Background(), eventbus.Event{}); err != nil || calls != 3 {
		t.Fatalf("err=%v calls=%d", err, calls)
	}

	calls = 0
	perm := eventbus.Retry(fast)(func(context.Context, eventbus.Event) error {
		calls++
		return retry.Permanent(errors.New("bad data"))
	})
	if err := perm(context.Background(), eventbus.Event{}); !retry.IsPermanent(err) || calls != 1 {
		t.Fatalf("permanent: err=%v calls=%d", err, calls)
	}
}

func TestRetryExhaustion(t *testing.T) {
	fail := func(context.Context, eventbus.Event) error { return errors.New("still down") }
	err := eventbus.Retry(fast)(fail)(context.Background(), eventbus.Event{})
	if err == nil || retry.IsPermanent(err) || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("without GiveUp: %v", err)
	}
	p := fast
	p.GiveUp = true
	if err := eventbus.Retry(p)(fail)(context.Background(), eventbus.Event{}); !retry.IsPermanent(err) {
		t.Fatalf("with GiveUp: %v", err)
	}
}

func TestRetryStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	h := eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 100, Initial: time.Hour})(func(context.Context, eventbus.Event) error {
		calls++
		cancel()
		return errors.New("x")
	})
	if err := h(ctx, eventbus.Event{}); err == nil || calls != 1 {
		t.Fatalf("err=%v calls=%d", err, calls)
	}
}

func TestBackoffIsCappedAndGrows(t *testing.T) {
	p := eventbus.RetryPolicy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Jitter: -1}
	want := []time.Duration{10, 20, 40, 50, 50}
	for i, w := range want {
		if got := p.Backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	p.Jitter = 0.5
	for i := 0; i < 100; i++ {
		d := p.Backoff(2)
		if d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("jittered Backoff(2) = %v", d)
		}
	}
}

type processed map[string]bool

func (p processed) IsProcessed(_ context.Context, group, id string) (bool, error) {
	return p[group+"/"+id], nil
}

func TestDedup(t *testing.T) {
	calls := 0
	h := eventbus.Dedup("g", processed{"g/1": true})(func(context.Context, eventbus.Event) error { calls++; return nil })
	_ = h(context.Background(), eventbus.Event{ID: "1"})
	_ = h(context.Background(), eventbus.Event{ID: "2"})
	if calls != 1 {
		t.Fatalf("calls = %d, want 1", calls)
	}
}

type recordingDLQ struct {
	mu      sync.Mutex
	reasons []string
	fail    bool
}

func (d *recordingDLQ) DeadLetter(_ context.Context, e eventbus.Event, reason error) error {
	if d.fail {
		return errors.New("dlq down")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reasons = append(d.reasons, e.ID+": "+reason.Error())
	return nil
}

func TestDeadLetterAndRecover(t *testing.T) {
	dlq := &recordingDLQ{}
	h := eventbus.Chain(func(_ context.Context, e eventbus.Event) error {
		switch e.ID {
		case "panic":
			panic("boom")
		case "perm":
			return retry.Permanent(errors.New("bad"))
		case "retry":
			return errors.New("later")
		}
		return nil
	}, eventbus.DeadLetter(dlq), eventbus.Recover())
	for _, id := range []string{"ok", "panic", "perm"} {
		if err := h(context.Background(), eventbus.Event{ID: id}); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if err := h(context.Background(), eventbus.Event{ID: "retry"}); err == nil || retry.IsPermanent(err) {
		t.Errorf("retry: %v", err)
	}
	if len(dlq.reasons) != 2 || !strings.Contains(dlq.reasons[0], "panicked: boom") || !strings.Contains(dlq.reasons[1], "perm: bad") {
		t.Fatalf("reasons = %q", dlq.reasons)
	}
	dlq.fail = true
	if err := h(context.Background(), eventbus.Event{ID: "perm"}); err == nil || retry.IsPermanent(err) {
		t.Fatalf("failing DLQ must give a retryable error, got %v", err)
	}
}

func TestTimeout(t *testing.T) {
	h := eventbus.Timeout(5 * time.Millisecond)(func(ctx context.Context, _ eventbus.Event) error {
		<-ctx.Done()
		return ctx.Err()
	})
	err := h(context.Background(), eventbus.Event{})
	if !errors.Is(err, eventbus.ErrTimeout) || retry.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestIsPermanent(t *testing.T) {
	for err, want := range map[error]bool{
		nil:                               false,
		errors.New("x"):                   false,
		retry.Permanent(errors.New("x")):  true,
		eventbus.DecodeError("bad magic"): true,
		&eventbus.PanicError{Value: 1}:    true,
		eventbus.ErrInvalidEvent:          true,
		context.DeadlineExceeded:          false,
		&url.Error{Op: "Get", URL: "http://registry", Err: context.Canceled}: false,
	} {
		if got := retry.IsPermanent(err); got != want {
			t.Errorf("retry.IsPermanent(%v) = %v", err, got)
		}
	}
	if retry.Permanent(nil) != nil {
		t.Error("retry.Permanent(nil) != nil")
	}
}

// store.Events is what the pipeline passes to Dedup.
var _ eventbus.ProcessedChecker = (store.Events)(nil)
