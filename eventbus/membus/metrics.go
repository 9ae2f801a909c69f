package membus

import (
	"context"
	"errors"
	"fmt"

	"github.com/credshare/credshare/eventbus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Names of the metrics a Source records when SourceConfig.Meter is set.
const (
	// MetricDelivered counts messages whose handler returned nil.
	MetricDelivered = "credshare.bus.delivered"
	// MetricDeadLettered counts messages written to a dead-letter topic.
	MetricDeadLettered = "credshare.bus.dead_lettered"
	// MetricLag is the gauge of messages the group has not acknowledged.
	MetricLag = "credshare.bus.lag"
)

const transport = "mem"

// metrics holds a Source's instruments; a nil *metrics records nothing.
type metrics struct {
	delivered    metric.Int64Counter
	deadLettered metric.Int64Counter
	reg          metric.Registration
}

// newMetrics creates the instruments on m and registers the lag callback
// for s.
func newMetrics(m metric.Meter, s *Source) (*metrics, error) {
	var out metrics
	var err error
	if out.delivered, err = m.Int64Counter(MetricDelivered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages whose handler returned nil, by transport and topic.")); err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	if out.deadLettered, err = m.Int64Counter(MetricDeadLettered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages written to a dead-letter topic, by transport, topic and reason_kind (decode, permanent, panic).")); err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	lag, err := m.Int64ObservableGauge(MetricLag, metric.WithUnit("{message}"),
		metric.WithDescription("Messages not yet acknowledged by the consumer group, per partition."))
	if err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	if out.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, l := range s.Lag() {
			o.ObserveInt64(lag, l.Messages, metric.WithAttributes(attribute.String("transport", transport),
				attribute.String("topic", l.Topic), attribute.Int("partition", l.Partition),
				attribute.String("group", s.cfg.Group)))
		}
		return nil
	}, lag); err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	return &out, nil
}

func (m *metrics) countDelivered(ctx context.Context, topic string) {
	if m == nil {
		return
	}
	m.delivered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", transport), attribute.String("topic", topic)))
}

func (m *metrics) countDeadLettered(ctx context.Context, topic string, reason error) {
	if m == nil {
		return
	}
	m.deadLettered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", transport),
		attribute.String("topic", topic), attribute.String("reason_kind", reasonKind(reason))))
}

func (m *metrics) close() {
	if m != nil {
		_ = m.reg.Unregister()
	}
}

// reasonKind classifies a dead-letter reason: "panic" for a handler that
// panicked, "decode" for a message that is not a valid event
// (eventbus.ErrDecode, eventbus.ErrInvalidEvent), "permanent" otherwise.
func reasonKind(err error) string {
	var p *eventbus.PanicError
	switch {
	case errors.As(err, &p):
		return "panic"
	case errors.Is(err, eventbus.ErrDecode), errors.Is(err, eventbus.ErrInvalidEvent):
		return "decode"
	default:
		return "permanent"
	}
}

func msgTopic(e eventbus.Event) string {
	if e.Msg != nil && e.Msg.Topic != "" {
		return e.Msg.Topic
	}
	return "unknown"
}

// PartitionLag is the number of messages of one partition that a consumer
// group has not acknowledged yet.
type PartitionLag struct {
	// Topic is the full topic name.
	Topic string
	// Partition is the partition number.
	Partition int
	// Messages counts the messages at or after the group's committed
	// offset, including one a handler is working on.
	Messages int64
}

// Lag returns, for every partition of the source's topics, the messages
// its group has not acknowledged yet. A group that has not started reading
// lags by the whole partition.
func (s *Source) Lag() []PartitionLag {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]PartitionLag, 0, len(s.topics)*b.cfg.Partitions)
	for _, name := range s.topics {
		t := b.topics[name]
		for p := range b.cfg.Partitions {
			l := PartitionLag{Topic: name, Partition: p}
			if t != nil {
				l.Messages = int64(len(t.parts[p]))
				if g, ok := t.groups[s.cfg.Group]; ok {
					l.Messages -= g.parts[p].committed
				}
			}
			out = append(out, l)
		}
	}
	return out
}
