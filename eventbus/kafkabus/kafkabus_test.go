package kafkabus_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/eventbustest"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
	"github.com/credshare/credshare/eventbus/kafkabus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

func TestConformance(t *testing.T) {
	e := newEnv(t)
	eventbustest.Run(t, newHarness(e), eventbustest.Features{OrderPerKey: true, Poison: true, Metrics: true, Transport: "kafka", Timeout: 20 * time.Second})
}

// Hand-written Avro binary encoding, independent of the codec under test.
type avroBuf struct{ bytes.Buffer }

func (b *avroBuf) long(n int64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutVarint(tmp[:], n)]) // zig-zag varint, as Avro
}
func (b *avroBuf) str(s string) { b.long(int64(len(s))); b.WriteString(s) }
func (b *avroBuf) boolean(v bool) {
	if v {
		b.WriteByte(1)
	} else {
		b.WriteByte(0)
	}
}
func (b *avroBuf) null()           { b.long(0) }           // union branch 0 = "null"
func (b *avroBuf) optStr(s string) { b.long(1); b.str(s) } // union branch 1 = "string"
func frame(id int, body []byte) []byte {
	out := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(id))
	return append(out, body...)
}

// TestOpenEdXProducedMessageDecodes builds a certificate.created message the
// way event-bus-kafka's producer does — headers in its order and format,
// schema registered under the TopicRecordNameStrategy subject, Confluent
// framing, Avro written field by field — and checks the typed payload.
func TestOpenEdXProducedMessageDecodes(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	topic := "prod-" + eventbus.TopicCertificateLifecycle
	env.createTopic(topic, 1)
	schema, _ := oeavro.SchemaJSON(eventbus.TypeCertificateCreated)
	id, err := env.srcl.RegisterSchema(ctx, topic+"-org.openedx.learning.certificate.created.v1.CloudEvent", sr.Schema{Schema: schema, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := env.srcl.RegisterSchema(ctx, topic+"-string", sr.Schema{Schema: `{"name": "course_key", "type": "string"}`, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	var v avroBuf
	v.long(12345)                     // user.id
	v.boolean(true)                   // user.is_active
	v.str("ada")                      // user.pii.username
	v.str("ada@example.org")          // user.pii.email
	v.str("Ada Lovelace")             // user.pii.name
	v.str("course-v1:edX+DemoX+Demo") // course.course_key
	v.str("Demonstration Course")     // course.display_name
	v.optStr("2023-01-01T00:00:00+00:00")
	v.null()              // course.end
	v.str("verified")     // mode
	v.str("0.95")         // grade
	v.str("")             // download_url
	v.str("Ada Lovelace") // name
	v.str("downloadable") // current_status
	v.str("notpassing")   // previous_status
	var k avroBuf
	k.str("course-v1:edX+DemoX+Demo")
	hs := func(kv ...string) []kgo.RecordHeader {
		var out []kgo.RecordHeader
		for i := 0; i < len(kv); i += 2 {
			out = append(out, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return out
	}
	rec := &kgo.Record{Topic: topic, Key: frame(kid, k.Bytes()), Value: frame(id, v.Bytes()), Headers: hs(
		"ce_specversion", "1.0", "content-type", "application/avro", "ce_datacontenttype", "application/avro",
		"ce_type", "org.openedx.learning.certificate.created.v1", "ce_id", "b5ec5a4c-4a3b-11ee-be56-0242ac120002",
		"ce_source", "openedx/lms/web", "ce_time", "2023-09-01T12:00:00.123456+00:00", "ce_minorversion", "0",
		"sourcehost", "lms-7d9f", "sourcelib", "9.5.1")}
	if err := env.client().ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	src := env.source("prod", "credentials", func(c *kafkabus.SourceConfig) { c.Topics = []string{eventbus.TopicCertificateLifecycle} })
	defer src.Close()
	got := make(chan eventbus.Event, 1)
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error { got <- e; cancel(); return nil })
	}()
	var e eventbus.Event
	select {
	case e = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	if e.ID != "b5ec5a4c-4a3b-11ee-be56-0242ac120002" || e.Type != eventbus.TypeCertificateCreated || e.Source != "openedx/lms/web" ||
		e.SourceHost != "lms-7d9f" || e.SourceLib != "9.5.1" || e.SpecVersion != "1.0" || e.DataContentType != "application/avro" ||
		e.Key != "course-v1:edX+DemoX+Demo" || !e.Time.Equal(time.Date(2023, 9, 1, 12, 0, 0, 123456000, time.UTC)) {
		t.Fatalf("attributes: %+v", e)
	}
	c, err := e.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	want := eventbus.CertificateData{
		User:   eventbus.UserData{ID: 12345, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org", Name: "Ada Lovelace"}},
		Course: eventbus.CourseData{CourseKey: "course-v1:edX+DemoX+Demo", DisplayName: "Demonstration Course", Start: "2023-01-01T00:00:00+00:00"},
		Mode:   "verified", Grade: "0.95", Name: "Ada Lovelace", CurrentStatus: "downloadable", PreviousStatus: "notpassing",
	}
	if c != want {
		t.Fatalf("payload\n got %+v\nwant %+v", c, want)
	}
	if v, _ := e.LookupString("user.pii.email"); v != "ada@example.org" {
		t.Fatalf("Lookup = %q", v)
	}
	if e.Msg == nil || e.Msg.Topic != topic || e.Msg.Offset != 0 || len(e.Msg.Headers) != 10 {
		t.Fatalf("transport metadata: %+v", e.Msg)
	}
}

// TestPoisonMessagesGoToDLQ sends each kind of unusable message between good
// ones; each lands in the DLQ with a reason and the good ones are handled.
func TestPoisonMessagesGoToDLQ(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "poison"
	full := eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle)
	env.createTopic(full, 1) // one partition: strict order, so "carries on" is visible
	pub := env.publisher(prefix)
	good := eventbustest.Events(1, "k")[0]
	goodRec, err := pub.Record(ctx, eventbus.TopicBadgesLifecycle, good)
	if err != nil {
		t.Fatal(err)
	}
	withHeaders := func(id string, typ string, value []byte) *kgo.Record {
		r := &kgo.Record{Topic: full, Value: value}
		for _, h := range goodRec.Headers {
			switch {
			case h.Key == "ce_id" && id == "":
				continue
			case h.Key == "ce_id":
				h.Value = []byte(id)
			case h.Key == "ce_type":
				h.Value = []byte(typ)
			}
			r.Headers = append(r.Headers, h)
		}
		return r
	}
	_, body, _ := oeavro.Unframe(goodRec.Value)
	goodID := binary.BigEndian.Uint32(goodRec.Value[1:5])
	big := make([]byte, 10<<20)
	copy(big, goodRec.Value)
	poisons := map[string]*kgo.Record{
		"p-magic":    withHeaders("p-magic", good.Type, append([]byte{0x01}, goodRec.Value[1:]...)),
		"p-schema":   withHeaders("p-schema", good.Type, frame(987654, body)),
		"p-trunc":    withHeaders("p-trunc", good.Type, frame(int(goodID), body[:len(body)/2])),
		"":           withHeaders("", good.Type, goodRec.Value),
		"p-unknown":  withHeaders("p-unknown", "org.example.mystery.v1", frame(424242, []byte{2, 'x'})),
		"p-huge":     withHeaders("p-huge", good.Type, big),
		"p-dup-type": withHeaders("p-dup-type", good.Type, goodRec.Value),
	}
	poisons["p-dup-type"].Headers = append(poisons["p-dup-type"].Headers, kgo.RecordHeader{Key: "ce_type", Value: []byte("x")})
	reasons := map[string]string{
		"p-magic": "bad magic byte", "p-schema": "schema id 987654 is unknown", "p-trunc": "avro",
		"": `missing "ce_id"`, "p-unknown": "schema id 424242 is unknown", "p-huge": "exceeds", "p-dup-type": `multiple "ce_type"`,
	}
	cl := env.client()
	var goods []eventbus.Event
	for id, r := range poisons {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		g := eventbustest.Events(1, "k")[0]
		goods = append(goods, g)
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, g); err != nil {
			t.Fatal(err)
		}
	}
	src := env.source(prefix, "g")
	defer src.Close()
	var mu sync.Mutex
	seen := map[string]bool{}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error {
			mu.Lock()
			defer mu.Unlock()
			seen[e.ID] = true
			if len(seen) == len(goods) {
				cancel()
			}
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("consumer did not get past the poison messages; saw %d of %d", len(seen), len(goods))
	}
	dl := env.readAll(eventbus.DLQName(full))
	if len(dl) != len(poisons) {
		t.Fatalf("DLQ holds %d records, want %d", len(dl), len(poisons))
	}
	for _, r := range dl {
		id := header(r, "ce_id")
		want, ok := reasons[id]
		if !ok {
			t.Errorf("unexpected DLQ record %q", id)
			continue
		}
		if got := header(r, kafkabus.HeaderDLQReason); !strings.Contains(got, want) {
			t.Errorf("%s: reason %q does not mention %q", id, got, want)
		}
		if header(r, kafkabus.HeaderDLQTopic) != full || header(r, kafkabus.HeaderDLQOffset) == "" {
			t.Errorf("%s: origin headers missing", id)
		}
		if id == "p-huge" {
			if header(r, kafkabus.HeaderDLQTruncated) != "10485760" || len(r.Value) >= len(big) {
				t.Errorf("huge value not truncated in DLQ: %d bytes", len(r.Value))
			}
		} else if !bytes.Equal(r.Value, poisons[id].Value) {
			t.Errorf("%s: DLQ value differs from the original", id)
		}
	}
}

// TestStopMidStreamAndRestart stops a consumer in the middle of a stream and
// starts another in the same group: every event is applied exactly once.
func TestStopMidStreamAndRestart(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "restart"
	env.createTopic(eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle), 3)
	pub := env.publisher(prefix)
	events := eventbustest.Events(150, "a", "b", "c", "d", "e")
	for _, e := range events {
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	applied := map[string]int{}
	apply := func(stopAt int, cancel context.CancelFunc) eventbus.Handler {
		return func(ctx context.Context, e eventbus.Event) error {
			if ctx.Err() != nil {
				return ctx.Err() // stopping: not applied, not acknowledged
			}
			mu.Lock()
			defer mu.Unlock()
			applied[e.ID]++
			if len(applied) == stopAt {
				cancel()
			}
			return nil
		}
	}
	run := func(stopAt int) {
		src := env.source(prefix, "g")
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- src.Receive(rctx, apply(stopAt, cancel)) }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("consumer did not finish; applied %d", len(applied))
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
	}
	run(60)
	mu.Lock()
	first := len(applied)
	mu.Unlock()
	if first < 60 || first >= len(events) {
		t.Fatalf("first consumer applied %d", first)
	}
	run(len(events))
	for _, e := range events {
		if applied[e.ID] != 1 {
			t.Errorf("event %s applied %d times", e.ID, applied[e.ID])
		}
	}
}

func TestReplayFromTimestamp(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	const prefix = "replay"
	env.createTopic(eventbus.FullTopic(prefix, eventbus.TopicBadgesLifecycle), 2)
	pub := env.publisher(prefix)
	events := eventbustest.Events(10)
	var cut time.Time
	for i, e := range events {
		if i == 6 {
			time.Sleep(20 * time.Millisecond)
			cut = time.Now()
			time.Sleep(20 * time.Millisecond)
		}
		if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, e); err != nil {
			t.Fatal(err)
		}
	}
	consume := func(mod func(*kafkabus.SourceConfig), want int) map[string]bool {
		src := env.source(prefix, "g", mod)
		defer src.Close()
		var mu sync.Mutex
		seen := map[string]bool{}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error {
				mu.Lock()
				defer mu.Unlock()
				seen[e.ID] = true
				if len(seen) == want {
					cancel()
				}
				return nil
			})
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cancel()
			t.Fatalf("saw %d of %d", len(seen), want)
		}
		return seen
	}
	consume(func(*kafkabus.SourceConfig) {}, 10)
	again := consume(func(c *kafkabus.SourceConfig) { c.ReplayFrom = cut }, 4)
	for i, e := range events {
		if again[e.ID] != (i >= 6) {
			t.Errorf("event %d replayed = %v", i, again[e.ID])
		}
	}
}

// TestPublisherWritesOpenEdXShape checks the record a badge.awarded publish
// writes: headers, subjects, framing and key = badge.uuid.
func TestPublisherWritesOpenEdXShape(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	pub := env.publisher("stage")
	b := eventbus.BadgeData{UUID: "4b3c7f3e-0000-4000-8000-00000000abcd",
		User:     eventbus.UserData{ID: 9, IsActive: true, PII: eventbus.UserPersonalData{Username: "u", Email: "u@x", Name: "U"}},
		Template: eventbus.BadgeTemplateData{UUID: "tmpl-1", Origin: "openedx", Name: "Star"}}
	ev := eventbus.BadgeEvent(eventbus.TypeBadgeAwarded, b)
	ev.Time = time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	if err := pub.Publish(ctx, eventbus.TopicBadgesLifecycle, ev); err != nil {
		t.Fatal(err)
	}
	full := "stage-learning-badges-lifecycle"
	recs := env.readAll(full)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	var keys []string
	for _, h := range r.Headers {
		keys = append(keys, h.Key)
	}
	if got := strings.Join(keys, ","); got != "ce_specversion,content-type,ce_datacontenttype,ce_type,ce_id,ce_source,ce_time,ce_minorversion,sourcehost,sourcelib" {
		t.Errorf("header order %s", got)
	}
	if header(r, "ce_time") != "2026-03-04T05:06:07.890000+00:00" || header(r, "ce_id") != ev.ID || header(r, "ce_minorversion") != "0" || header(r, "sourcelib") != "11.2.0" {
		t.Errorf("headers %v", r.Headers)
	}
	vs, err := env.srcl.SchemaByVersion(ctx, full+"-org.openedx.learning.badge.awarded.v1.CloudEvent", -1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Value[0] != 0 || int(binary.BigEndian.Uint32(r.Value[1:5])) != vs.ID {
		t.Errorf("value not framed with the subject's schema id %d", vs.ID)
	}
	want, _ := oeavro.SchemaJSON(eventbus.TypeBadgeAwarded)
	if vs.Schema.Schema != want {
		t.Errorf("registered schema differs")
	}
	ks, err := env.srcl.SchemaByVersion(ctx, full+"-string", -1)
	if err != nil {
		t.Fatal(err)
	}
	var k avroBuf
	k.str(b.UUID)
	if !bytes.Equal(r.Key, frame(ks.ID, k.Bytes())) {
		t.Errorf("key = %x, want framed Avro of badge.uuid", r.Key)
	}
	// The value decodes, by hand, to the badge fields in schema order.
	var v avroBuf
	v.str(b.UUID)
	v.long(9)
	v.boolean(true)
	v.str("u")
	v.str("u@x")
	v.str("U")
	v.str("tmpl-1")
	v.str("openedx")
	v.optStr("Star")
	v.null()
	v.null()
	if !bytes.Equal(r.Value[5:], v.Bytes()) {
		t.Errorf("value body = %x\nwant %x", r.Value[5:], v.Bytes())
	}
}

// TestNewerProducerSchemaDecodes: a producer with a newer openedx-events
// (an extra optional field) still decodes into our types.
func TestNewerProducerSchemaDecodes(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	full := "new-" + eventbus.TopicBadgesLifecycle
	env.createTopic(full, 1)
	schema, _ := oeavro.SchemaJSON(eventbus.TypeBadgeAwarded)
	newer := strings.Replace(schema, `{"name": "uuid", "type": "string"}, {"name": "user"`, `{"name": "uuid", "type": "string"}, {"default": null, "name": "issued_on", "type": ["null", "string"]}, {"name": "user"`, 1)
	if newer == schema {
		t.Fatal("schema edit did not apply")
	}
	id, err := env.srcl.RegisterSchema(ctx, full+"-org.openedx.learning.badge.awarded.v1.CloudEvent", sr.Schema{Schema: newer, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	var v avroBuf
	v.str("badge-1")
	v.optStr("2026-01-01") // the new field
	v.long(5)
	v.boolean(true)
	v.str("u")
	v.str("u@x")
	v.str("U")
	v.str("t")
	v.str("credly")
	v.null()
	v.null()
	v.null()
	rec := &kgo.Record{Topic: full, Value: frame(id, v.Bytes()), Headers: []kgo.RecordHeader{
		{Key: "ce_id", Value: []byte("n-1")}, {Key: "ce_type", Value: []byte(eventbus.TypeBadgeAwarded)}}}
	if err := env.client().ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	src := env.source("new", "g")
	defer src.Close()
	got := make(chan eventbus.Event, 1)
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		_ = src.Receive(rctx, func(_ context.Context, e eventbus.Event) error { got <- e; cancel(); return nil })
	}()
	select {
	case e := <-got:
		b, err := e.Badge()
		if err != nil || b.UUID != "badge-1" || b.User.ID != 5 || b.Template.Origin != "credly" {
			t.Fatalf("badge %+v, %v", b, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := kafkabus.NewSource(kafkabus.SourceConfig{}); err == nil {
		t.Error("empty config accepted")
	}
	if _, err := kafkabus.NewSource(kafkabus.SourceConfig{Client: kafkabus.ClientConfig{Brokers: []string{"127.0.0.1:1"}}, Group: "g", Topics: []string{"t"}}); err == nil {
		t.Error("missing registry accepted")
	}
	if _, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{}); err == nil {
		t.Error("empty publisher config accepted")
	}
	p, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Client: kafkabus.ClientConfig{Brokers: []string{"127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), "t", eventbus.NewEvent(eventbus.TypeBadgeAwarded, map[string]any{})); err == nil {
		t.Error("publish without registry accepted")
	}
	_ = p.Close()
	if err := p.Publish(context.Background(), "t", eventbus.NewEvent("x", map[string]any{})); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("publish after close: %v", err)
	}
}
