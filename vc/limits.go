package vc

import (
	"bytes"
	"encoding/json"
)

// Limits on documents read from outside. They keep a hostile document
// from exhausting memory or stack: a credential is a few kilobytes.
const (
	// MaxDocumentSize is the largest credential, presentation or DID
	// document accepted, in bytes.
	MaxDocumentSize = 1 << 20
	// MaxDepth is the deepest nesting of JSON objects and arrays accepted.
	MaxDepth = 32
)

// CheckJSON refuses b when it is larger than MaxDocumentSize or nested
// deeper than MaxDepth, without decoding it. It does not check that b is
// valid JSON; json.Unmarshal does that afterwards.
func CheckJSON(b []byte) error {
	return CheckJSONLimits(b, MaxDocumentSize, MaxDepth)
}

// CheckJSONLimits is CheckJSON with explicit limits.
func CheckJSONLimits(b []byte, maxSize, maxDepth int) error {
	if len(b) > maxSize {
		return Errorf(ErrTooLarge, "document of %d bytes is over the limit of %d bytes", len(b), maxSize)
	}
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return Errorf(ErrTooDeep, "document nested deeper than %d levels", maxDepth)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// DecodeJSON checks b with CheckJSON and decodes it into v, keeping
// numbers as json.Number when v is an any or a map[string]any.
//
// A *map[string]any holding nil or an *any holding nil (what proof
// signing and verification pass) is filled by the one-pass walk of
// decode.go once json.Valid has accepted b, with the value json.Decoder
// gives (FuzzDecodeJSONMatchesDecoder checks it), without its reflection
// and token buffering; anything else goes to json.Decoder.
func DecodeJSON(b []byte, v any) error {
	if err := CheckJSON(b); err != nil {
		return err
	}
	switch p := v.(type) {
	case *map[string]any:
		if p != nil && *p == nil && json.Valid(b) {
			// The walk copies every string out of b: nothing aliases it.
			d := decoder{b: b}
			switch d.next() {
			case '{':
				*p = d.generic().(map[string]any)
				return nil
			case 'n':
				return nil
			}
		}
	case *any:
		if p != nil && *p == nil && json.Valid(b) {
			d := decoder{b: b}
			*p = d.generic()
			return nil
		}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return Wrap(ErrMalformed, err, "vc: decoding JSON")
	}
	if d.More() {
		return Errorf(ErrMalformed, "vc: trailing data after the JSON document")
	}
	return nil
}
