package pipeline

import (
	"context"

	"github.com/credshare/credshare/eventbus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// SpanHandle is the name of the span recorded for each event the pipeline
// handles. Its attributes are credshare.event.type, credshare.event.id and
// credshare.event.outcome (applied, duplicate, ignored, failed, invalid).
const SpanHandle = "credshare.event.handle"

// w3c reads and writes the W3C traceparent and tracestate headers; no
// global propagator is consulted.
var w3c = propagation.TraceContext{}

// headerCarrier reads a message's headers (Kafka record headers, Redis
// stream fields) as a propagation.TextMapCarrier. Set is a no-op: received
// messages are not changed.
type headerCarrier []eventbus.Header

func (h headerCarrier) Get(key string) string {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return string(h[i].Value)
		}
	}
	return ""
}

func (h headerCarrier) Set(string, string) {}

func (h headerCarrier) Keys() []string {
	keys := make([]string, len(h))
	for i, x := range h {
		keys[i] = x.Key
	}
	return keys
}

// traced wraps next in the event's SpanHandle span. Its parent is the span
// already in ctx (a source's receive span), else the trace context the
// event's message carried; without either it starts a new trace.
func (p *Pipeline) traced(next eventbus.Handler) eventbus.Handler {
	return func(ctx context.Context, e eventbus.Event) error {
		ctx, span := p.startSpan(ctx, e, false)
		defer span.End()
		err := next(ctx, e)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "event not applied")
		}
		return err
	}
}

// startSpan starts e's SpanHandle span. Its parent is the span in ctx
// (unless headersOnly), else the trace context e's message carried;
// without either it starts a new trace.
func (p *Pipeline) startSpan(ctx context.Context, e eventbus.Event, headersOnly bool) (context.Context, trace.Span) {
	if headersOnly {
		ctx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	}
	if !trace.SpanContextFromContext(ctx).IsValid() && e.Msg != nil {
		ctx = w3c.Extract(ctx, headerCarrier(e.Msg.Headers))
	}
	return p.tracer.Start(ctx, SpanHandle, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("credshare.event.type", e.Type), attribute.String("credshare.event.id", e.ID)))
}

// markOutcome records an event's outcome on its span.
func markOutcome(ctx context.Context, outcome string) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("credshare.event.outcome", outcome))
}

// traceParent returns the traceparent of the span in ctx, the trace
// context an outbox row carries to its later call; "" when there is none.
func traceParent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c["traceparent"]
}
