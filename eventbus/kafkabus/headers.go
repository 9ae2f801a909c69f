package kafkabus

import (
	"strconv"
	"time"

	"github.com/credshare/credshare/eventbus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Header names, as event-bus-kafka writes them.
const (
	HeaderType            = "ce_type"
	HeaderID              = "ce_id"
	HeaderSource          = "ce_source"
	HeaderSpecVersion     = "ce_specversion"
	HeaderTime            = "ce_time"
	HeaderMinorVersion    = "ce_minorversion"
	HeaderSourceHost      = "sourcehost"
	HeaderSourceLib       = "sourcelib"
	HeaderContentType     = "content-type"
	HeaderDataContentType = "ce_datacontenttype"
	// HeaderCauseID carries eventbus.Event.CauseID (a CloudEvents extension
	// attribute; written only when set, ignored by event-bus-kafka).
	HeaderCauseID = "ce_causeid"
)

// Dead-letter headers added to the original headers of a dead-lettered
// message.
const (
	HeaderDLQReason    = "dlq_reason"
	HeaderDLQTopic     = "dlq_original_topic"
	HeaderDLQPartition = "dlq_original_partition"
	HeaderDLQOffset    = "dlq_original_offset"
	HeaderDLQGroup     = "dlq_group"
	HeaderDLQTime      = "dlq_time"
	HeaderDLQTruncated = "dlq_value_truncated_from"
)

// attributes are the CloudEvents attributes read from the headers.
type attributes struct {
	id, typ, source, spec, sourceHost, sourceLib, contentType string
	causeID                                                   string
	time                                                      time.Time
	minor                                                     int
}

// metadataBit numbers the headers event-bus-kafka turns into metadata; a
// duplicate of any of them makes the message unusable (as in Open edX).
func metadataBit(key string) uint8 {
	switch key {
	case HeaderType:
		return 1
	case HeaderID:
		return 2
	case HeaderSource:
		return 4
	case HeaderTime:
		return 8
	case HeaderMinorVersion:
		return 16
	case HeaderSourceHost:
		return 32
	case HeaderSourceLib:
		return 64
	}
	return 0
}

// parseHeaders reads the CloudEvents attributes like event-bus-kafka's
// _get_metadata_from_headers: ce_id is required, a duplicated metadata
// header is an error, other missing headers take defaults. Errors match
// eventbus.ErrDecode.
func parseHeaders(hs []kgo.RecordHeader) (attributes, error) {
	var a attributes
	var seen uint8
	for _, h := range hs {
		if bit := metadataBit(h.Key); bit != 0 {
			if seen&bit != 0 {
				return a, eventbus.DecodeError("multiple %q headers on message", h.Key)
			}
			seen |= bit
		}
		v := string(h.Value)
		switch h.Key {
		case HeaderID:
			a.id = v
		case HeaderType:
			a.typ = v
		case HeaderSource:
			a.source = v
		case HeaderSpecVersion:
			a.spec = v
		case HeaderSourceHost:
			a.sourceHost = v
		case HeaderSourceLib:
			a.sourceLib = v
		case HeaderCauseID:
			a.causeID = v
		case HeaderDataContentType:
			a.contentType = v
		case HeaderContentType:
			if a.contentType == "" {
				a.contentType = v
			}
		case HeaderTime:
			t, err := eventbus.ParseTime(v)
			if err != nil {
				return a, eventbus.DecodeError("bad %s header %q", HeaderTime, v)
			}
			a.time = t
		case HeaderMinorVersion:
			n, err := strconv.Atoi(v)
			if err != nil {
				return a, eventbus.DecodeError("bad %s header %q", HeaderMinorVersion, v)
			}
			a.minor = n
		}
	}
	if a.id == "" {
		return a, eventbus.DecodeError("missing %q header on message", HeaderID)
	}
	if a.typ == "" {
		return a, eventbus.DecodeError("missing %q header on message", HeaderType)
	}
	return a, nil
}

// eventHeaders returns the headers an Open edX producer writes for e, in
// the order event-bus-kafka writes them.
func eventHeaders(e eventbus.Event) []kgo.RecordHeader {
	spec := e.SpecVersion
	if spec == "" {
		spec = eventbus.SpecVersion
	}
	h := func(k, v string) kgo.RecordHeader { return kgo.RecordHeader{Key: k, Value: []byte(v)} }
	hs := []kgo.RecordHeader{
		h(HeaderSpecVersion, spec),
		h(HeaderContentType, eventbus.ContentTypeAvro),
		h(HeaderDataContentType, eventbus.ContentTypeAvro),
		h(HeaderType, e.Type),
		h(HeaderID, e.ID),
		h(HeaderSource, e.Source),
		h(HeaderTime, eventbus.FormatTime(e.Time.UTC())),
		h(HeaderMinorVersion, strconv.Itoa(e.MinorVersion)),
		h(HeaderSourceHost, e.SourceHost),
		h(HeaderSourceLib, e.SourceLib),
	}
	if e.CauseID != "" {
		hs = append(hs, h(HeaderCauseID, e.CauseID))
	}
	return hs
}

func toHeaders(hs []kgo.RecordHeader) []eventbus.Header {
	out := make([]eventbus.Header, len(hs))
	for i, h := range hs {
		out[i] = eventbus.Header{Key: h.Key, Value: h.Value}
	}
	return out
}
