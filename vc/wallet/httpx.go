package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBody is the default limit on a wallet request body (64 KiB):
// far more than a DIDAuth presentation or an OID4VCI request needs, and
// small enough that a flood of large bodies costs little.
const DefaultMaxBody = 64 << 10

// ReadBody reads the request body, refusing more than limit bytes (limit <=
// 0 means DefaultMaxBody) with an ErrTooLarge error. w may be nil.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	if r.ContentLength > limit {
		return nil, Fail(ErrTooLarge, "request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit)
	}
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, Fail(ErrTooLarge, "request body exceeds the limit of %d bytes", limit)
		}
		return nil, Fail(ErrMalformed, "the request body could not be read").WithCause(err)
	}
	return b, nil
}

// DecodeJSON parses b into v. It refuses anything but one JSON value and
// reports where the syntax broke, as an ErrMalformed error.
func DecodeJSON(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return Fail(ErrMalformed, "empty request body; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Fail(ErrMalformed, "malformed JSON at byte %d", se.Offset).WithCause(err)
		case errors.As(err, &te):
			return Fail(ErrMalformed, "JSON member %q has the wrong type: want %v", te.Field, te.Type)
		default:
			return Fail(ErrMalformed, "malformed JSON").WithCause(err)
		}
	}
	if dec.More() {
		return Fail(ErrMalformed, "trailing data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Fail(ErrMalformed, "trailing data after the JSON value")
	}
	return nil
}

// CheckJSONContentType refuses a body that declares a content type other
// than JSON (application/json or any +json type). A missing header is
// accepted, as some wallets omit it.
func CheckJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return Fail(ErrMalformed, "content type %q is not JSON", ct)
	}
	return nil
}

// WriteJSON answers with status and v as JSON. Responses are never cached:
// they carry one-time values.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
