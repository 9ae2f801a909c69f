package eventbustest

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
)

// The metrics a source records when it is given a Meter (Features.Metrics).
// The suite spells them out instead of importing an adapter's constants:
// they are the documented contract every adapter keeps.
const (
	// MetricDelivered counts messages whose handler returned nil, with
	// the attributes transport and topic.
	MetricDelivered = "credshare.bus.delivered"
	// MetricDeadLettered counts messages written to the dead-letter
	// queue, with the attributes transport, topic and reason_kind
	// (decode, panic or permanent).
	MetricDeadLettered = "credshare.bus.dead_lettered"
	// MetricLag is the observable gauge of messages the group has not
	// acknowledged (or this consumer has not handled), with the
	// attributes transport, topic, group and, on partitioned
	// transports, partition.
	MetricLag = "credshare.bus.lag"
)

// MeteredHarness is a Harness whose sources can record metrics; the suite
// needs it when Features.Metrics is set.
type MeteredHarness interface {
	Harness
	// NewMeteredSource is NewSource with the source recording on m
	// (SourceConfig.Meter in this module's adapters).
	NewMeteredSource(ctx context.Context, group string, m metric.Meter) (eventbus.Source, error)
}

// point is one collected data point.
type point struct {
	name  string
	attrs attribute.Set
	value int64
}

func keys(s attribute.Set) []string {
	var out []string
	for _, kv := range s.ToSlice() {
		out = append(out, string(kv.Key))
	}
	sort.Strings(out)
	return out
}

func attr(s attribute.Set, k string) string {
	v, _ := s.Value(attribute.Key(k))
	return v.String()
}

// checkAttrs reports points of name whose attribute keys are not want
// (sorted), or whose transport is not the one declared.
func (s suite) checkAttrs(t *testing.T, pts []point, name string, want ...string) {
	t.Helper()
	for _, p := range pts {
		if p.name != name {
			continue
		}
		if got := keys(p.attrs); !slices.Equal(got, want) {
			t.Errorf("%s has attributes %v, want %v", name, got, want)
		}
		if got := attr(p.attrs, "transport"); got != s.f.Transport {
			t.Errorf("%s{transport=%q}, want %q", name, got, s.f.Transport)
		}
	}
}

// sum adds the values of the points of name whose attributes include match.
func sum(pts []point, name string, match map[string]string) (total int64, found bool) {
	for _, p := range pts {
		if p.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if attr(p.attrs, k) != v {
				ok = false
			}
		}
		if ok {
			total += p.value
			found = true
		}
	}
	return total, found
}

func (s suite) meteredSource(t *testing.T, h Harness, group string, m metric.Meter) eventbus.Source {
	t.Helper()
	mh, ok := h.(MeteredHarness)
	if !ok {
		t.Fatalf("Features.Metrics is set but %T does not implement eventbustest.MeteredHarness", h)
	}
	src, err := mh.NewMeteredSource(context.Background(), group, m)
	if err != nil {
		t.Fatalf("NewMeteredSource: %v", err)
	}
	return src
}

// metricsCounters: the handler rejects three events (a decode error, a
// panic, a permanent error), fails one once with a retryable error and
// accepts the rest; a poison message is published too when the adapter
// supports it. Accepted messages count in delivered (the retryable failure
// counts nowhere), dead-lettered ones in dead_lettered by reason kind.
func (s suite) metricsCounters(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	rd := newReader()
	decodeKinds := int64(1)
	if s.f.Poison {
		if err := h.PublishPoison(context.Background()); err != nil {
			t.Fatalf("PublishPoison: %v", err)
		}
		decodeKinds++
	}
	events := Events(8, "metrics")
	publish(t, h, events...)
	c := newCollector()
	var mu sync.Mutex
	failedOnce := false
	r := start(t, s.meteredSource(t, h, "g-metrics", rd.meter), func(_ context.Context, e eventbus.Event) error {
		c.add(e)
		switch e.ID {
		case events[0].ID:
			return eventbus.DecodeError("garbage in the payload")
		case events[1].ID:
			panic("handler panics")
		case events[2].ID:
			return retry.Permanent(errors.New("no such course"))
		case events[3].ID:
			mu.Lock()
			defer mu.Unlock()
			if !failedOnce {
				failedOnce = true
				return errors.New("transient failure")
			}
		}
		return nil
	})
	s.waitFor(t, c, "all events, the failing one twice", func() bool {
		for _, e := range events {
			if c.seen(e.ID) == 0 {
				return false
			}
		}
		return c.seen(events[3].ID) >= 2
	})
	s.marker(t, h, c)
	r.stop(t)
	var topic string
	for _, e := range c.snapshot() {
		if e.Msg != nil {
			topic = e.Msg.Topic
		}
	}
	pts := rd.collect(t)
	s.checkAttrs(t, pts, MetricDelivered, "topic", "transport")
	s.checkAttrs(t, pts, MetricDeadLettered, "reason_kind", "topic", "transport")
	// events[3..7] and the marker.
	if n, _ := sum(pts, MetricDelivered, map[string]string{"topic": topic}); n != 6 {
		t.Errorf("%s{topic=%s} = %d, want 6", MetricDelivered, topic, n)
	}
	for kind, want := range map[string]int64{"decode": decodeKinds, "panic": 1, "permanent": 1} {
		if n, _ := sum(pts, MetricDeadLettered, map[string]string{"topic": topic, "reason_kind": kind}); n != want {
			t.Errorf("%s{topic=%s,reason_kind=%s} = %d, want %d", MetricDeadLettered, topic, kind, n, want)
		}
	}
	if dls, err := h.DeadLetters(context.Background()); err != nil {
		t.Fatalf("DeadLetters: %v", err)
	} else if int64(len(dls)) != decodeKinds+2 {
		t.Errorf("%d dead letters, want %d: %+v", len(dls), decodeKinds+2, dls)
	}
}

// metricsLag: a consumer holds the fourth of six events of one key; the
// lag gauge of its topic and group, summed over partitions, counts the
// held event and the two after it. A closed source reports no lag.
func (s suite) metricsLag(t *testing.T) {
	h := s.newHarness(t)
	defer h.Close()
	rd := newReader()
	events := Events(6, "lag")
	publish(t, h, events...)
	holding := make(chan eventbus.Event, 1)
	src := s.meteredSource(t, h, "g-lag", rd.meter)
	r := start(t, src, func(ctx context.Context, e eventbus.Event) error {
		if e.ID == events[3].ID {
			select { // a redelivery of the held event must not block
			case holding <- e:
			default:
			}
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	var held eventbus.Event
	select {
	case held = <-holding:
	case <-time.After(s.f.Timeout):
		r.stop(t)
		t.Fatal("the fourth event never reached the handler")
	}
	if held.Msg == nil {
		r.stop(t)
		t.Fatal("held event has no transport metadata (Msg)")
	}
	topic := held.Msg.Topic
	pts := rd.collect(t)
	r.stop(t)
	lagKeys := []string{"group", "topic", "transport"}
	for _, p := range pts {
		if p.name == MetricLag && slices.Contains(keys(p.attrs), "partition") {
			lagKeys = []string{"group", "partition", "topic", "transport"}
			break
		}
	}
	s.checkAttrs(t, pts, MetricLag, lagKeys...)
	n, found := sum(pts, MetricLag, map[string]string{"topic": topic, "group": "g-lag"})
	if !found || n != 3 {
		t.Errorf("%s{topic=%s,group=g-lag} = %d (reported: %v), want 3 (the held event and the two after it)\nall: %v",
			MetricLag, topic, n, found, describe(pts))
	}
	if _, found := sum(rd.collect(t), MetricLag, nil); found {
		t.Error("a closed source still reports lag")
	}
}

func describe(pts []point) string {
	var b strings.Builder
	for _, p := range pts {
		b.WriteString(p.name + "{" + p.attrs.Encoded(attribute.DefaultEncoder()) + "}=")
		b.WriteString(strconv.FormatInt(p.value, 10) + " ")
	}
	return b.String()
}
