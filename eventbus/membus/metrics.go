package membus

import (
	"context"

	"github.com/credshare/credshare/eventbus/internal/busmetrics"
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

// newMetrics creates the instruments on m and registers the lag callback
// for s.
func newMetrics(m metric.Meter, s *Source) (*busmetrics.Recorder, error) {
	r, err := busmetrics.New(m, busmetrics.Config{Adapter: "membus", Transport: "mem", Group: s.cfg.Group,
		LagDescription: "Messages not yet acknowledged by the consumer group, per partition."})
	if err != nil {
		return nil, err
	}
	if err := r.ObserveLag(func(context.Context) ([]busmetrics.LagPoint, error) {
		lags := s.Lag()
		out := make([]busmetrics.LagPoint, len(lags))
		for i, l := range lags {
			out[i] = busmetrics.LagPoint{Topic: l.Topic, Partition: l.Partition, Messages: l.Messages}
		}
		return out, nil
	}); err != nil {
		return nil, err
	}
	return r, nil
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
