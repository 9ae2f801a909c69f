package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

var seeds = []string{
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"b":1.50,"a":[true,false,null,{"z":"<&>\u2028"}],"":-0e+3}`,
	`[]`, `{}`, `"x\u0000\ud800"`, `12345678901234567890123`, `[{"k":{"k":[[]]}}]`,
}

func check(t *testing.T, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := AppendValue([]byte("prefix"), v)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%#v: error %v, encoding/json %v", v, gerr, werr)
	}
	if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%#v:\n got %s\nwant prefix%s", v, got, want)
	}
}

func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		d := json.NewDecoder(bytes.NewReader([]byte(s)))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		check(t, v)
	}
	for _, v := range []any{
		json.Number(""), json.Number("01"), json.Number("1."), json.Number("-"), json.Number("1e"),
		"\xff<\u2029>", map[string]any(nil), []any(nil), 1.5, []string{"a"},
		map[string]any{"b": map[string]string{"x": "<"}, "a": []any{json.Number("2"), 3}},
		map[string]any{"x": func() {}},
	} {
		check(t, v)
	}
}

// FuzzAppendValue compares AppendValue with json.Marshal on decoded JSON
// documents and on raw strings (which may hold invalid UTF-8).
func FuzzAppendValue(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, string(b))
		check(t, json.Number(b))
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if d.Decode(&v) == nil {
			check(t, v)
		}
	})
}
