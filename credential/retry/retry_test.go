package retry_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/credshare/credshare/credential/retry"
)

type selfJudging struct{ retryable bool }

func (e selfJudging) Error() string   { return "self-judging" }
func (e selfJudging) Retryable() bool { return e.retryable }

var errSentinel = retry.Permanent(errors.New("thing: invalid"))

func TestVerdict(t *testing.T) {
	plain := errors.New("boom")
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", plain, false},
		{"marked", retry.Permanent(plain), true},
		{"marked and wrapped", fmt.Errorf("outer: %w", retry.Permanent(plain)), true},
		{"sentinel", errSentinel, true},
		{"sentinel wrapped", fmt.Errorf("decoding: %w", errSentinel), true},
		{"sentinel joined", errors.Join(plain, errSentinel), true},
		{"sentinel still matches", func() error {
			if !errors.Is(fmt.Errorf("w: %w", errSentinel), errSentinel) {
				return nil
			}
			return errSentinel
		}(), true},
		{"says retryable", selfJudging{true}, false},
		{"says not retryable", fmt.Errorf("x: %w", selfJudging{false}), true},
		{"context canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), false},
		{"cancelled url error", &url.Error{Op: "Get", URL: "https://x", Err: context.Canceled}, false},
		{"dial error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}, false},
		{"retry hint", retry.After(plain, time.Second), false},
	} {
		if got := retry.IsPermanent(c.err); got != c.want {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPermanentKeepsTheError(t *testing.T) {
	if retry.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) is not nil")
	}
	err := retry.Permanent(errSentinel)
	if err != errSentinel {
		t.Fatalf("an already permanent error is rewrapped: %#v", err)
	}
	plain := errors.New("boom")
	err = retry.Permanent(plain)
	if !errors.Is(err, plain) || err.Error() != "boom" {
		t.Fatalf("Permanent changed the error: %v", err)
	}
}

func TestDelay(t *testing.T) {
	plain := errors.New("429")
	if retry.After(nil, time.Second) != nil {
		t.Fatal("After(nil) is not nil")
	}
	if retry.After(plain, 0) != plain {
		t.Fatal("After with no wait changed the error")
	}
	err := fmt.Errorf("issue: %w", retry.After(plain, 3*time.Second))
	if d := retry.Delay(err); d != 3*time.Second {
		t.Fatalf("Delay = %v", d)
	}
	if !errors.Is(err, plain) {
		t.Fatal("After hides the cause")
	}
	if d := retry.Delay(plain); d != 0 {
		t.Fatalf("Delay of a plain error = %v", d)
	}
}

func ExampleIsPermanent() {
	errUnknownTemplate := retry.Permanent(errors.New("unknown template"))
	err := fmt.Errorf("award 42: %w", errUnknownTemplate)
	fmt.Println(retry.IsPermanent(err))
	fmt.Println(retry.IsPermanent(fmt.Errorf("award 42: %w", context.DeadlineExceeded)))
	// Output:
	// true
	// false
}
