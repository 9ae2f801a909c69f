package jwt

import (
	"encoding/json"
	"errors"
	"unsafe"
)

var errShape = errors.New("not a JSON object")

// walk calls f with the key and raw value of each member of the JSON
// object b, in order (so with a repeated key the last call wins, as in a
// map decode). b must already have passed json.Valid: walk only finds the
// boundaries, and reports errShape when b is not an object.
//
// It replaces decoding into map[string]json.RawMessage, which scanned
// the bytes twice and copied every member (BenchmarkJWT/Parse, -cpu 1:
// three such decodes were 85% of Parse). Keys with escapes are unescaped
// by encoding/json.
func walk(b []byte, f func(key string, val []byte)) error {
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errShape
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) && b[i] == '"' {
		end := skipString(b, i)
		if end < 0 {
			return errShape
		}
		k, err := key(b[i:end])
		if err != nil {
			return err
		}
		i = ws(b, end)
		if i >= len(b) || b[i] != ':' {
			return errShape
		}
		i = ws(b, i+1)
		vend := skipValue(b, i)
		if vend < 0 {
			return errShape
		}
		f(k, b[i:vend])
		i = ws(b, vend)
		if i >= len(b) {
			return errShape
		}
		switch b[i] {
		case '}':
			return nil
		case ',':
			i = ws(b, i+1)
		default:
			return errShape
		}
	}
	return errShape
}

// key returns the string a quoted JSON key holds.
func key(q []byte) (string, error) {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' {
			var s string
			err := json.Unmarshal(q, &s)
			return s, err
		}
	}
	// The bytes are the token's decoded payload, never written again.
	return unsafe.String(unsafe.SliceData(q[1:]), len(q)-2), nil
}

func ws(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] (a
// quote), or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				if j = skipString(b, j); j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}
