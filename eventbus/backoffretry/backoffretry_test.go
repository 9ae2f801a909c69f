package backoffretry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/backoffretry"
)

func policy() backoff.BackOff {
	return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Millisecond), 3)
}

func TestRetry(t *testing.T) {
	calls := 0
	h := backoffretry.Retry(backoffretry.Config{NewBackOff: policy})(func(context.Context, eventbus.Event) error {
		calls++
		if calls < 3 {
			return errors.New("busy")
		}
		return nil
	})
	if err := h(context.Background(), eventbus.Event{}); err != nil || calls != 3 {
		t.Fatalf("err=%v calls=%d", err, calls)
	}
}

func TestPermanentStopsAndExhaustion(t *testing.T) {
	calls := 0
	bad := errors.New("bad data")
	h := backoffretry.Retry(backoffretry.Config{NewBackOff: policy})(func(context.Context, eventbus.Event) error {
		calls++
		return retry.Permanent(bad)
	})
	if err := h(context.Background(), eventbus.Event{}); !errors.Is(err, bad) || !retry.IsPermanent(err) || calls != 1 {
		t.Fatalf("err=%v calls=%d", err, calls)
	}
	calls = 0
	down := func(context.Context, eventbus.Event) error { calls++; return errors.New("down") }
	err := backoffretry.Retry(backoffretry.Config{NewBackOff: policy})(down)(context.Background(), eventbus.Event{})
	if err == nil || retry.IsPermanent(err) || calls != 4 {
		t.Fatalf("exhausted: err=%v calls=%d", err, calls)
	}
	err = backoffretry.Retry(backoffretry.Config{NewBackOff: policy, GiveUp: true})(down)(context.Background(), eventbus.Event{})
	if !retry.IsPermanent(err) {
		t.Fatalf("GiveUp: %v", err)
	}
}

func ExampleRetry() {
	h := eventbus.Chain(func(context.Context, eventbus.Event) error { return nil },
		backoffretry.Retry(backoffretry.Config{NewBackOff: func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewExponentialBackOff(), 5)
		}}))
	_ = h
}
