package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// redisURL returns the redis-server the suite runs against
// (CREDSHARE_REDIS_URL, as `make test` and scripts/redis-up.sh provide it),
// or skips the test when there is none, as eventbus/redisbus's tests do.
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("CREDSHARE_REDIS_URL")
	if url == "" {
		if os.Getenv("CREDSHARE_REQUIRE_REDIS") == "1" {
			t.Fatal("CREDSHARE_REQUIRE_REDIS=1 but CREDSHARE_REDIS_URL is not set")
		}
		t.Skip("set CREDSHARE_REDIS_URL to a redis-server (scripts/redis-up.sh prints one; make test does this)")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	return url
}

// busCases are the two buses the deployment runs on: Kafka (kfake and
// srfake, in process) and Redis Streams (a real redis-server).
var busCases = []struct {
	bus  string
	opts func(t *testing.T) fakeOptions
}{
	{busKafka, func(*testing.T) fakeOptions { return fakeOptions{} }},
	{busRedis, func(t *testing.T) fakeOptions { return fakeOptions{RedisURL: redisURL(t)} }},
}

// TestEndToEndOnBothBuses runs the deployment over the seeded Open edX
// events on each bus: the same events in (one delivered twice, one
// malformed), the same awards and Credly badges, the same badge.awarded
// events published back on that bus in its Open edX format (on Redis
// decoded by a consumer group of their own), the malformed one
// dead-lettered on that bus, /readyz naming the bus and /metrics with the
// same series.
func TestEndToEndOnBothBuses(t *testing.T) {
	for _, tc := range busCases {
		t.Run(tc.bus, func(t *testing.T) {
			o := tc.opts(t)
			var out, log syncBuffer
			o.Out, o.Log, o.Timeout = &out, &log, 45*time.Second
			sum, err := runFake(context.Background(), o)
			if err != nil {
				t.Fatalf("%v\nlog:\n%s", err, log.String())
			}
			t.Log("\n" + out.String())
			if sum.Bus != tc.bus {
				t.Fatalf("ran on %q", sum.Bus)
			}
			if sum.Unique != 10 || sum.Processed != sum.Unique || sum.CertsAwarded != 2 || sum.CertsRevoked != 1 ||
				sum.BadgesAwarded != 3 || sum.CredlyBadges != 3 || !sum.CredlyAccepted || sum.OutboxPending != 0 || sum.OutboxDead != 0 {
				t.Errorf("summary: %+v", sum)
			}
			want := []string{"alice: Python Fundamentals (awarded", "bob: Python Fundamentals (awarded", "carol: Data Science Track (awarded"}
			if len(sum.Badges) != len(want) {
				t.Errorf("badges %v", sum.Badges)
			}
			for i := range min(len(want), len(sum.Badges)) {
				if !strings.HasPrefix(sum.Badges[i], want[i]) {
					t.Errorf("badge %d = %q, want %q…", i, sum.Badges[i], want[i])
				}
			}
			if len(sum.Published) != 1 || sum.Published["org.openedx.learning.badge.awarded.v1"] != 3 {
				t.Errorf("published %v, want 3 distinct badge.awarded", sum.Published)
			}
			if len(sum.DLQ) != 1 || sum.DLQ[0] == "" {
				t.Errorf("dead letters %q, want the malformed entry with its reason", sum.DLQ)
			}
			for p, c := range sum.Endpoints {
				if c != http.StatusOK {
					t.Errorf("%s answered %d", p, c)
				}
			}
			other := busRedis
			if tc.bus == busRedis {
				other = busKafka
			}
			if !strings.Contains(sum.Ready, `"`+tc.bus+`":"ok"`) || strings.Contains(sum.Ready, `"`+other+`"`) ||
				!strings.Contains(sum.Ready, `"store":"ok"`) || !strings.Contains(sum.Ready, `"consumer":"ok"`) {
				t.Errorf("/readyz = %s", sum.Ready)
			}
			for _, m := range []string{
				`credshare_events_total{outcome="applied",type="org.openedx.learning.course.passing.status.updated.v1"} 6`,
				`credshare_award_transitions_total{achievement="course-v1:OpenedX+PY101+2026_T1",kind="course_certificate",transition="revoked"} 1`,
				`credshare_outbox_depth{state="pending"} 0`,
				`credshare_event_handle_duration_seconds_count{bus="` + tc.bus + `",result="ok",type="org.openedx.learning.certificate.created.v1"} 3`,
				`transport="` + tc.bus + `"`,
				"credshare_bus_dead_lettered_total{",
			} {
				if !strings.Contains(sum.Metrics, m) {
					t.Errorf("/metrics lacks %s", m)
				}
			}
			if strings.Contains(log.String(), `"level":"ERROR"`) && !strings.Contains(log.String(), "dead-letter") {
				t.Errorf("error lines in the log:\n%s", log.String())
			}
		})
	}
}

// TestProductionPathOnRedis runs the program as a Tutor site's neighbour
// does: configuration from Open edX's EVENT_BUS_REDIS_CONNECTION_URL and
// EVENT_BUS_TOPIC_PREFIX, against redis-server, until SIGTERM.
func TestProductionPathOnRedis(t *testing.T) {
	url := redisURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	prefix := "prod-" + uuid.NewString()[:8]
	t.Cleanup(func() {
		opt, _ := redis.ParseURL(url)
		c := redis.NewClient(opt)
		defer c.Close()
		_ = c.Del(context.Background(), fullTopics(prefix)...).Err()
	})
	env := envMap(map[string]string{
		"EVENT_BUS_REDIS_CONNECTION_URL":    url,
		"EVENT_BUS_TOPIC_PREFIX":            prefix,
		"EVENT_BUS_REDIS_CONSUMERS_ENABLED": "true",
		"CREDSHARE_STORE_DRIVER":            "sqlite",
		"CREDSHARE_STORE_DSN":               filepath.Join(t.TempDir(), "credshare.db"),
		"CREDSHARE_HTTP_ADDR":               addr,
	})
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- realMain(ctx, nil, &stdout, &stderr, env) }()
	deadline := time.Now().Add(30 * time.Second)
	var body string
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case c := <-code:
			t.Fatalf("exited with %d\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 30s\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("/readyz = %s", body)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d\n%s", c, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{`"bus":"redis"`, `"redis.connection_url":"[set]"`, `"msg":"stopped cleanly"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, url) {
		t.Errorf("the Redis URL was logged:\n%s", logs)
	}
}

// TestBusChoice: the bus follows the settings given, as Open edX's; both
// or neither is a configuration error naming the settings.
func TestBusChoice(t *testing.T) {
	base := map[string]string{"CREDSHARE_STORE_DRIVER": "sqlite", "CREDSHARE_STORE_DSN": "/tmp/x.db"}
	with := func(kv ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return envMap(m)
	}
	for _, tc := range []struct {
		name    string
		env     func(string) string
		bus     string
		wantErr []string
	}{
		{"kafka", with("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL", "http://registry:8081"), busKafka, nil},
		{"redis", with("EVENT_BUS_REDIS_CONNECTION_URL", "redis://:pw@redis:6379/0"), busRedis, nil},
		{"both", with("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "EVENT_BUS_REDIS_CONNECTION_URL", "redis://redis:6379/0"), "",
			[]string{"both Kafka (EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS)", "EVENT_BUS_REDIS_CONNECTION_URL", "keep only"}},
		{"neither", with(), "", []string{"event bus: none configured", "EVENT_BUS_REDIS_CONNECTION_URL", "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL"}},
		{"bad redis url", with("EVENT_BUS_REDIS_CONNECTION_URL", "http://:pw@redis:6379"), "",
			[]string{"redis.connection_url (CREDSHARE_REDIS_CONNECTION_URL): not a redis:// or rediss:// URL"}},
		{"replay on redis", with("EVENT_BUS_REDIS_CONNECTION_URL", "redis://redis:6379/0", "CREDSHARE_REPLAY_FROM", "2026-11-01T00:00:00Z"), "",
			[]string{"kafka.replay_from (CREDSHARE_REPLAY_FROM): Kafka only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig("", tc.env)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if tc.wantErr == nil {
				if err != nil || cfg.busName() != tc.bus {
					t.Fatalf("bus %q, err %v", cfg.busName(), err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("a password was printed:\n%v", err)
			}
			// The same through the program: exit code 2.
			var out, errOut strings.Builder
			if c := realMain(context.Background(), nil, &out, &errOut, tc.env); c != 2 {
				t.Errorf("exit code %d, want 2", c)
			}
		})
	}
}
