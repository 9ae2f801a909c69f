package lifecycle

import (
	"errors"
	"strings"
	"testing"

	"github.com/credshare/credshare/eventbus"
)

func TestGuard(t *testing.T) {
	var g Guard
	done, err := g.Start("testbus")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Start("testbus"); err == nil || !strings.Contains(err.Error(), "testbus: Receive is already running") {
		t.Fatalf("second Start = %v", err)
	}
	done()
	done2, err := g.Start("testbus")
	if err != nil {
		t.Fatalf("Start after done = %v", err)
	}
	done2()
	if !g.Close() || g.Close() {
		t.Fatal("Close must report true exactly once")
	}
	if _, err := g.Start("testbus"); !errors.Is(err, eventbus.ErrClosed) {
		t.Fatalf("Start after Close = %v, want ErrClosed", err)
	}
}
