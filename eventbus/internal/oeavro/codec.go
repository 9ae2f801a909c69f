package oeavro

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/credshare/credshare/eventbus"
	"github.com/hamba/avro/v2"
)

// MagicByte starts every Confluent-framed message.
const MagicByte = 0x00

// Frame prepends the Confluent wire header (magic byte 0 and the schema id,
// big-endian) to an Avro body.
func Frame(id uint32, body []byte) []byte {
	out := make([]byte, 5+len(body))
	out[0] = MagicByte
	binary.BigEndian.PutUint32(out[1:5], id)
	copy(out[5:], body)
	return out
}

// Unframe splits a Confluent-framed message into schema id and body. The
// error matches eventbus.ErrDecode.
func Unframe(b []byte) (id uint32, body []byte, err error) {
	if len(b) < 5 {
		return 0, nil, eventbus.DecodeError("value of %d bytes is shorter than the 5-byte Confluent header", len(b))
	}
	if b[0] != MagicByte {
		return 0, nil, eventbus.DecodeError("bad magic byte 0x%02x (want 0x00, Confluent framing)", b[0])
	}
	return binary.BigEndian.Uint32(b[1:5]), b[5:], nil
}

// ParseSchema parses an Avro schema with a private name cache, so schemas of
// different producers that reuse record names never mix.
func ParseSchema(s string) (avro.Schema, error) {
	return avro.ParseWithCache(s, "", &avro.SchemaCache{})
}

// Codec encodes and decodes event data. It is safe for concurrent use.
type Codec struct {
	api        avro.API
	readers    map[string]avro.Schema // our schemas by event type; immutable
	keys       map[string]avro.Schema
	resolved   sync.Map  // resolveKey -> avro.Schema or error
	readerPool sync.Pool // *avro.Reader
}

type resolveKey struct {
	writer    [32]byte
	eventType string
}

// NewCodec returns a codec. maxBytes caps every length-prefixed value
// (string, bytes, array, map) decoded, so hostile input cannot make it
// allocate more; 0 means 16 MiB.
func NewCodec(maxBytes int) *Codec {
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	c := &Codec{
		api:     avro.Config{MaxByteSliceSize: maxBytes, MaxSliceAllocSize: maxBytes}.Freeze(),
		readers: map[string]avro.Schema{},
		keys:    map[string]avro.Schema{},
	}
	c.readerPool.New = func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(c.api)) }
	for t := range payloadRecords {
		js, _ := SchemaJSON(t)
		c.readers[t] = mustParse(js)
		if ks, ok := KeySchemaJSON(t); ok {
			c.keys[t] = mustParse(ks)
		}
	}
	return c
}

func mustParse(s string) avro.Schema {
	sc, err := ParseSchema(s)
	if err != nil {
		panic(fmt.Sprintf("oeavro: built-in schema does not parse: %v\n%s", err, s))
	}
	return sc
}

// Schema returns our (reader) schema for a known event type.
func (c *Codec) Schema(eventType string) (avro.Schema, bool) {
	s, ok := c.readers[eventType]
	return s, ok
}

// Encode encodes data with our schema for eventType (schemaless Avro, no
// framing).
func (c *Codec) Encode(eventType string, data map[string]any) ([]byte, error) {
	s, ok := c.readers[eventType]
	if !ok {
		return nil, fmt.Errorf("%w: no Avro schema for event type %q", eventbus.ErrInvalidEvent, eventType)
	}
	return c.EncodeWith(s, data)
}

// EncodeWith encodes data with schema s.
func (c *Codec) EncodeWith(s avro.Schema, data map[string]any) ([]byte, error) {
	b, err := c.api.Marshal(s, data)
	if err != nil {
		return nil, fmt.Errorf("%w: avro encode: %v", eventbus.ErrInvalidEvent, err)
	}
	return b, nil
}

// EncodeKey encodes the message key for eventType with the key field's
// sub-schema (an Avro string).
func (c *Codec) EncodeKey(eventType, key string) ([]byte, error) {
	s, ok := c.keys[eventType]
	if !ok {
		s = avro.NewPrimitiveSchema(avro.String, nil)
	}
	return c.api.Marshal(s, key)
}

// DecodeKey decodes an Avro string key body (a zig-zag varint length and
// the bytes); ok is false when b is not exactly one.
func (c *Codec) DecodeKey(b []byte) (string, bool) {
	n, k := binary.Varint(b)
	if k <= 0 || n < 0 || int64(len(b)-k) != n {
		return "", false
	}
	return string(b[k:]), true
}

// Decode decodes body, written with writer, into a data tree. When
// eventType is known and writer differs from our schema, writer is resolved
// against ours (the result has exactly our fields, with defaults for fields
// the writer lacks); when writer is nil our schema is used. Errors match
// eventbus.ErrDecode.
func (c *Codec) Decode(eventType string, writer avro.Schema, body []byte) (map[string]any, error) {
	s, err := c.decodeSchema(eventType, writer)
	if err != nil {
		return nil, err
	}
	r := c.readerPool.Get().(*avro.Reader)
	defer c.readerPool.Put(r)
	r.Reset(body)
	r.Error = nil
	if _, known := c.readers[eventType]; known {
		if t := newTyped(eventType); t != nil {
			r.ReadVal(s, t)
			if r.Error != nil {
				return nil, eventbus.DecodeError("avro: %v", r.Error)
			}
			return t.tree(), nil
		}
	}
	var m map[string]any
	r.ReadVal(s, &m)
	if r.Error != nil {
		return nil, eventbus.DecodeError("avro: %v", r.Error)
	}
	if m == nil {
		return nil, eventbus.DecodeError("avro: data is not a record")
	}
	return m, nil
}

func (c *Codec) decodeSchema(eventType string, writer avro.Schema) (avro.Schema, error) {
	reader, known := c.readers[eventType]
	switch {
	case writer == nil && !known:
		return nil, eventbus.DecodeError("no schema for event type %q", eventType)
	case writer == nil:
		return reader, nil
	case !known:
		return writer, nil
	}
	wfp := writer.Fingerprint()
	if wfp == reader.Fingerprint() {
		return reader, nil
	}
	k := resolveKey{wfp, eventType}
	if v, ok := c.resolved.Load(k); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(avro.Schema), nil
	}
	res, err := avro.NewSchemaCompatibility().Resolve(reader, writer)
	var v any = res
	if err != nil {
		err = eventbus.DecodeError("writer schema is incompatible with %s: %v", eventType, err)
		v = err
	}
	c.resolved.Store(k, v)
	if err != nil {
		return nil, err
	}
	return res, nil
}
