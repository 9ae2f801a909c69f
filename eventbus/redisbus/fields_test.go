package redisbus

import (
	"errors"
	"testing"

	"github.com/credshare/credshare/eventbus"
)

func TestParseFields(t *testing.T) {
	ok := map[string]any{"type": "t", "id": "i", "source": "s", "time": "2024-01-01T00:00:00+00:00", "minorversion": "2", "sourcehost": "h", "sourcelib": "1.2.3", "event_data": "\x02"}
	f, err := parseFields(ok, 100)
	if err != nil || f.id != "i" || f.minor != 2 || f.time.Year() != 2024 || string(f.data) != "\x02" {
		t.Fatalf("%+v %v", f, err)
	}
	for name, m := range map[string]map[string]any{
		"no id":        {"type": "t", "event_data": "x"},
		"no type":      {"id": "i", "event_data": "x"},
		"no data":      {"id": "i", "type": "t"},
		"bad minor":    {"id": "i", "type": "t", "event_data": "x", "minorversion": "x"},
		"bad time":     {"id": "i", "type": "t", "event_data": "x", "time": "noon"},
		"not a string": {"id": 5, "type": "t", "event_data": "x"},
		"too big":      {"id": "i", "type": "t", "event_data": string(make([]byte, 101))},
	} {
		if _, err := parseFields(m, 100); !errors.Is(err, eventbus.ErrDecode) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStreamIDTime(t *testing.T) {
	if got := streamIDTime("1700000000123-4"); got.UnixMilli() != 1700000000123 {
		t.Fatal(got)
	}
	if !streamIDTime("junk").IsZero() {
		t.Fatal("junk id parsed")
	}
}

func FuzzParseFields(f *testing.F) {
	f.Add("t", "i", "2024-01-01T00:00:00+00:00", "0", []byte{2, 'x'})
	f.Add("", "", "", "", []byte{})
	f.Add("org.openedx.learning.badge.awarded.v1", "x", "2024-13-45", "-1", []byte{0xff})
	f.Fuzz(func(t *testing.T, typ, id, tm, minor string, data []byte) {
		m := map[string]any{"type": typ, "id": id, "time": tm, "minorversion": minor, "event_data": string(data)}
		fl, err := parseFields(m, 1<<10)
		if err != nil {
			if !errors.Is(err, eventbus.ErrDecode) {
				t.Fatalf("error not ErrDecode: %v", err)
			}
			return
		}
		if fl.id == "" || fl.typ == "" || len(fl.data) == 0 {
			t.Fatal("accepted an entry without id, type or data")
		}
	})
}
