package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// TestEndToEndKafkaMariaDB runs the scenario the way an Open edX site does:
// events written to Kafka as Open edX producers write them (Confluent
// framing, schema registry, ce_* headers), consumed by a consumer group into
// the pipeline on MariaDB, badge events published back to Kafka — with the
// whole stream written twice.
func TestEndToEndKafkaMariaDB(t *testing.T) {
	st := mysqltest.Open(t) // skips without CREDSHARE_MYSQL_DSN
	endToEndKafka(t, st, false)
}

// TestEndToEndKafkaBatch is TestEndToEndKafkaMariaDB with the source's
// batches (kafkabus ReceiveBatch into Pipeline.HandleBatch), on SQLite and
// MariaDB: the duplicates of the stream written twice fall within one
// batch and across batches.
func TestEndToEndKafkaBatch(t *testing.T) {
	t.Run("store=sqlite", func(t *testing.T) { endToEndKafka(t, openSQLite(t), true) })
	t.Run("store=mariadb", func(t *testing.T) { endToEndKafka(t, mysqltest.Open(t), true) })
}

func endToEndKafka(t *testing.T, st store.Store, batch bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	reg := srfake.New()
	defer reg.Close()
	srcl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	client := kafkabus.ClientConfig{Brokers: cluster.ListenAddrs(), TopicPrefix: "dev"}
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: client, Registry: kafkabus.RegistryConfig{Client: srcl}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()

	for range 2 {
		for _, e := range scenario() {
			topic := eventbus.TopicBadgesLifecycle
			if info, ok := eventbus.LookupType(e.Type); ok {
				topic = info.Topic
			}
			if err := pub.Publish(ctx, topic, e); err != nil {
				t.Fatal(err)
			}
		}
	}

	prov := &fakeProvider{}
	rec := &recordingPublisher{}
	p, d := newPipeline(t, st, pipeline.Config{Rules: loadRules(t, st),
		Providers: map[string]badge.Provider{"fake": prov}, Publisher: teePublisher{pub, rec}})
	src, err := kafkabus.NewSource(kafkabus.SourceConfig{
		Client: client, Registry: kafkabus.RegistryConfig{Client: srcl}, Group: "credentials",
		Topics:       []string{eventbus.TopicBadgesLifecycle, eventbus.TopicCertificateLifecycle},
		FetchMaxWait: 100 * time.Millisecond, RetryBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() {
		if batch {
			done <- src.ReceiveBatch(rctx, p.BatchHandler(), eventbus.BatchOptions{MaxEvents: 8, Linger: 5 * time.Millisecond})
		} else {
			done <- src.Receive(rctx, p.Handler())
		}
	}()
	go func() { _ = d.Run(rctx) }()

	// Wait until the expected final state is reached and the outbox is empty.
	for {
		as := finalAwards(t, st)
		stats, _ := st.Outbox().Stats(ctx)
		if len(as) == 5 && as[awardKey{2, "badge:" + pioneer}] == credential.StatusRevoked &&
			as[awardKey{4, "course_certificate:" + pyCourse}] == credential.StatusRevoked && stats.Pending == 0 && len(rec.snapshot()) == 5 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out: awards %v, outbox %+v, published %d", as, stats, len(rec.snapshot()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkScenario(t, st, prov, rec)

	// The badge events are on the Kafka topic, framed as Open edX consumers expect.
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics("dev-"+eventbus.TopicBadgesLifecycle),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	badgeEvents := 0
	deadline := time.Now().Add(10 * time.Second)
	for badgeEvents < 5 && time.Now().Before(deadline) {
		fctx, fcancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(fctx)
		fcancel()
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == "ce_type" && (string(h.Value) == eventbus.TypeBadgeAwarded || string(h.Value) == eventbus.TypeBadgeRevoked) {
					if len(r.Value) < 5 || r.Value[0] != 0 {
						t.Errorf("badge event value is not Confluent-framed: % x", r.Value[:min(8, len(r.Value))])
					}
					badgeEvents++
				}
			}
		})
	}
	if badgeEvents != 5 {
		t.Fatalf("found %d badge events on the topic, want 5", badgeEvents)
	}
}

// teePublisher publishes to Kafka and records what it sent.
type teePublisher struct {
	kafka *kafkabus.Publisher
	rec   *recordingPublisher
}

func (t teePublisher) Publish(ctx context.Context, topic string, e eventbus.Event) error {
	if err := t.kafka.Publish(ctx, topic, e); err != nil {
		return err
	}
	return t.rec.Publish(ctx, topic, e)
}
func (t teePublisher) Close() error { return nil }

func (r *recordingPublisher) snapshot() []eventbus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventbus.Event(nil), r.sent...)
}
