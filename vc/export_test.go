package vc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"
)

// refOf views c as the reference implementation's type (same layout).
func refOf(c *Credential) *refCredential { return (*refCredential)(unsafe.Pointer(c)) }

// RefMarshal is c.MarshalJSON as it was before encode.go.
func RefMarshal(c *Credential) ([]byte, error) { return refOf(c).MarshalJSON() }

// RefJSONMarshal is json.Marshal(c) as it was before encode.go.
func RefJSONMarshal(c *Credential) ([]byte, error) { return json.Marshal(refOf(c)) }

// RefUnmarshal is json.Unmarshal into a Credential as it was before
// decode.go (no limits, no validation).
func RefUnmarshal(b []byte) (*Credential, error) {
	var r refCredential
	err := json.Unmarshal(b, &r)
	return (*Credential)(unsafe.Pointer(&r)), err
}

// RefParse is ParseCredential as it was before decode.go.
func RefParse(b []byte) (*Credential, error) {
	if err := CheckJSON(b); err != nil {
		return nil, err
	}
	c, err := RefUnmarshal(b)
	if err != nil {
		return nil, Wrap(ErrMalformed, err, "credential: decoding")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// The reference types have the model's layout, so the unsafe views above
// are sound.
func TestReferenceLayout(t *testing.T) {
	pairs := map[reflect.Type]reflect.Type{}
	var same func(a, b reflect.Type) bool
	same = func(a, b reflect.Type) bool {
		if a == b {
			return true
		}
		if p, ok := pairs[a]; ok {
			return p == b
		}
		if a.Kind() != b.Kind() || a.Size() != b.Size() {
			return false
		}
		switch a.Kind() {
		case reflect.Pointer, reflect.Slice:
			return same(a.Elem(), b.Elem())
		case reflect.Struct:
			pairs[a] = b
			if a.NumField() != b.NumField() {
				return false
			}
			for i := range a.NumField() {
				fa, fb := a.Field(i), b.Field(i)
				if fa.Name != fb.Name || fa.Offset != fb.Offset || fa.Tag != fb.Tag || !same(fa.Type, fb.Type) {
					t.Logf("%s.%s differs from %s.%s", a, fa.Name, b, fb.Name)
					return false
				}
			}
			return true
		}
		return false
	}
	if !same(reflect.TypeFor[Credential](), reflect.TypeFor[refCredential]()) {
		t.Fatal("the reference types do not have the model's layout")
	}
}

// RefDecodeJSON is DecodeJSON as it was before its one-pass walk.
func RefDecodeJSON(b []byte, v any) error {
	if err := CheckJSON(b); err != nil {
		return err
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
