package kafkabus_test

import (
	"context"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// TestSASLPlain runs a publish and a consume against a broker that requires
// SASL/PLAIN (what event-bus-kafka uses for managed clusters), and checks
// that wrong credentials are refused.
func TestSASLPlain(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "credshare", "s3cret"),
		kfake.SeedTopics(1, "sasl-learning-badges-lifecycle"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := srfake.New()
	defer reg.Close()
	srcl, _ := sr.NewClient(sr.URLs(reg.URL()))
	ctx := context.Background()
	cc := func(pass string) kafkabus.ClientConfig {
		return kafkabus.ClientConfig{Brokers: c.ListenAddrs(), TopicPrefix: "sasl",
			SASL: []sasl.Mechanism{plain.Auth{User: "credshare", Pass: pass}.AsMechanism()},
			Opts: []kgo.Opt{kgo.RequestRetries(0), kgo.RetryTimeout(2 * time.Second)}}
	}
	bad, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: cc("wrong"), Registry: kafkabus.RegistryConfig{Client: srcl}})
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if err := bad.Publish(tctx, eventbus.TopicBadgesLifecycle, eventbustest.Events(1)[0]); err == nil {
		t.Error("publish with a wrong password succeeded")
	}
	_ = bad.Close()

	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: cc("s3cret"), Registry: kafkabus.RegistryConfig{Client: srcl}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ev := eventbustest.Events(1)[0]
	if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, ev); err != nil {
		t.Fatal(err)
	}
	src, err := kafkabus.NewSource(kafkabus.SourceConfig{Client: cc("s3cret"), Registry: kafkabus.RegistryConfig{Client: srcl},
		Group: "g", Topics: []string{eventbus.TopicBadgesLifecycle}, FetchMaxWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	var got string
	_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error { got = e.ID; rcancel(); return nil })
	if got != ev.ID {
		t.Fatalf("consumed %q, want %q", got, ev.ID)
	}
}
