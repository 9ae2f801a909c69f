package redisbus_test

import (
	"context"
	"log"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/redisbus"
	"github.com/redis/go-redis/v9"
)

// ExampleNewSource consumes what an Open edX LMS publishes with
// event-bus-redis.
func ExampleNewSource() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	src, err := redisbus.NewSource(redisbus.SourceConfig{
		Client:   rdb,
		Topics:   []string{eventbus.TopicBadgesLifecycle},
		Group:    "credshare",
		Consumer: "credshare-0", // stable per process: pending entries survive restarts
	})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err = src.Receive(ctx, eventbus.Chain(func(ctx context.Context, e eventbus.Event) error {
		log.Println(e.Type, e.ID)
		return nil
	}, eventbus.Recover()))
	if err != nil {
		log.Fatal(err)
	}
}
