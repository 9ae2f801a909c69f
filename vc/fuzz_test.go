package vc_test

import (
	"encoding/json"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

func FuzzParseCredential(f *testing.F) {
	c, _ := vc.Compose(vctest.Request("did:example:i", "did:example:h", vc.V2))
	b, _ := json.Marshal(c)
	f.Add(b)
	c1, _ := vc.Compose(vctest.Request("did:example:i", "", vc.V1))
	b1, _ := json.Marshal(c1)
	f.Add(b1)
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","issuer":"did:x:1","credentialSubject":[{},{}],"proof":[{},{}]}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Add([]byte(`{"issuer":{"id":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := vc.ParseCredential(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encoding a parsed credential: %v", err)
		}
		if _, err := vc.ParseCredential(out); err != nil {
			t.Fatalf("a re-encoded credential does not parse: %v\n%s", err, out)
		}
	})
}

func FuzzParsePresentation(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","holder":"did:key:z6Mk","proof":{"type":"DataIntegrityProof"}}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiablePresentation"],"verifiableCredential":{"a":1},"proof":[{},{}]}`))
	f.Add([]byte(`{"verifiableCredential":"eyJ..."}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := vc.ParsePresentation(data)
		if err != nil {
			return
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("re-encoding a parsed presentation: %v", err)
		}
	})
}

// FuzzCLR reads a ClrCredential's subject from arbitrary documents.
func FuzzCLR(f *testing.F) {
	f.Add(fakeCLR())
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","ClrCredential"],"issuer":"did:x:1",
	  "credentialSubject":{"type":"ClrSubject","achievement":[{"id":1}],"verifiableCredential":{"a":1},"association":{}}}`))
	f.Add([]byte(`{"type":["ClrCredential"],"credentialSubject":[{"type":["ClrSubject"],"verifiableCredential":["x"]},{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := vc.ParseCredential(data)
		if err != nil {
			return
		}
		s, err := c.CLR()
		if err != nil {
			return
		}
		if len(s.VerifiableCredential) == 0 || !s.Type.Has(vc.TypeClrSubject) {
			t.Fatalf("CLR accepted a subject without credentials or type: %+v", s)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vc.ParseCredential(out); err != nil {
			t.Fatalf("a re-encoded CLR does not parse: %v", err)
		}
	})
}

func fakeCLR() []byte {
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: "did:example:i", Name: "U"}, HolderID: "did:example:h",
		Credentials: []json.RawMessage{fakeSigned(vctest.Award().Achievement, "Course", "did:example:h")}})
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(clr)
	return b
}
