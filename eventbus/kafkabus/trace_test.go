package kafkabus_test

import (
	"context"
	"testing"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"go.opentelemetry.io/otel/trace"
)

// TestRecordTraceContext: a record built inside a span carries traceparent
// and tracestate headers after Open edX's ce_* headers (event-bus-kafka
// reads only the headers it knows, so it ignores them); outside a span it
// carries none.
func TestRecordTraceContext(t *testing.T) {
	env := newEnv(t)
	pub := env.publisher("tr")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ts, _ := trace.ParseTraceState("vendor=x")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}))
	e := eventbustest.Events(1, "k")[0]
	rec, err := pub.Record(ctx, eventbus.TopicBadgesLifecycle, e)
	if err != nil {
		t.Fatal(err)
	}
	n := len(rec.Headers)
	if n < 2 || rec.Headers[n-2].Key != "traceparent" || string(rec.Headers[n-2].Value) != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" ||
		rec.Headers[n-1].Key != "tracestate" || string(rec.Headers[n-1].Value) != "vendor=x" {
		t.Fatalf("headers %v", rec.Headers)
	}
	plain, err := pub.Record(context.Background(), eventbus.TopicBadgesLifecycle, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range plain.Headers {
		if h.Key == "traceparent" || h.Key == "tracestate" {
			t.Fatalf("untraced record has %s", h.Key)
		}
	}
	if len(plain.Headers) != n-2 {
		t.Fatalf("untraced record has %d headers, traced %d", len(plain.Headers), n)
	}
}
