package proof

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/credshare/credshare/vc"
)

// JCS returns the JSON Canonicalization Scheme (RFC 8785) form of v, a
// value as decoded by encoding/json (with or without UseNumber).
func JCS(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := jcs(&buf, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func jcs(buf *bytes.Buffer, v any, depth int) error {
	if depth > vc.MaxDepth*2 {
		return vc.Errorf(vc.ErrTooDeep, "jcs: value nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		jcsString(buf, x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return vc.Errorf(vc.ErrMalformed, "jcs: number %q", string(x))
		}
		return jcsNumber(buf, f)
	case float64:
		return jcsNumber(buf, x)
	case int:
		return jcsNumber(buf, float64(x))
	case int64:
		return jcsNumber(buf, float64(x))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := jcs(buf, e, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			jcsString(buf, k)
			buf.WriteByte(':')
			if err := jcs(buf, x[k], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		// Other Go values (typed structs): go through encoding/json.
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		var g any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&g); err != nil {
			return err
		}
		return jcs(buf, g, depth)
	}
	return nil
}

func compareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func jcsNumber(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return vc.Errorf(vc.ErrMalformed, "jcs: number is not finite")
	}
	if f == 0 {
		buf.WriteByte('0')
		return nil
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		buf.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		return nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	buf.WriteString(mant)
	buf.WriteByte('e')
	buf.WriteByte(sign)
	buf.WriteString(exp)
	return nil
}

func jcsString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if r < 0x20 {
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[r>>4])
				buf.WriteByte(hex[r&0xf])
			} else {
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}
