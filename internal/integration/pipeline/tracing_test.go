package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/membus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/outbox"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// tracedRules: one badge, issued through Credly, for passing Python.
const tracedRules = `{"templates": [
  {"uuid": "8d9c3a4e-1b2f-4c5d-9e6f-7a8b9c0d1e2f", "name": "Python Pioneer", "provider": "credly",
   "account_id": "org-1", "external_id": %q, "state": "active",
   "requirements": [{"id": "pass-py", "event_type": "org.openedx.learning.course.passing.status.updated.v1",
     "rules": [{"path": "course.course_key", "operator": "eq", "value": "course-v1:OpenedX+Py101+2026"},
               {"path": "is_passing", "operator": "eq", "value": "true"}]}]}]}`

// TestTraceChain follows one event through the pipeline, the outbox and
// the provider's HTTP API (a fake that behaves like Credly) to the
// badge.awarded event it publishes, and checks that every span belongs to
// one trace with the expected parent of each: with a traceparent on the
// incoming message (the trace is the producer's) and without one (the
// pipeline starts it). The outbox rows carry the event's span context, and
// the published message's traceparent names the publishing call's span.
func TestTraceChain(t *testing.T) {
	const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name        string
		traceparent string
	}{{"IncomingTraceparent", incoming}, {"NoTraceparent", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

			api := credlyfake.New(t)
			api.AddOrg("org-1", "token-1")
			tpl := api.AddTemplate("org-1", credlyfake.Template{Name: "Python Pioneer"})
			st := memstore.New()
			t.Cleanup(func() { _ = st.Close() })
			if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: "org-1", Provider: credly.ProviderID, Secret: "token-1", Active: true}); err != nil {
				t.Fatal(err)
			}
			ts, err := rules.ParseFile(fmt.Appendf(nil, tracedRules, tpl.ID))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rules.PutTemplates(ctx, st.Config(), ts); err != nil {
				t.Fatal(err)
			}
			rules, err := pipeline.LoadRules(ctx, st.Config())
			if err != nil {
				t.Fatal(err)
			}
			prov, err := credly.NewProvider(st.Config(), httpapi.WithBaseURL(api.URL()), httpapi.WithTracerProvider(tp))
			if err != nil {
				t.Fatal(err)
			}
			bus := membus.New(membus.Config{})
			t.Cleanup(func() { _ = bus.Close() })
			p, err := pipeline.New(pipeline.Config{Store: st, Rules: rules, Providers: map[string]badge.Provider{credly.ProviderID: prov},
				Publisher: bus, TracerProvider: tp})
			if err != nil {
				t.Fatal(err)
			}

			e := passing("trace-1", user(1, "l1@example.org"), pyCourse, true, t0)
			e.Msg = &eventbus.Message{Transport: "kafka", Topic: "openedx-learning-course-passing-status"}
			if tc.traceparent != "" {
				e.Msg.Headers = []eventbus.Header{{Key: "ce_id", Value: []byte(e.ID)}, {Key: "traceparent", Value: []byte(tc.traceparent)}}
			}
			if err := p.Handler()(ctx, e); err != nil {
				t.Fatal(err)
			}
			handle := onlySpan(t, exp, pipeline.SpanHandle)
			traceID := handle.SpanContext.TraceID()
			if tc.traceparent != "" {
				if traceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || handle.Parent.SpanID().String() != "00f067aa0ba902b7" || !handle.Parent.IsRemote() {
					t.Fatalf("handle span: trace %s, parent %s; want the incoming traceparent's", traceID, handle.Parent.SpanID())
				}
			} else if handle.Parent.IsValid() {
				t.Fatalf("handle span has parent %v; want a root span", handle.Parent)
			}
			wantAttrs(t, handle, map[string]string{"credshare.event.type": e.Type, "credshare.event.id": e.ID, "credshare.event.outcome": "applied"})

			// The outbox rows carry the handle span's context.
			claimed, err := st.Outbox().Claim(ctx, "peek", time.Now().Add(time.Hour), time.Nanosecond, 10)
			if err != nil || len(claimed) != 2 {
				t.Fatalf("outbox = %d items, %v; want an issue call and a publish", len(claimed), err)
			}
			wantTP := fmt.Sprintf("00-%s-%s-01", traceID, handle.SpanContext.SpanID())
			for _, it := range claimed {
				if it.TraceParent != wantTP {
					t.Errorf("outbox item %s TraceParent = %q, want %q", it.Kind, it.TraceParent, wantTP)
				}
			}

			// Later, maybe elsewhere: the dispatcher makes the calls.
			d, err := outbox.NewDispatcher(outbox.Config{Store: st, TracerProvider: tp, Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
			if err != nil {
				t.Fatal(err)
			}
			p.RegisterHandlers(d)
			if n, err := d.Drain(ctx); err != nil || n != 2 {
				t.Fatalf("Drain = %d, %v", n, err)
			}
			if len(api.Badges("org-1")) != 1 {
				t.Fatalf("Credly holds %d badges, want 1", len(api.Badges("org-1")))
			}
			calls := spansNamed(exp, outbox.SpanCall)
			if len(calls) != 2 {
				t.Fatalf("%d outbox call spans, want 2", len(calls))
			}
			var issueCall, publishCall tracetest.SpanStub
			for _, c := range calls {
				attrs := attrMap(c.Attributes)
				if attrs["credshare.outbox.result"] != "ok" {
					t.Errorf("outbox call %v: result %q", attrs["credshare.outbox.kind"], attrs["credshare.outbox.result"])
				}
				switch attrs["credshare.outbox.kind"] {
				case pipeline.KindBadgeIssue:
					issueCall = c
				case pipeline.KindEventPublish:
					publishCall = c
				}
				if c.SpanContext.TraceID() != traceID || c.Parent.SpanID() != handle.SpanContext.SpanID() {
					t.Errorf("outbox call %s: trace %s parent %s; want trace %s parent %s (the handle span)",
						attrs["credshare.outbox.kind"], c.SpanContext.TraceID(), c.Parent.SpanID(), traceID, handle.SpanContext.SpanID())
				}
			}
			if !issueCall.SpanContext.IsValid() || !publishCall.SpanContext.IsValid() {
				t.Fatal("missing the issue or the publish call span")
			}
			reqs := spansNamed(exp, "credshare.provider.request")
			if len(reqs) == 0 {
				t.Fatal("no provider request span")
			}
			for _, r := range reqs {
				if r.SpanContext.TraceID() != traceID || r.Parent.SpanID() != issueCall.SpanContext.SpanID() {
					t.Errorf("provider request span: trace %s parent %s; want the issue call's", r.SpanContext.TraceID(), r.Parent.SpanID())
				}
				a := attrMap(r.Attributes)
				if a["http.request.method"] != "POST" || !strings.HasPrefix(a["url.path"], "/v1/organizations/org-1/") ||
					a["http.response.status_code"] != "201" || strings.Contains(a["url.path"], "token-1") {
					t.Errorf("provider request span attributes = %v", a)
				}
			}

			// The published badge.awarded message names the publishing
			// call's span; a traced source continues that trace.
			src, err := bus.NewSource(membus.SourceConfig{Group: "downstream", Topics: []string{eventbus.TopicBadgesLifecycle}, TracerProvider: tp})
			if err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			var got eventbus.Event
			if err := src.Receive(rctx, func(_ context.Context, e eventbus.Event) error { got = e; cancel(); return nil }); err != nil {
				t.Fatal(err)
			}
			if got.Type != eventbus.TypeBadgeAwarded {
				t.Fatalf("received %q", got.Type)
			}
			want := fmt.Sprintf("00-%s-%s-01", traceID, publishCall.SpanContext.SpanID())
			if h, _ := got.Msg.Header("traceparent"); h != want {
				t.Errorf("published traceparent = %q, want %q", h, want)
			}
			recv := onlySpan(t, exp, "credshare.bus.receive")
			if recv.SpanContext.TraceID() != traceID || recv.Parent.SpanID() != publishCall.SpanContext.SpanID() {
				t.Errorf("receive span: trace %s parent %s; want the publish call's", recv.SpanContext.TraceID(), recv.Parent.SpanID())
			}
		})
	}
}

// TestTraceNoProvider: without a TracerProvider nothing is recorded, yet
// an incoming traceparent still reaches the outbox rows.
func TestTraceNoProvider(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	defer st.Close()
	p, err := pipeline.New(pipeline.Config{Store: st, Rules: loadRules(t, st), Providers: map[string]badge.Provider{"fake": &fakeProvider{}}})
	if err != nil {
		t.Fatal(err)
	}
	const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	e := passing("nt-1", user(1, "l1@example.org"), pyCourse, true, t0)
	e.Msg = &eventbus.Message{Transport: "redis", Headers: []eventbus.Header{{Key: "traceparent", Value: []byte(incoming)}}}
	if err := p.Handle(ctx, e); err != nil {
		t.Fatal(err)
	}
	items, err := st.Outbox().Claim(ctx, "peek", time.Now().Add(time.Hour), time.Nanosecond, 10)
	if err != nil || len(items) == 0 {
		t.Fatalf("Claim = %d, %v", len(items), err)
	}
	for _, it := range items {
		if it.TraceParent != incoming {
			t.Errorf("item %s TraceParent = %q, want the incoming %q", it.Kind, it.TraceParent, incoming)
		}
	}
}

func spansNamed(exp *tracetest.InMemoryExporter, name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func onlySpan(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	ss := spansNamed(exp, name)
	if len(ss) != 1 {
		t.Fatalf("%d %s spans, want 1", len(ss), name)
	}
	return ss[0]
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func wantAttrs(t *testing.T, s tracetest.SpanStub, want map[string]string) {
	t.Helper()
	got := attrMap(s.Attributes)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %s: %s = %q, want %q", s.Name, k, got[k], v)
		}
	}
}
