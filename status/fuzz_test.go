package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/vc"
)

// FuzzListCredential serves arbitrary bytes as a status list credential:
// the Checker must never panic, and only a signed document can give a
// state other than unknown.
func FuzzListCredential(f *testing.F) {
	cf := newCheckFixture(f)
	e, _ := cf.svc.Entry(cf.refs[0], vc.V2)
	good := cf.get(nil, e.StatusListCredential[len(cf.srv.URL):]).Body.Bytes()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","BitstringStatusListCredential"],"issuer":"did:key:x","credentialSubject":{"type":"BitstringStatusList","statusPurpose":"revocation","encodedList":"uH4sI"}}`))
	f.Add([]byte(`[[[[[[[[`))
	var body atomic.Pointer[[]byte]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(*body.Load()) })
	cf.override.Store(&h)
	c, err := statusproofChecker(append(localNet(cf.srv), status.WithMaxCacheTTL(0), status.WithClock(cf.clock.Now))...)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body.Store(&b)
		r := c.Check(context.Background(), cf.iss.DID, e)
		if r.State != status.StateUnknown && !bytes.Contains(b, []byte(`"proofValue"`)) {
			t.Fatalf("state %s for a document without a proof", r.State)
		}
		if r.State == status.StateUnknown && r.Err == nil {
			t.Fatal("unknown without an error")
		}
	})
}

// FuzzStatusEntry feeds arbitrary entry members (index, size, messages)
// to a Checker holding a genuine cached list.
func FuzzStatusEntry(f *testing.F) {
	cf := newCheckFixture(f)
	e, _ := cf.svc.Entry(cf.refs[0], vc.V2)
	c, err := statusproofChecker(append(localNet(cf.srv), status.WithClock(cf.clock.Now))...)
	if err != nil {
		f.Fatal(err)
	}
	if r := c.Check(context.Background(), cf.iss.DID, e); r.State != status.StateValid {
		f.Fatalf("%+v", r)
	}
	f.Add("0", "1", `[{"status":"0x0","message":"ok"}]`)
	f.Add("131071", "8", "")
	f.Add("-1", "0", "null")
	f.Add("99999999999999999999", "x", "{")
	f.Fuzz(func(t *testing.T, index, size, msgs string) {
		x := e
		x.StatusListIndex = index
		x.Extra = vc.Extra{}
		if size != "" {
			x.Extra["statusSize"] = json.RawMessage(size)
		}
		if msgs != "" {
			x.Extra["statusMessage"] = json.RawMessage(msgs)
		}
		r := c.Check(context.Background(), cf.iss.DID, x)
		if r.State == status.StateUnknown && r.Err == nil {
			t.Fatal("unknown without an error")
		}
	})
}
