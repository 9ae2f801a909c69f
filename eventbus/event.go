package eventbus

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents specification version Open edX sends.
const SpecVersion = "1.0"

// ContentTypeAvro is the data content type of Avro-encoded event data.
const ContentTypeAvro = "application/avro"

// ContentTypeJSON is the data content type of JSON event data (file replay).
const ContentTypeJSON = "application/json"

// Event is one Open edX event: its CloudEvents attributes, its message key
// and its data. Data is a generic tree shaped exactly like the JSON (or Avro)
// form of the event data, e.g. {"certificate": {"user": {...}, "mode": ...}},
// so any event type can be delivered and matched by dotted path; the typed
// accessors (Certificate, CoursePassingStatus, Badge, …) convert it to Go
// structs for the known types.
//
// Values in Data are: map[string]any for records, []any for arrays, string,
// bool, int64 (Avro long / int), float64 (double / float), []byte (bytes) and
// nil for a null union branch. Datetimes are ISO-8601 strings, as on the wire.
type Event struct {
	// ID is the CloudEvents id (ce_id): a UUID, unique per event. It is what
	// consumers deduplicate on.
	ID string `json:"id"`
	// Type is the event type (ce_type), e.g. TypeCertificateCreated.
	Type string `json:"type"`
	// Source is the CloudEvents source, e.g. "openedx/lms/web".
	Source string `json:"source,omitempty"`
	// SpecVersion is the CloudEvents spec version, "1.0".
	SpecVersion string `json:"specversion,omitempty"`
	// Time is when the event happened.
	Time time.Time `json:"time,omitzero"`
	// MinorVersion is the event's minor schema version (ce_minorversion).
	MinorVersion int `json:"minorversion"`
	// SourceHost is the host that sent the event.
	SourceHost string `json:"sourcehost,omitempty"`
	// SourceLib is the openedx-events version that built the event, "x.y.z".
	SourceLib string `json:"sourcelib,omitempty"`
	// DataContentType is the content type of the data as sent
	// ("application/avro" on both Open edX buses).
	DataContentType string `json:"datacontenttype,omitempty"`
	// Key is the message key as a string (Kafka; for Open edX producers the
	// value at the type's KeyField, e.g. the badge UUID). Empty when the
	// transport has none.
	Key string `json:"key,omitempty"`
	// Data is the event data (see the type's doc for the value types).
	Data map[string]any `json:"data"`
	// CauseID is the id of the event that caused this one, for tracing:
	// credshare sets it on the badge.awarded / badge.revoked events it
	// publishes to the triggering event's id. Kafka carries it as the
	// CloudEvents extension header ce_causeid, Redis Streams as the stream
	// field causeid; Open edX's consumers read only the attributes they know
	// and ignore both. Empty on Open edX's own events.
	CauseID string `json:"causeid,omitempty"`
	// Msg describes the transport message the event arrived in; nil for an
	// event built in memory. Dead-letter queues copy it.
	Msg *Message `json:"-"`
}

// Message is the transport-level form of a received event, kept so a
// dead-letter queue can store the original bytes and so operators can find
// the message again.
type Message struct {
	// Transport names the bus: "kafka", "redis", "mem" or "file".
	Transport string
	// Topic is the (full) Kafka topic, Redis stream or file name.
	Topic string
	// Partition and Offset locate a Kafka record.
	Partition int32
	Offset    int64
	// StreamID is the Redis stream entry id ("1700000000000-0"), or the
	// line number for a file.
	StreamID string
	// Key is the raw Kafka key.
	Key []byte
	// Value is the raw Kafka value or the Redis event_data field.
	Value []byte
	// Headers are the Kafka headers, or the Redis stream fields other than
	// event_data, in the order received.
	Headers []Header
	// Timestamp is the broker timestamp (Kafka) or the time encoded in the
	// stream id (Redis).
	Timestamp time.Time
	// Deliveries counts deliveries of this message to the consumer group,
	// when the transport knows it (Redis, mem); 0 when unknown.
	Deliveries int
}

// Header is one transport header (a Kafka record header or a Redis field).
type Header struct {
	Key   string
	Value []byte
}

// Header returns the value of the last header named key.
func (m *Message) Header(key string) (string, bool) {
	if m == nil {
		return "", false
	}
	for i := len(m.Headers) - 1; i >= 0; i-- {
		if m.Headers[i].Key == key {
			return string(m.Headers[i].Value), true
		}
	}
	return "", false
}

// NewEvent returns an event of type typ with the given data, a fresh
// time-based UUID (as Open edX uses) as ID, Time = now (UTC), SpecVersion
// "1.0" and the message key taken from the type's KeyField when the type is
// known. Source, SourceHost and SourceLib are left for the publisher to fill.
func NewEvent(typ string, data map[string]any) Event {
	id, err := uuid.NewUUID()
	if err != nil {
		id = uuid.New()
	}
	e := Event{
		ID:          id.String(),
		Type:        typ,
		SpecVersion: SpecVersion,
		Time:        time.Now().UTC(),
		Data:        data,
	}
	if info, ok := LookupType(typ); ok {
		if v, ok := LookupPath(data, info.KeyField); ok && v != nil {
			e.Key = PyStr(v)
		}
	}
	return e
}

// Validate reports whether e can be handled or published: it needs an ID, a
// Type and Data.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: missing id", ErrInvalidEvent)
	case e.Type == "":
		return fmt.Errorf("%w: missing type", ErrInvalidEvent)
	case e.Data == nil:
		return fmt.Errorf("%w: missing data", ErrInvalidEvent)
	}
	return nil
}

// DataKey returns the key of the payload inside Data: the type's known data
// key, else the only key, else the alphabetically first key holding a record.
func (e Event) DataKey() string {
	if info, ok := LookupType(e.Type); ok {
		if _, ok := e.Data[info.DataKey]; ok {
			return info.DataKey
		}
	}
	if len(e.Data) == 1 {
		for k := range e.Data {
			return k
		}
	}
	keys := make([]string, 0, len(e.Data))
	for k, v := range e.Data {
		if _, ok := v.(map[string]any); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return keys[0]
}

// Tree returns the event's payload as a generic tree shaped exactly like
// Open edX's attrs.asdict(payload), the tree the Credentials rules engine
// matches dotted paths against: for a certificate event it is the
// CertificateData record ({"user": …, "course": …, "mode": …}), for a
// passing-status event {"is_passing": …, "course": …, "user": …}. It is nil
// when the data holds no record. The map is shared with e.Data: do not
// modify it.
func (e Event) Tree() map[string]any {
	m, _ := e.Data[e.DataKey()].(map[string]any)
	return m
}

// Lookup resolves a dotted path such as "user.pii.email", "is_passing" or
// "course.course_key" against Tree (as Open edX does). When that fails and
// the path starts with the data key ("certificate.mode"), it is resolved
// against the whole Data instead. ok is false when the path does not exist.
func (e Event) Lookup(path string) (v any, ok bool) {
	if v, ok := LookupPath(e.Tree(), path); ok {
		return v, true
	}
	return LookupPath(e.Data, path)
}

// LookupString is Lookup with the value turned into a string the way
// Credentials' rules do (Python str()): booleans become "True"/"False",
// nil becomes "None", numbers are in decimal.
func (e Event) LookupString(path string) (string, bool) {
	v, ok := e.Lookup(path)
	if !ok {
		return "", false
	}
	return PyStr(v), true
}

// PyStr renders a data-tree value as Python's str() does, which is how Open
// edX turns event values into strings before comparing them: "True" /
// "False" for booleans, "None" for nil, decimal integers, floats with a
// decimal point ("1.0", "0.1", "1e+20"), strings unchanged, datetimes as
// "2024-05-01 10:00:00+00:00".
func PyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case float64:
		return pyFloat(x)
	case float32:
		return pyFloat(float64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.FormatInt(i, 10)
		}
		if f, err := x.Float64(); err == nil {
			return pyFloat(f)
		}
		return x.String()
	case time.Time:
		if x.Nanosecond()/1000 != 0 {
			return x.Format("2006-01-02 15:04:05.000000-07:00")
		}
		return x.Format("2006-01-02 15:04:05-07:00")
	case []byte:
		return "b'" + string(x) + "'"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// pyFloat formats f as Python's repr/str of a float.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // shortest digits, d.ddde±XX
	_, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	if exp < -4 || exp >= 16 {
		// Python: 1e+16, 1.5e-05 (two-digit exponent at least), like Go.
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// LookupPath resolves a dotted path ("user.pii.email") in a data tree the
// way Open edX's keypath does: each segment must be a key of a map. It
// reports whether the path exists; a present null value gives (nil, true).
func LookupPath(tree map[string]any, path string) (any, bool) {
	if tree == nil || path == "" {
		return nil, false
	}
	var cur any = tree
	for {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		seg, rest, more := strings.Cut(path, ".")
		v, ok := m[seg]
		if !ok {
			return nil, false
		}
		if !more {
			return v, true
		}
		cur, path = v, rest
	}
}

// FormatTime formats t as Python's datetime.isoformat() does for an aware
// datetime, which is what Open edX puts in ce_time and the Redis time field:
// "2024-05-01T10:00:00.123456+00:00", without the fraction when it is zero.
func FormatTime(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05-07:00")
	}
	return t.Format("2006-01-02T15:04:05.000000-07:00")
}

// ParseTime parses the time formats Open edX producers emit (Python
// isoformat, with or without fraction and offset; RFC 3339). A time without
// an offset is taken as UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: bad time %q", ErrInvalidEvent, s)
}

func sortStrings(s []string) { sort.Strings(s) }
