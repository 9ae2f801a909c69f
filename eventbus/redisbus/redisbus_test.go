package redisbus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
	"github.com/credshare/credshare/eventbus/redisbus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
)

var seq atomic.Int64

// backend gives a fresh Redis client per test: miniredis, or the real
// redis-server at CREDSHARE_REDIS_URL.
type backend func(t *testing.T) redis.UniversalClient

func miniBackend(t *testing.T) redis.UniversalClient {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mr.Close)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func realBackend(t *testing.T) redis.UniversalClient {
	url := os.Getenv("CREDSHARE_REDIS_URL")
	if url == "" {
		if os.Getenv("CREDSHARE_REQUIRE_REDIS") == "1" {
			t.Fatal("CREDSHARE_REQUIRE_REDIS=1 but CREDSHARE_REDIS_URL is not set")
		}
		t.Skip("set CREDSHARE_REDIS_URL (make test does this)")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	return c
}

type harness struct {
	rdb    redis.UniversalClient
	prefix string
	pub    *redisbus.Publisher
	// count is SourceConfig.Count of metered sources (0: the default,
	// 100). A small count leaves entries undelivered, which only a server
	// with XINFO GROUPS "lag" (Redis 7) can count.
	count int64
}

func (h *harness) stream() string { return eventbus.FullTopic(h.prefix, eventbus.TopicBadgesLifecycle) }

func (h *harness) Publish(ctx context.Context, events ...eventbus.Event) error {
	for _, e := range events {
		if err := h.pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			return err
		}
	}
	return nil
}

func sourceConfig(rdb redis.UniversalClient, prefix, group, consumer string) redisbus.SourceConfig {
	return redisbus.SourceConfig{
		Client: rdb, TopicPrefix: prefix, Topics: []string{eventbus.TopicBadgesLifecycle}, Group: group, Consumer: consumer,
		Schemas: map[string]string{eventbustest.UnknownType: eventbustest.UnknownSchema},
		Block:   50 * time.Millisecond, ClaimMinIdle: 150 * time.Millisecond, ClaimInterval: 50 * time.Millisecond,
		RetryBackoff: 20 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (h *harness) NewSource(_ context.Context, group string) (eventbus.Source, error) {
	return redisbus.NewSource(sourceConfig(h.rdb, h.prefix, group, fmt.Sprintf("c%d", seq.Add(1))))
}

func (h *harness) NewMeteredSource(_ context.Context, group string, m metric.Meter) (eventbus.Source, error) {
	cfg := sourceConfig(h.rdb, h.prefix, group, fmt.Sprintf("c%d", seq.Add(1)))
	cfg.Count, cfg.Meter = h.count, m
	return redisbus.NewSource(cfg)
}

func (h *harness) DeadLetters(ctx context.Context) ([]eventbustest.DeadLetter, error) {
	msgs, err := h.rdb.XRange(ctx, eventbus.DLQName(h.stream()), "-", "+").Result()
	if err != nil {
		return nil, err
	}
	var out []eventbustest.DeadLetter
	for _, m := range msgs {
		id, _ := m.Values["id"].(string)
		r, _ := m.Values["dlq_reason"].(string)
		out = append(out, eventbustest.DeadLetter{EventID: id, Reason: r})
	}
	return out, nil
}

func (h *harness) PublishPoison(ctx context.Context) error {
	return h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: h.stream(), Values: []any{"type", eventbus.TypeBadgeAwarded, "id", "poison-1", "event_data", "\x02"}}).Err()
}

func (h *harness) Close() {}

func newHarness(b backend, count int64) func(t *testing.T) eventbustest.Harness {
	return func(t *testing.T) eventbustest.Harness {
		rdb := b(t)
		prefix := fmt.Sprintf("t%d-%d", time.Now().UnixNano(), seq.Add(1))
		pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: rdb, Schemas: map[string]string{eventbustest.UnknownType: eventbustest.UnknownSchema}, TopicPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{rdb: rdb, pub: pub, prefix: prefix, count: count}
		t.Cleanup(func() { rdb.Del(context.Background(), h.stream(), eventbus.DLQName(h.stream())) })
		return h
	}
}

func TestConformanceMiniredis(t *testing.T) {
	eventbustest.Run(t, newHarness(miniBackend, 0), eventbustest.Features{OrderPerKey: true, Poison: true, KeyFromKeyField: true,
		Metrics: true, Transport: "redis", Timeout: 15 * time.Second})
}

func TestConformanceRedisServer(t *testing.T) {
	realBackend(t) // skips without CREDSHARE_REDIS_URL
	eventbustest.Run(t, newHarness(realBackend, 2), eventbustest.Features{OrderPerKey: true, Poison: true, KeyFromKeyField: true,
		Metrics: true, Transport: "redis", Timeout: 15 * time.Second})
}

func TestWireMiniredis(t *testing.T)   { testWire(t, miniBackend(t)) }
func TestWireRedisServer(t *testing.T) { testWire(t, realBackend(t)) }

// testWire covers what the conformance suite does not: an entry written as
// event-bus-redis writes it, no backlog skipped when the group is created
// after the events, poison entries, and own-pending recovery on restart.
func testWire(t *testing.T, rdb redis.UniversalClient) {
	ctx := context.Background()
	prefix := fmt.Sprintf("w%d-%d", time.Now().UnixNano(), seq.Add(1))
	stream := eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle)
	t.Cleanup(func() { rdb.Del(context.Background(), stream, eventbus.DLQName(stream)) })
	codec := oeavro.NewCodec(0)

	// 1. An entry exactly as event-bus-redis's producer writes it.
	pass := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{IsPassing: true,
		Course: eventbus.CourseData{CourseKey: "course-v1:edX+DemoX+Demo", DisplayName: "Demo"},
		User:   eventbus.UserData{ID: 77, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org", Name: "Ada"}}})
	body, err := codec.Encode(pass.Type, pass.Data)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{
		"type", pass.Type, "id", "0b2f2e1a-4a3b-11ee-be56-0242ac120002", "source", "openedx/lms/web",
		"time", "2023-09-01T12:00:00.123456+00:00", "minorversion", "0", "sourcehost", "lms-1", "sourcelib", "9.5.1",
		"event_data", body}}).Err())
	// 2. Poison entries.
	poison := map[string]string{
		"p-trunc":   "avro",
		"p-unknown": "no schema for event type",
		"p-time":    `bad "time"`,
		"p-big":     "exceeds",
		"p-huge":    "exceeds",
	}
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", pass.Type, "id", "p-trunc", "event_data", body[:len(body)/2]}}).Err())
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", "org.example.mystery.v1", "id", "p-unknown", "event_data", body}}).Err())
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", pass.Type, "id", "p-time", "time", "yesterday", "event_data", body}}).Err())
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", pass.Type, "id", "p-big", "event_data", strings.Repeat("x", 2<<20)}}).Err())
	// 10 MB, the size.
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", pass.Type, "id", "p-huge", "event_data", strings.Repeat("x", 10<<20)}}).Err())
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"type", pass.Type, "event_data", body}}).Err()) // no id
	// 3. Good events after the poison, published through the Publisher.
	pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: rdb, TopicPrefix: prefix})
	must(err)
	good := eventbustest.Events(6, "k")
	for _, e := range good {
		must(pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e))
	}

	// The group does not exist yet: a consumer created now must still see
	// the whole backlog (Open edX starts at "$" and would skip it).
	var mu sync.Mutex
	seen := map[string]int{}
	var first eventbus.Event
	failOnce := good[3].ID
	blocked := make(chan struct{})
	var once sync.Once
	runOnce := func(consumer string, handler eventbus.Handler, until func() bool) {
		t.Helper()
		src, err := redisbus.NewSource(sourceConfig(rdb, prefix, "credshare", consumer))
		must(err)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- src.Receive(rctx, handler) }()
		deadline := time.After(15 * time.Second)
		for !until() {
			select {
			case <-deadline:
				cancel()
				t.Fatalf("timed out; seen %v", seen)
			case <-time.After(10 * time.Millisecond):
			}
		}
		cancel()
		must(<-done)
	}
	// First run: the consumer "dies" (context cancelled) while handling
	// good[3]; it is left pending on consumer "pod-a".
	runOnce("pod-a", func(ctx context.Context, e eventbus.Event) error {
		if e.ID == failOnce {
			once.Do(func() { close(blocked) })
			<-ctx.Done()
			return ctx.Err()
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			first = e
		}
		seen[e.ID]++
		return nil
	}, func() bool {
		select {
		case <-blocked:
			return true
		default:
			return false
		}
	})
	pend, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "credshare", Start: "-", End: "+", Count: 100}).Result()
	must(err)
	if len(pend) == 0 || pend[0].Consumer != "pod-a" {
		t.Fatalf("pending after the crash: %+v", pend)
	}
	// Restart under the same name: its own pending entry comes first.
	var order []string
	runOnce("pod-a", func(_ context.Context, e eventbus.Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen[e.ID]++
		order = append(order, e.ID)
		return nil
	}, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range good {
			if seen[e.ID] == 0 {
				return false
			}
		}
		return true
	})
	if len(order) == 0 || order[0] != failOnce {
		t.Errorf("restart did not handle its pending entry first: %v", order)
	}
	for _, e := range good {
		if seen[e.ID] != 1 {
			t.Errorf("event %s handled %d times", e.ID, seen[e.ID])
		}
	}
	if first.ID != "0b2f2e1a-4a3b-11ee-be56-0242ac120002" || first.Source != "openedx/lms/web" || first.SourceLib != "9.5.1" ||
		!first.Time.Equal(time.Date(2023, 9, 1, 12, 0, 0, 123456000, time.UTC)) || first.Key != "course-v1:edX+DemoX+Demo" {
		t.Errorf("Open edX entry attributes: %+v", first)
	}
	if p, err := first.CoursePassingStatus(); err != nil || !p.IsPassing || p.User.PII.Email != "ada@example.org" {
		t.Errorf("payload %+v %v", p, err)
	}
	dl, err := rdb.XRange(ctx, eventbus.DLQName(stream), "-", "+").Result()
	must(err)
	if len(dl) != len(poison)+1 {
		t.Fatalf("%d dead letters, want %d", len(dl), len(poison)+1)
	}
	for _, m := range dl {
		id, _ := m.Values["id"].(string)
		reason, _ := m.Values["dlq_reason"].(string)
		want, ok := poison[id]
		if id == "" {
			want, ok = `missing "id"`, true
		}
		if !ok || !strings.Contains(reason, want) {
			t.Errorf("dead letter %q: reason %q, want %q", id, reason, want)
		}
		if m.Values["dlq_original_stream"] != stream || m.Values["dlq_original_id"] == "" {
			t.Errorf("dead letter %q lacks its origin", id)
		}
	}
	// Nothing is left pending: everything was acknowledged.
	sum, err := rdb.XPending(ctx, stream, "credshare").Result()
	must(err)
	if sum.Count != 0 {
		t.Errorf("%d entries still pending", sum.Count)
	}
}

func TestPublisherFields(t *testing.T) {
	rdb := miniBackend(t)
	ctx := context.Background()
	pub, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: rdb, TopicPrefix: "dev", SourceHost: "h", Source: "openedx/credentials/web"})
	if err != nil {
		t.Fatal(err)
	}
	b := eventbus.BadgeEvent(eventbus.TypeBadgeRevoked, eventbus.BadgeData{UUID: "b-1",
		User: eventbus.UserData{ID: 1, PII: eventbus.UserPersonalData{Username: "u", Email: "e", Name: "n"}}, Template: eventbus.BadgeTemplateData{UUID: "t", Origin: "credly"}})
	b.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, b); err != nil {
		t.Fatal(err)
	}
	msgs, err := rdb.XRange(ctx, "dev-learning-badges-lifecycle", "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%v %v", msgs, err)
	}
	v := msgs[0].Values
	if v["type"] != eventbus.TypeBadgeRevoked || v["id"] != b.ID || v["source"] != "openedx/credentials/web" || v["time"] != "2026-01-01T00:00:00+00:00" ||
		v["minorversion"] != "0" || v["sourcehost"] != "h" || v["sourcelib"] != "11.2.0" || len(v) != 8 {
		t.Errorf("fields %v", v)
	}
	data, err := oeavro.NewCodec(0).Decode(b.Type, nil, []byte(v["event_data"].(string)))
	if err != nil || data["badge"].(map[string]any)["uuid"] != "b-1" {
		t.Errorf("event_data %v %v", data, err)
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := redisbus.NewSource(redisbus.SourceConfig{}); err == nil {
		t.Error("empty source config accepted")
	}
	if _, err := redisbus.NewPublisher(redisbus.PublisherConfig{}); err == nil {
		t.Error("empty publisher config accepted")
	}
}
