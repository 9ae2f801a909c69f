package redisbus_test

import (
	"context"
	"testing"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/redisbus"
	"go.opentelemetry.io/otel/trace"
)

// TestPublisherTraceContext: a publish made inside a span adds the
// traceparent and tracestate fields beside event-bus-redis's fields, which
// Open edX consumers read by name (so they ignore the new ones); the
// source hands them to the handler in Msg.Headers.
func TestPublisherTraceContext(t *testing.T) {
	rdb := miniBackend(t)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ts, _ := trace.ParseTraceState("vendor=x")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}))
	pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: rdb, TopicPrefix: "tr"})
	if err != nil {
		t.Fatal(err)
	}
	b := eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, eventbus.BadgeData{UUID: "b-1",
		User: eventbus.UserData{ID: 1, PII: eventbus.UserPersonalData{Username: "u", Email: "e", Name: "n"}}, Template: eventbus.BadgeTemplateData{UUID: "t", Origin: "credly"}})
	if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, b); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), eventbus.TopicBadgesLifecycle, b); err != nil {
		t.Fatal(err)
	}
	msgs, err := rdb.XRange(ctx, "tr-learning-badges-lifecycle", "-", "+").Result()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%v %v", msgs, err)
	}
	if v := msgs[0].Values; v["traceparent"] != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" || v["tracestate"] != "vendor=x" || v["id"] != b.ID {
		t.Errorf("fields of the traced publish: %v", v)
	}
	if v := msgs[1].Values; v["traceparent"] != nil || len(v) != 8 {
		t.Errorf("fields of the untraced publish: %v", v)
	}
	cfg := sourceConfig(rdb, "tr", "g", "c1")
	cfg.Schemas = nil
	src, err := redisbus.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rctx, cancel := context.WithCancel(ctx)
	var got string
	if err := src.Receive(rctx, func(_ context.Context, e eventbus.Event) error {
		got, _ = e.Msg.Header("traceparent")
		cancel()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("received traceparent %q", got)
	}
}
