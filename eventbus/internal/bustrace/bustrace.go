// Package bustrace holds what the bus adapters share for tracing: the W3C
// trace context written into published messages (traceparent and
// tracestate, beside Open edX's own headers, which Open edX consumers
// ignore since they read only the headers they know), read back from
// received ones, and the receive span a source records.
package bustrace

import (
	"context"

	"github.com/credshare/credshare/eventbus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// SpanReceive is the name of the consumer span a source records around a
// handler call when its config has a TracerProvider.
const SpanReceive = "credshare.bus.receive"

var w3c = propagation.TraceContext{}

// Headers returns the traceparent (and tracestate, when set) headers of
// the span context in ctx; none when ctx carries no valid span context.
func Headers(ctx context.Context) []eventbus.Header {
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	var out []eventbus.Header
	for _, k := range []string{"traceparent", "tracestate"} {
		if v := c[k]; v != "" {
			out = append(out, eventbus.Header{Key: k, Value: []byte(v)})
		}
	}
	return out
}

// Carrier reads message headers as a propagation.TextMapCarrier (the last
// of repeated headers wins); Set does nothing.
type Carrier []eventbus.Header

// Get returns the value of the last header named key.
func (h Carrier) Get(key string) string {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return string(h[i].Value)
		}
	}
	return ""
}

// Set does nothing: received messages are not changed.
func (Carrier) Set(string, string) {}

// Keys returns the header names.
func (h Carrier) Keys() []string {
	keys := make([]string, len(h))
	for i, x := range h {
		keys[i] = x.Key
	}
	return keys
}

// Tracer returns tp's tracer for a bus package; nil tp gives a noop one.
func Tracer(tp trace.TracerProvider, pkg string) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(pkg)
}

// Wrap returns h run in a SpanReceive span whose parent is the trace
// context in the message's headers (when any), so the handler's spans
// join the producer's trace.
func Wrap(t trace.Tracer, transport string, h eventbus.Handler) eventbus.Handler {
	return func(ctx context.Context, e eventbus.Event) error {
		topic := "unknown"
		if e.Msg != nil {
			ctx = w3c.Extract(ctx, Carrier(e.Msg.Headers))
			topic = e.Msg.Topic
		}
		ctx, span := t.Start(ctx, SpanReceive, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
			attribute.String("messaging.system", transport),
			attribute.String("messaging.destination.name", topic),
			attribute.String("messaging.message.id", e.ID),
			attribute.String("credshare.event.type", e.Type)))
		defer span.End()
		err := h(ctx, e)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "handler failed")
		}
		return err
	}
}
