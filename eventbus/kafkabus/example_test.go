package kafkabus_test

import (
	"context"
	"log"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
)

// ExampleNewSource shows a consumer of the topics the Open edX LMS writes,
// with retries and dead-lettering.
func ExampleNewSource() {
	src, err := kafkabus.NewSource(kafkabus.SourceConfig{
		Client:   kafkabus.ClientConfig{Brokers: []string{"127.0.0.1:9092"}, TopicPrefix: "prod"},
		Registry: kafkabus.RegistryConfig{URLs: []string{"http://127.0.0.1:8081"}},
		Group:    "credshare",
		Topics:   []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	h := eventbus.Chain(func(ctx context.Context, e eventbus.Event) error {
		log.Println(e.Type, e.ID)
		return nil
	}, eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 3}), eventbus.Recover(), eventbus.Timeout(30*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := src.Receive(ctx, h); err != nil {
		log.Fatal(err)
	}
}
