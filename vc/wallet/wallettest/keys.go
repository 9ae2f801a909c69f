package wallettest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
)

const b58alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b with the Bitcoin alphabet (multibase "z").
func base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	radix, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, b58alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	slices.Reverse(out)
	return string(out)
}

// DIDKey returns the did:key of an Ed25519 public key and its verification
// method id (did:key:z…#z…), encoded independently of the vc package so the
// simulator checks it rather than mirrors it.
func DIDKey(pub ed25519.PublicKey) (did, vm string) {
	mb := "z" + base58(append([]byte{0xed, 0x01}, pub...))
	return "did:key:" + mb, "did:key:" + mb + "#" + mb
}

// canonical returns the JSON Canonicalization Scheme (RFC 8785) form of v,
// for the values a presentation holds (objects, arrays, strings, booleans,
// null and numbers that are integers or plain decimals).
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := jcs(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func jcs(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeString(buf, x)
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("jcs: number %q", x)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1e21 {
			buf.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		} else {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case float64:
		return jcs(buf, json.Number(strconv.FormatFloat(x, 'g', -1, 64)))
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := jcs(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// RFC 8785 sorts by UTF-16 code units; for the BMP-only keys of a
		// presentation that equals byte order.
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := jcs(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("jcs: unsupported %T", v)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			buf.WriteString(`\"`)
		case r == '\\':
			buf.WriteString(`\\`)
		case r == '\b':
			buf.WriteString(`\b`)
		case r == '\f':
			buf.WriteString(`\f`)
		case r == '\n':
			buf.WriteString(`\n`)
		case r == '\r':
			buf.WriteString(`\r`)
		case r == '\t':
			buf.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(buf, `\u%04x`, r)
		default:
			buf.WriteRune(r)
		}
	}
	buf.WriteByte('"')
}

// toAny round-trips v through JSON into maps, slices and json.Number.
func toAny(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	return out, dec.Decode(&out)
}

// Canonical returns the JSON Canonicalization Scheme (RFC 8785) form of v
// (see canonical for the values it handles).
func Canonical(v any) ([]byte, error) {
	a, err := toAny(v)
	if err != nil {
		return nil, err
	}
	return canonical(a)
}
