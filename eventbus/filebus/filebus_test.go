package filebus_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/filebus"
)

func writeFile(t *testing.T, events []eventbus.Event, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	var buf bytes.Buffer
	w := filebus.NewWriter(&buf)
	for i, e := range events {
		if err := w.Publish(context.Background(), "", e); err != nil {
			t.Fatal(err)
		}
		if i < len(extra) {
			buf.WriteString(extra[i] + "\n")
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReplayRoundTrip(t *testing.T) {
	want := append(eventbustest.Events(5), eventbustest.UnknownEvent())
	path := writeFile(t, want)
	src, err := filebus.NewSource(filebus.SourceConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var got []eventbus.Event
	if err := src.Receive(context.Background(), func(_ context.Context, e eventbus.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d events", len(got))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.ID != w.ID || g.Type != w.Type || g.Key != w.Key || !g.Time.Equal(w.Time.Truncate(time.Microsecond)) || !reflect.DeepEqual(g.Data, w.Data) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
		if g.Msg == nil || g.Msg.Offset != int64(i+1) {
			t.Errorf("event %d: Msg %+v", i, g.Msg)
		}
	}
	if _, err := got[0].Certificate(); err != nil {
		t.Errorf("typed accessor after JSON round trip: %v", err)
	}
}

func TestPoisonLinesAndRetries(t *testing.T) {
	events := eventbustest.Events(4)
	path := writeFile(t, events, "{not json", `{"type":"x","data":{}}`, strings.Repeat("x", 3000))
	src, err := filebus.NewSource(filebus.SourceConfig{Path: path, RetryBackoff: time.Millisecond, MaxLineBytes: 2000})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	err = src.Receive(context.Background(), func(_ context.Context, e eventbus.Event) error {
		calls[e.ID]++
		switch {
		case e.ID == events[1].ID && calls[e.ID] < 3:
			return errors.New("database busy")
		case e.ID == events[2].ID:
			return retry.Permanent(errors.New("bad template"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls[events[1].ID] != 3 || calls[events[2].ID] != 1 || calls[events[3].ID] != 1 {
		t.Fatalf("calls %v", calls)
	}
	f, err := os.Open(path + ".dlq")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var reasons []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r filebus.DeadLetterRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		reasons = append(reasons, r.Origin+" "+r.Reason)
	}
	want := []string{"json", "missing id", "bad template", "more than 2000 bytes"}
	if len(reasons) != len(want) {
		t.Fatalf("dead letters %q", reasons)
	}
	for i, w := range want {
		if !strings.Contains(reasons[i], w) {
			t.Errorf("dead letter %d = %q, want %q", i, reasons[i], w)
		}
	}
}

func TestCheckpointResumes(t *testing.T) {
	events := eventbustest.Events(6)
	path := writeFile(t, events)
	cp := filepath.Join(t.TempDir(), "cp")
	src, _ := filebus.NewSource(filebus.SourceConfig{Path: path, Checkpoint: cp, RetryBackoff: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	seen := map[string]int{}
	_ = src.Receive(ctx, func(ctx context.Context, e eventbus.Event) error {
		if e.ID == events[3].ID {
			cancel() // stop mid-replay: this line is not done
			return ctx.Err()
		}
		seen[e.ID]++
		return nil
	})
	src2, _ := filebus.NewSource(filebus.SourceConfig{Path: path, Checkpoint: cp})
	if err := src2.Receive(context.Background(), func(_ context.Context, e eventbus.Event) error { seen[e.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if seen[e.ID] != 1 {
			t.Errorf("event %s handled %d times", e.ID, seen[e.ID])
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := filebus.Encode(eventbustest.Events(1)[0])
	f.Add(b)
	f.Add([]byte(`{"id":"1","type":"t","data":{"n":1e400}}`))
	f.Add([]byte(`{"id":"1","type":"t","time":"x","data":{}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := filebus.Decode(line)
		if err != nil {
			if !errors.Is(err, eventbus.ErrDecode) {
				t.Fatalf("not ErrDecode: %v", err)
			}
			return
		}
		if e.Validate() != nil {
			t.Fatal("decoded an invalid event")
		}
	})
}
