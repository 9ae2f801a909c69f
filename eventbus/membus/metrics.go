package membus

import (
	"context"
	"fmt"
	"github.com/credshare/credshare/eventbus/internal/busmetrics"

	"github.com/credshare/credshare/eventbus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Names of the metrics a Source records when SourceConfig.Meter is set.
const (
	// MetricDelivered counts messages whose handler returned nil.
	MetricDelivered = busmetrics.Delivered
	// MetricDeadLettered counts messages written to a dead-letter topic.
	MetricDeadLettered = busmetrics.DeadLettered
	// MetricLag is the gauge of messages the group has not acknowledged.
	MetricLag = busmetrics.Lag
)

const transport = "mem"

// metrics holds a Source's instruments; a nil *metrics records nothing.
type metrics struct {
	busmetrics.Counters
	reg metric.Registration
}

// newMetrics creates the instruments on m and registers the lag callback
// for s.
func newMetrics(m metric.Meter, s *Source) (*metrics, error) {
	var out metrics
	var err error
	if out.Counters, err = busmetrics.NewCounters(m, transport, "membus"); err != nil {
		return nil, err
	}
	lag, err := busmetrics.NewLagGauge(m, "membus", "Messages not yet acknowledged by the consumer group, per partition.")
	if err != nil {
		return nil, err
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
	m.CountDelivered(ctx, topic)
}

func (m *metrics) countDeadLettered(ctx context.Context, topic string, reason error) {
	if m == nil {
		return
	}
	m.CountDeadLettered(ctx, topic, reason)
}

func (m *metrics) close() {
	if m != nil {
		_ = m.reg.Unregister()
	}
}

func msgTopic(e eventbus.Event) string { return busmetrics.MsgTopic(e) }

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
