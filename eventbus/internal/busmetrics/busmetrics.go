// Package busmetrics records the credshare.bus.* metrics for every bus
// adapter: the metric names, the delivered and dead-lettered counters, the
// classification of dead-letter reasons and the lag gauge's callback. An
// adapter supplies only how to measure its lag (a LagFunc).
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

// Config describes the source a Recorder records for.
type Config struct {
	// Adapter is the adapter's package name ("kafkabus"); it prefixes errors.
	Adapter string
	// Transport is the transport attribute ("kafka", "redis", "mem").
	Transport string
	// Group is the consumer group, the lag gauge's group attribute.
	Group string
	// LagDescription is the lag gauge's description (what the adapter measures).
	LagDescription string
}

// LagPoint is one observation of the lag gauge.
type LagPoint struct {
	// Topic is the full topic (stream) name.
	Topic string
	// Partition is the partition number; a negative one is left out of
	// the attributes (transports without partitions).
	Partition int
	// Messages is the lag.
	Messages int64
}

// LagFunc measures a source's lag at each collection. The points it
// returns are observed even when it also returns an error.
type LagFunc func(ctx context.Context) ([]LagPoint, error)

// Recorder holds a source's instruments. A nil *Recorder records nothing,
// so that an adapter calls it unconditionally.
type Recorder struct {
	cfg          Config
	meter        metric.Meter
	delivered    metric.Int64Counter
	deadLettered metric.Int64Counter
	lag          metric.Int64ObservableGauge
	reg          metric.Registration
}

// New creates the instruments on m. The lag gauge reports nothing until
// ObserveLag registers its callback.
func New(m metric.Meter, cfg Config) (*Recorder, error) {
	r := &Recorder{cfg: cfg, meter: m}
	var err error
	if r.delivered, err = m.Int64Counter(Delivered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages whose handler returned nil, by transport and topic.")); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Adapter, err)
	}
	if r.deadLettered, err = m.Int64Counter(DeadLettered, metric.WithUnit("{message}"),
		metric.WithDescription("Messages written to a dead-letter topic, by transport, topic and reason_kind (decode, permanent, panic).")); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Adapter, err)
	}
	if r.lag, err = m.Int64ObservableGauge(Lag, metric.WithUnit("{message}"), metric.WithDescription(cfg.LagDescription)); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Adapter, err)
	}
	return r, nil
}

// ObserveLag registers f as the lag gauge's callback; Close unregisters it.
// It is called once per Recorder.
func (r *Recorder) ObserveLag(f LagFunc) error {
	if r == nil {
		return nil
	}
	reg, err := r.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		points, err := f(ctx)
		for _, p := range points {
			attrs := []attribute.KeyValue{attribute.String("transport", r.cfg.Transport),
				attribute.String("topic", p.Topic), attribute.String("group", r.cfg.Group)}
			if p.Partition >= 0 {
				attrs = append(attrs, attribute.Int("partition", p.Partition))
			}
			o.ObserveInt64(r.lag, p.Messages, metric.WithAttributes(attrs...))
		}
		return err
	}, r.lag)
	if err != nil {
		return fmt.Errorf("%s: %w", r.cfg.Adapter, err)
	}
	r.reg = reg
	return nil
}

// CountDelivered counts one accepted message of topic.
func (r *Recorder) CountDelivered(ctx context.Context, topic string) {
	if r == nil {
		return
	}
	r.delivered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", r.cfg.Transport), attribute.String("topic", topic)))
}

// CountDeadLettered counts one dead-lettered message of topic with its
// reason kind.
func (r *Recorder) CountDeadLettered(ctx context.Context, topic string, reason error) {
	if r == nil {
		return
	}
	r.deadLettered.Add(ctx, 1, metric.WithAttributes(attribute.String("transport", r.cfg.Transport),
		attribute.String("topic", topic), attribute.String("reason_kind", ReasonKind(reason))))
}

// Close unregisters the lag callback: a closed source reports no lag.
func (r *Recorder) Close() {
	if r != nil && r.reg != nil {
		_ = r.reg.Unregister()
	}
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
