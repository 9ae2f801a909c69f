// Package busmetrics holds what the bus adapters' metrics share: the metric
// names, the delivered and dead-lettered counters, and the classification
// of dead-letter reasons. Each adapter adds its own lag gauge.
package busmetrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/credshare/credshare/eventbus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names (the adapters export them as MetricDelivered, …).
const (
	Delivered    = "credshare.bus.delivered"
	DeadLettered = "credshare.bus.dead_lettered"
	Lag          = "credshare.bus.lag"
)

// Counters are a source's delivered and dead-lettered counters for one
// transport ("kafka", "redis", "mem").
type Counters struct {
	transport    string
	delivered    metric.Int64Counter
	deadLettered metric.Int64Counter
}

// NewCounters creates the counters on m; pkg prefixes errors.
func NewCounters(m metric.Meter, transport, pkg string) (Counters, error) {
	c := Counters{transport: transport}
	var err error
	if c.delivered, err = m.Int64Counter(Delivered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages whose handler returned nil, by transport and topic.")); err != nil {
		return c, fmt.Errorf("%s: %w", pkg, err)
	}
	if c.deadLettered, err = m.Int64Counter(DeadLettered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages written to a dead-letter topic, by transport, topic and reason_kind (decode, permanent, panic).")); err != nil {
		return c, fmt.Errorf("%s: %w", pkg, err)
	}
	return c, nil
}

// NewLagGauge creates the lag gauge with a transport-specific description.
func NewLagGauge(m metric.Meter, pkg, description string) (metric.Int64ObservableGauge, error) {
	g, err := m.Int64ObservableGauge(Lag, metric.WithUnit("{message}"), metric.WithDescription(description))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	return g, nil
}

// CountDelivered counts one accepted message of topic.
func (c Counters) CountDelivered(ctx context.Context, topic string) {
	c.delivered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", c.transport), attribute.String("topic", topic)))
}

// CountDeadLettered counts one dead-lettered message of topic with its reason kind.
func (c Counters) CountDeadLettered(ctx context.Context, topic string, reason error) {
	c.deadLettered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", c.transport),
		attribute.String("topic", topic), attribute.String("reason_kind", ReasonKind(reason))))
}

// ReasonKind classifies a dead-letter reason: "panic" for a handler that
// panicked, "decode" for a message that is not a valid event
// (eventbus.ErrDecode, eventbus.ErrInvalidEvent), "permanent" otherwise.
func ReasonKind(err error) string {
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

// MsgTopic is the topic an event arrived on, or "unknown".
func MsgTopic(e eventbus.Event) string {
	if e.Msg != nil && e.Msg.Topic != "" {
		return e.Msg.Topic
	}
	return "unknown"
}
