package redisbus

import (
	"fmt"
	"strconv"
	"time"

	"github.com/credshare/credshare/eventbus"
)

// Stream field names, as event-bus-redis writes them (no "ce_" prefix).
const (
	FieldType         = "type"
	FieldID           = "id"
	FieldSource       = "source"
	FieldTime         = "time"
	FieldMinorVersion = "minorversion"
	FieldSourceHost   = "sourcehost"
	FieldSourceLib    = "sourcelib"
	// FieldCauseID carries eventbus.Event.CauseID (written only when set;
	// event-bus-redis ignores fields it does not know).
	FieldCauseID   = "causeid"
	FieldEventData = "event_data"
)

// Dead-letter fields added to the original fields of a dead-lettered entry.
const (
	FieldDLQReason   = "dlq_reason"
	FieldDLQStream   = "dlq_original_stream"
	FieldDLQID       = "dlq_original_id"
	FieldDLQGroup    = "dlq_group"
	FieldDLQConsumer = "dlq_consumer"
	FieldDLQTime     = "dlq_time"
)

type fields struct {
	id, typ, source, sourceHost, sourceLib string
	causeID                                string
	time                                   time.Time
	minor                                  int
	data                                   []byte
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// parseFields reads a stream entry like event-bus-redis's
// get_metadata_from_headers: id, type and event_data are required (an entry
// without them cannot be handled), other fields are optional. Errors match
// eventbus.ErrDecode.
func parseFields(values map[string]any, maxBytes int) (fields, error) {
	var f fields
	get := func(k string) (string, error) {
		v, ok := values[k]
		if !ok {
			return "", nil
		}
		s, ok := asString(v)
		if !ok {
			return "", eventbus.DecodeError("field %q is %T, not a string", k, v)
		}
		return s, nil
	}
	var err error
	if f.id, err = get(FieldID); err != nil {
		return f, err
	}
	if f.typ, err = get(FieldType); err != nil {
		return f, err
	}
	if f.source, err = get(FieldSource); err != nil {
		return f, err
	}
	if f.sourceHost, err = get(FieldSourceHost); err != nil {
		return f, err
	}
	if f.sourceLib, err = get(FieldSourceLib); err != nil {
		return f, err
	}
	if f.causeID, err = get(FieldCauseID); err != nil {
		return f, err
	}
	ts, err := get(FieldTime)
	if err != nil {
		return f, err
	}
	if ts != "" {
		if f.time, err = eventbus.ParseTime(ts); err != nil {
			return f, eventbus.DecodeError("bad %q field %q", FieldTime, ts)
		}
	}
	mv, err := get(FieldMinorVersion)
	if err != nil {
		return f, err
	}
	if mv != "" {
		if f.minor, err = strconv.Atoi(mv); err != nil {
			return f, eventbus.DecodeError("bad %q field %q", FieldMinorVersion, mv)
		}
	}
	data, err := get(FieldEventData)
	if err != nil {
		return f, err
	}
	switch {
	case f.id == "":
		return f, eventbus.DecodeError("missing %q field", FieldID)
	case f.typ == "":
		return f, eventbus.DecodeError("missing %q field", FieldType)
	case len(data) == 0:
		return f, eventbus.DecodeError("missing %q field", FieldEventData)
	case len(data) > maxBytes:
		return f, eventbus.DecodeError("event_data of %d bytes exceeds the %d-byte limit", len(data), maxBytes)
	}
	f.data = []byte(data)
	return f, nil
}

// entryValues returns the XADD field list event-bus-redis writes for e.
func entryValues(e eventbus.Event, data []byte) []any {
	vs := []any{
		FieldType, e.Type,
		FieldID, e.ID,
		FieldSource, e.Source,
		FieldTime, eventbus.FormatTime(e.Time.UTC()),
		FieldMinorVersion, strconv.Itoa(e.MinorVersion),
		FieldSourceHost, e.SourceHost,
		FieldSourceLib, e.SourceLib,
		FieldEventData, data,
	}
	if e.CauseID != "" {
		vs = append(vs, FieldCauseID, e.CauseID)
	}
	return vs
}

// streamIDTime returns the time encoded in a stream entry id.
func streamIDTime(id string) time.Time {
	var ms int64
	if _, err := fmt.Sscanf(id, "%d-", &ms); err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
