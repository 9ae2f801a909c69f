package bustrace

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// TestHeadersRoundTrip: the headers written for a span context read back
// as the same (remote) span context; no span, no headers.
func TestHeadersRoundTrip(t *testing.T) {
	sc := spanContext(t)
	hs := Headers(trace.ContextWithRemoteSpanContext(context.Background(), sc))
	if len(hs) != 2 || hs[0].Key != "traceparent" || string(hs[0].Value) != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" ||
		hs[1].Key != "tracestate" || string(hs[1].Value) != "vendor=x" {
		t.Fatalf("Headers = %q", hs)
	}
	got := trace.SpanContextFromContext(w3c.Extract(context.Background(), Carrier(hs)))
	if !got.Equal(sc.WithRemote(true)) {
		t.Fatalf("extracted %v, want %v", got, sc)
	}
	if hs := Headers(context.Background()); len(hs) != 0 {
		t.Fatalf("Headers without a span = %q", hs)
	}
}

func spanContext(t *testing.T) trace.SpanContext {
	t.Helper()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ts, err := trace.ParseTraceState("vendor=x")
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
}
