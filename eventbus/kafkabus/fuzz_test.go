package kafkabus

import (
	"context"
	"errors"
	"testing"

	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/oeavro"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

func sampleRecord(tb testing.TB, codec *oeavro.Codec) *kgo.Record {
	e := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
		User:   eventbus.UserData{ID: 1, IsActive: true, PII: eventbus.UserPersonalData{Username: "u", Email: "e", Name: "n"}},
		Course: eventbus.CourseData{CourseKey: "c"}, Mode: "verified",
	})
	body, err := codec.Encode(e.Type, e.Data)
	if err != nil {
		tb.Fatal(err)
	}
	key, _ := codec.EncodeKey(e.Type, e.Key)
	return &kgo.Record{Topic: "t", Key: oeavro.Frame(2, key), Value: oeavro.Frame(1, body), Headers: eventHeaders(e)}
}

func testSchemas(codec *oeavro.Codec) schemaFunc {
	s, _ := codec.Schema(eventbus.TypeCertificateCreated)
	return func(_ context.Context, id int) (avro.Schema, error) {
		if id != 1 {
			return nil, eventbus.DecodeError("schema id %d is unknown", id)
		}
		return s, nil
	}
}

func TestDecodeRecord(t *testing.T) {
	codec := oeavro.NewCodec(1 << 20)
	r := sampleRecord(t, codec)
	e, err := decodeRecord(context.Background(), codec, testSchemas(codec), 1<<20, r, eventbus.Event{Msg: &eventbus.Message{}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := e.Certificate(); err != nil || c.Mode != "verified" || e.Key != "c" {
		t.Fatalf("%+v %v", e, err)
	}
}

func TestParseHeaders(t *testing.T) {
	h := func(kv ...string) []kgo.RecordHeader {
		var out []kgo.RecordHeader
		for i := 0; i < len(kv); i += 2 {
			out = append(out, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return out
	}
	a, err := parseHeaders(h("ce_id", "1", "ce_type", "t", "ce_minorversion", "3", "ce_time", "2024-01-01T00:00:00+00:00", "content-type", "application/avro"))
	if err != nil || a.minor != 3 || a.contentType != "application/avro" || a.time.IsZero() {
		t.Fatalf("%+v %v", a, err)
	}
	for name, hs := range map[string][]kgo.RecordHeader{
		"missing id":    h("ce_type", "t"),
		"missing type":  h("ce_id", "1"),
		"duplicate id":  h("ce_id", "1", "ce_type", "t", "ce_id", "2"),
		"bad minor":     h("ce_id", "1", "ce_type", "t", "ce_minorversion", "x"),
		"bad time":      h("ce_id", "1", "ce_type", "t", "ce_time", "later"),
		"dup sourcelib": h("ce_id", "1", "ce_type", "t", "sourcelib", "1", "sourcelib", "2"),
	} {
		if _, err := parseHeaders(hs); !errors.Is(err, eventbus.ErrDecode) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A duplicated non-metadata header is allowed, as in Open edX.
	if _, err := parseHeaders(h("ce_id", "1", "ce_type", "t", "content-type", "a", "content-type", "b")); err != nil {
		t.Error(err)
	}
}

func FuzzParseHeaders(f *testing.F) {
	f.Add("ce_id", "1", "ce_type", "t", "ce_time", "2024-01-01T00:00:00+00:00")
	f.Add("ce_id", "", "ce_id", "x", "ce_minorversion", "-1")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		a, err := parseHeaders([]kgo.RecordHeader{{Key: k1, Value: []byte(v1)}, {Key: k2, Value: []byte(v2)}, {Key: k3, Value: []byte(v3)}})
		if err != nil {
			if !errors.Is(err, eventbus.ErrDecode) {
				t.Fatalf("not ErrDecode: %v", err)
			}
			return
		}
		if a.id == "" || a.typ == "" {
			t.Fatal("accepted headers without ce_id or ce_type")
		}
	})
}

// FuzzDecodeRecord feeds arbitrary values (framing + Avro) and keys through
// the record decoder: it must return an event or an ErrDecode, never panic.
func FuzzDecodeRecord(f *testing.F) {
	codec := oeavro.NewCodec(1 << 16)
	r := sampleRecord(f, codec)
	f.Add(r.Value, r.Key)
	f.Add(r.Value[:len(r.Value)-3], []byte{0, 0, 0, 0, 2, 0x7f})
	f.Add([]byte{0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, []byte("plain-key"))
	f.Add([]byte{1, 2}, []byte(nil))
	schemas := testSchemas(codec)
	f.Fuzz(func(t *testing.T, value, key []byte) {
		rec := &kgo.Record{Value: value, Key: key, Headers: r.Headers}
		e, err := decodeRecord(context.Background(), codec, schemas, 1<<16, rec, eventbus.Event{Msg: &eventbus.Message{}})
		if err != nil {
			if !errors.Is(err, eventbus.ErrDecode) {
				t.Fatalf("not ErrDecode: %v", err)
			}
			return
		}
		if e.Data == nil {
			t.Fatal("decoded event without data")
		}
		_, _ = e.Certificate()
	})
}

// BenchmarkDecodeRecord is the per-record CPU cost of decoding (headers,
// framing, Avro with a cached writer schema) and dispatching to a no-op
// handler, without the broker.
func BenchmarkDecodeRecord(b *testing.B) {
	codec := oeavro.NewCodec(1 << 20)
	r := sampleRecord(b, codec)
	schemas := testSchemas(codec)
	h := func(context.Context, eventbus.Event) error { return nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e, err := decodeRecord(ctx, codec, schemas, 1<<20, r, eventbus.Event{Msg: &eventbus.Message{}})
		if err != nil {
			b.Fatal(err)
		}
		if err := call(ctx, h, e); err != nil {
			b.Fatal(err)
		}
	}
}
