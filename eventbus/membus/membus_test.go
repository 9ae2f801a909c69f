package membus_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/membus"
)

type harness struct {
	bus *membus.Bus
}

const topic = "learning-badges-lifecycle"

func (h *harness) Publish(ctx context.Context, events ...eventbus.Event) error {
	for _, e := range events {
		if err := h.bus.Publish(ctx, topic, e); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) NewSource(_ context.Context, group string) (eventbus.Source, error) {
	return h.bus.NewSource(membus.SourceConfig{Group: group, Topics: []string{topic}})
}

func (h *harness) NewMeteredSource(_ context.Context, group string, m metric.Meter) (eventbus.Source, error) {
	return h.bus.NewSource(membus.SourceConfig{Group: group, Topics: []string{topic}, Meter: m})
}

func (h *harness) DeadLetters(context.Context) ([]eventbustest.DeadLetter, error) {
	var out []eventbustest.DeadLetter
	for _, d := range h.bus.DeadLetters("dev-" + topic) {
		out = append(out, eventbustest.DeadLetter{EventID: d.Event.ID, Reason: d.Reason})
	}
	return out, nil
}

func (h *harness) PublishPoison(context.Context) error { return nil }
func (h *harness) Close()                              { _ = h.bus.Close() }

func TestConformance(t *testing.T) {
	eventbustest.Run(t, func(t *testing.T) eventbustest.Harness {
		return &harness{bus: membus.New(membus.Config{TopicPrefix: "dev", RedeliveryDelay: 5 * time.Millisecond})}
	}, eventbustest.Features{OrderPerKey: true, Metrics: true, Transport: "mem", Timeout: 10 * time.Second})
}

func TestPublishValidates(t *testing.T) {
	b := membus.New(membus.Config{})
	if err := b.Publish(context.Background(), topic, eventbus.Event{Type: "x"}); err == nil {
		t.Fatal("event without id accepted")
	}
	_ = b.Close()
	e := eventbus.NewEvent("x", map[string]any{})
	if err := b.Publish(context.Background(), topic, e); err == nil {
		t.Fatal("publish on a closed bus accepted")
	}
}

func TestSourceConfigValidated(t *testing.T) {
	b := membus.New(membus.Config{})
	if _, err := b.NewSource(membus.SourceConfig{Topics: []string{topic}}); err == nil {
		t.Fatal("missing group accepted")
	}
	if _, err := b.NewSource(membus.SourceConfig{Group: "g"}); err == nil {
		t.Fatal("missing topics accepted")
	}
}
