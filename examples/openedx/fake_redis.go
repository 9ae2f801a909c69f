package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/redisbus"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// startRedis seeds the fake world's streams on the Redis server of
// cfg.Redis as event-bus-redis's producer writes them (redisbus's
// publisher: the same fields and schemaless Avro), one event twice and one
// entry whose event_data is not Avro, and starts a watcher. The streams
// are deleted when cl runs.
func (w *fakeWorld) startRedis(ctx context.Context, cl *cleanups) error {
	ro, err := redis.ParseURL(w.cfg.Redis.ConnectionURL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	client := redis.NewClient(ro)
	streams := fullTopics(w.cfg.Bus.TopicPrefix)
	cl.Cleanup(func() {
		_ = client.Del(context.Background(), streams...).Err()
		_ = client.Close()
	})
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", ro.Addr, err)
	}
	p, err := redisbus.NewPublisher(redisbus.PublisherConfig{Client: client, TopicPrefix: w.cfg.Bus.TopicPrefix,
		Source: "openedx/lms/web", SourceHost: "lms.example.org"})
	if err != nil {
		return err
	}
	for i, s := range w.evs {
		if err := p.Publish(ctx, s.topic, s.ev); err != nil {
			return fmt.Errorf("seeding event %d: %w", i, err)
		}
		if i == 0 { // an at-least-once producer retry: the same event twice
			if err := p.Publish(ctx, s.topic, s.ev); err != nil {
				return err
			}
		}
	}
	// A poisoned entry: the right fields, event_data that is not Avro.
	e := w.evs[1].ev
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: eventbus.FullTopic(w.cfg.Bus.TopicPrefix, eventbus.TopicCertificateLifecycle), Values: []any{
		redisbus.FieldType, e.Type, redisbus.FieldID, uuid.NewString(), redisbus.FieldSource, "openedx/lms/web",
		redisbus.FieldTime, eventbus.FormatTime(e.Time), redisbus.FieldMinorVersion, "0",
		redisbus.FieldSourceHost, "lms.example.org", redisbus.FieldSourceLib, "9.0.0",
		redisbus.FieldEventData, `{"certificate": "JSON is not what this stream carries"}`,
	}}).Err(); err != nil {
		return err
	}
	rw, err := newRedisWatcher(client, w.cfg.Bus.TopicPrefix)
	if err != nil {
		return err
	}
	w.watch = rw
	return nil
}

// redisWatcher decodes the badges stream with a consumer group of its own
// (so what it counts is what an Open edX consumer would decode) and reads
// the dead-letter streams.
type redisWatcher struct {
	client    *redis.Client
	dlqs      []string
	src       *redisbus.Source
	cancel    context.CancelFunc
	done      chan struct{}
	mu        sync.Mutex
	published map[string]map[string]bool // type → distinct event ids
}

func newRedisWatcher(client *redis.Client, prefix string) (*redisWatcher, error) {
	src, err := redisbus.NewSource(redisbus.SourceConfig{Client: client, TopicPrefix: prefix,
		Topics: []string{eventbus.TopicBadgesLifecycle}, Group: "watcher", Consumer: "watcher", Block: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &redisWatcher{client: client, src: src, cancel: cancel, done: make(chan struct{}), published: map[string]map[string]bool{}}
	for _, t := range []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle} {
		w.dlqs = append(w.dlqs, eventbus.DLQName(eventbus.FullTopic(prefix, t)))
	}
	go func() {
		defer close(w.done)
		_ = src.Receive(ctx, func(_ context.Context, e eventbus.Event) error {
			if e.Source == "openedx/lms/web" {
				return nil
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.published[e.Type] == nil {
				w.published[e.Type] = map[string]bool{}
			}
			w.published[e.Type][e.ID] = true
			return nil
		})
	}()
	return w, nil
}

func (w *redisWatcher) snapshot() (map[string]int, []string) {
	var dlq []string
	for _, s := range w.dlqs {
		msgs, err := w.client.XRange(context.Background(), s, "-", "+").Result()
		if err != nil {
			continue
		}
		for _, m := range msgs {
			r, _ := m.Values[redisbus.FieldDLQReason].(string)
			dlq = append(dlq, r)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := map[string]int{}
	for k, ids := range w.published {
		p[k] = len(ids)
	}
	return p, slices.Clip(dlq)
}

func (w *redisWatcher) close() {
	w.cancel()
	<-w.done
	_ = w.src.Close()
}
