package vc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

// sampleCredentials are composed credentials of every shape Compose
// makes, and credentials with members at the edges of the encoding:
// escaped and invalid strings, Extra members at every level (some
// filling typed members left empty, some shadowed by written ones, raw
// ones with whitespace and HTML), several subjects, status entries and
// proofs.
func sampleCredentials(t testing.TB) []*vc.Credential {
	var out []*vc.Credential
	for _, v := range []vc.Version{vc.V2, vc.V1} {
		for _, holder := range []string{"did:example:holder", ""} {
			req := vctest.Request("did:example:issuer", holder, v)
			c, err := vc.Compose(req)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
			req.Status, req.Schema, req.Evidence = nil, false, []vc.Evidence{{Type: vc.Types{"Evidence"}, Narrative: "n", Genre: "g", Audience: "a"}}
			c, _ = vc.Compose(req)
			out = append(out, c)
		}
	}
	c, _ := vc.Compose(vctest.Request("did:example:issuer", "did:example:holder", vc.V2))
	odd := "<b>&amp;</b> \"q\" \\ \x00\x01\b\f\n\r\t\x1f\x7f é \u2028\u2029 \xff\xfe ok \U0001F600"
	e := *c
	e.Name, e.Description = odd, "\xe2\x80"
	e.Image = &vc.Image{ID: odd, Extra: vc.Extra{"caption": json.RawMessage(`"from extra"`), "id": json.RawMessage(`"shadowed"`), "z": json.RawMessage(" [ 1 , \"<&>\" ] ")}}
	e.Issuer.Extra = vc.Extra{"phone": json.RawMessage(`"+1 <555>"`), "address": json.RawMessage("{\"a\" : \"\u2028\" }")}
	e.Issuer.Type = nil
	subj := c.CredentialSubject[0]
	ach := *subj.Achievement
	ach.Extra = vc.Extra{"inLanguage": json.RawMessage(`"en"`), "": json.RawMessage(`null`), "<k>": json.RawMessage(`1e3`)}
	ach.Creator = &vc.Profile{ID: "did:example:creator"}
	ach.Criteria = &vc.Criteria{Extra: vc.Extra{"narrative": json.RawMessage(`"extra fills"`)}}
	ach.Alignment = append(ach.Alignment, vc.Alignment{})
	ach.HumanCode, ach.FieldOfStudy = "H1", "CS"
	subj.Achievement = &ach
	subj.Extra = vc.Extra{"result": json.RawMessage(`[{"type":["Result"],"value":"A"}]`)}
	subj.Identifier = []vc.IdentityObject{{Type: "IdentityObject", IdentityHash: "h", IdentityType: "emailAddress", Salt: "s"}}
	e.CredentialSubject = vc.Subjects{subj, {}, {Type: vc.Types{}}}
	e.CredentialStatus = append(e.CredentialStatus, vc.StatusEntry{Type: "x", Extra: vc.Extra{"statusSize": json.RawMessage(`1`)}})
	e.Proof = vc.Proofs{json.RawMessage(`{ "type": "DataIntegrityProof" }`), nil, json.RawMessage(`{"proofValue":"z<>"}`)}
	e.Extra = vc.Extra{"refreshService": json.RawMessage("{ \"id\" : \"https://r\" }"), "type": json.RawMessage(`"shadowed"`), "validFrom": json.RawMessage(`"not written"`)}
	e.ValidFrom = time.Time{}
	e.Context = append(e.Context, map[string]any{"@vocab": "https://example.org/#", "<x>": 1.5}, nil, 3.0)
	out = append(out, &e)
	one := *c
	one.Proof = vc.Proofs{json.RawMessage(" {\"type\":\"Ed25519Signature2020\"} ")}
	one.CredentialSubject = nil
	one.Type = nil
	one.Context = nil
	one.AwardedDate = time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 5400))
	out = append(out, &one, &vc.Credential{}, &vc.Credential{CredentialSubject: vc.Subjects{}, Type: vc.Types{}})
	in, err := vc.ParseCredential([]byte(roundTripDoc))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, in)
}

const roundTripDoc = `{
 "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", {"@vocab": "https://example.org/#"}],
 "id": "urn:uuid:1", "type": ["VerifiableCredential", "OpenBadgeCredential"],
 "issuer": {"id": "did:example:1", "type": ["Profile"], "name": "U", "phone": "+1 555", "address": {"type": ["Address"], "addressCountry": "FR"}},
 "validFrom": "2026-01-02T03:04:05Z",
 "credentialSubject": {"id": "did:example:2", "type": ["AchievementSubject"], "result": [{"type": ["Result"], "value": "A"}],
   "achievement": {"id": "urn:uuid:2", "type": ["Achievement"], "name": "N", "criteria": {"narrative": "x", "extraCrit": 1},
     "alignment": [{"type": ["Alignment"], "targetName": "t", "targetUrl": "https://x", "alignX": true}], "inLanguage": "en", "version": "2"}},
 "credentialStatus": {"id": "https://s/1#3", "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "3", "statusListCredential": "https://s/1", "statusSize": 1},
 "evidence": [{"type": ["Evidence"], "name": "e", "evidenceX": "y"}],
 "refreshService": {"id": "https://r", "type": "X"},
 "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"}
}`

// checkMarshal compares the encoder with the reference: the same bytes
// (or both an error) from MarshalJSON, from json.Marshal and from
// AppendJSON.
func checkMarshal(t *testing.T, c *vc.Credential) {
	t.Helper()
	got, err := c.MarshalJSON()
	want, werr := vc.RefMarshal(c)
	if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON differs from the reference:\n got %s (%v)\nwant %s (%v)", got, err, want, werr)
	}
	app, aerr := c.AppendJSON([]byte("prefix"))
	if (aerr != nil) != (werr != nil) || (aerr == nil && string(app) != "prefix"+string(want)) {
		t.Fatalf("AppendJSON differs from MarshalJSON:\n got %s (%v)", app, aerr)
	}
	got, err = json.Marshal(c)
	want, werr = vc.RefJSONMarshal(c)
	if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal differs from the reference:\n got %s (%v)\nwant %s (%v)", got, err, want, werr)
	}
}

func TestMarshalMatchesReference(t *testing.T) {
	for i, c := range sampleCredentials(t) {
		checkMarshal(t, c)
		if i == 0 {
			b, _ := c.MarshalJSON()
			if !strings.Contains(string(b), `"credentialSubject":{"id":"did:example:holder"`) {
				t.Fatalf("unexpected encoding %s", b)
			}
		}
	}
	// Errors: a nested raw member that is not JSON, a time out of range.
	bad := []*vc.Credential{
		{Issuer: vc.Profile{ID: "x", Extra: vc.Extra{"a": json.RawMessage(`{`)}}},
		{Proof: vc.Proofs{nil}},
		{Proof: vc.Proofs{json.RawMessage(`[`), nil}},
		{ValidFrom: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Context: vc.Contexts{func() {}}},
		{CredentialSubject: vc.Subjects{{Extra: vc.Extra{"a": json.RawMessage{}}}}},
	}
	for _, c := range bad {
		if _, err := c.MarshalJSON(); err == nil {
			t.Fatalf("no error for %+v", c)
		}
		checkMarshal(t, c)
	}
	// A top-level raw member is copied as it is (as before).
	top := &vc.Credential{Extra: vc.Extra{"x": json.RawMessage(" { \"a\" :1 } ")}}
	checkMarshal(t, &vc.Credential{Extra: vc.Extra{"x": json.RawMessage(`{`)}})
	checkMarshal(t, top)
}

// parseDocs are documents at the edges of decoding: case-insensitive and
// repeated keys, null members, single values for lists, escapes, invalid
// UTF-8, type errors.
var parseDocs = []string{
	roundTripDoc,
	`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","issuer":"did:x:1","credentialSubject":[{},{}],"proof":[{},{}]}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2",1,true,null,[1],{"a":[2]}],"type":["VerifiableCredential",null],"issuer":{"ID":"did:x:1","Name":"n"},"credentialSubject":{"IDENTIFIER":[{"type":"a","salt":"s","hashed":true}],"identifier":[{"type":"b","hashed":null,"x":1}]}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"achievement":{"tag":["a","b"],"tag":[null],"alignment":[{"targetName":"t"},null],"alignment":[null]}}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"identifier":[{"type":"a","salt":"s"},{"type":"b"}],"identifier":[{"type":"c"}],"identifier":[{},{"hashed":true}]}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{},"validFrom":"2026-01-02T03:04:05Z","validFrom":null,"name":"a","name":null,"image":"https://i","image":null,"proof":"x","credentialStatus":{"type":"t"},"credentialSchema":{"id":"s","TYPE":"t","x":1},"evidence":{"type":"Evidence"}}`,
	"{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":[\"VerifiableCredential\"],\"issuer\":{\"id\":\"did:x:1\",\"image\":{\"id\":\"\\u003c\\ud800\\u00e9\",\"\xff\":\"\xfe\"}},\"credentialSubject\":{\"\\u0069d\":\"did:\\n\",\"ſd\":1,\"Kelvin\\u212a\":2,\"name\":\"\xff\xfe\"}}",
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"Id":"did:1","id":"did:2"},"proof":[null,1,"s"],"Proof":{"a":1}}`,
	`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"issuer":"did:x:1","issuanceDate":"2026-01-02T03:04:05.123+01:00","credentialSubject":[null,{"achievement":null}],"credentialStatus":[],"evidence":[],"credentialSchema":[null]}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":null,"credentialSubject":{}}`,
	`null`, `[]`, `"x"`, `1`, `{`, `{"a":1} x`, ` {"a" : [ 1 , 2 ] } `,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{},"validFrom":5}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2",1e999],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"identifier":[{"hashed":"yes"}]}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":"did:x:2"}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"achievement":{"criteria":"c"}}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":{"a":1},"issuer":"did:x:1","credentialSubject":{}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":["did:x:1"],"credentialSubject":{}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"achievement":{"tag":"t"}}}`,
	`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{"type":"AchievementSubject","achievement":{"alignment":{"x":1}}}}`,
	strings.Repeat("[", 40) + strings.Repeat("]", 40),
}

var errKinds = []error{vc.ErrMalformed, vc.ErrTooLarge, vc.ErrTooDeep}

// checkParse compares ParseCredential with the reference: the same value,
// or errors of the same kind; and Credential.UnmarshalJSON with the
// reference's json.Unmarshal.
func checkParse(t *testing.T, b []byte) {
	t.Helper()
	got, err := vc.ParseCredential(b)
	want, werr := vc.RefParse(b)
	if (err == nil) != (werr == nil) {
		t.Fatalf("ParseCredential: error %v, the reference's %v\n%s", err, werr, b)
	}
	if err != nil {
		for _, k := range errKinds {
			if errors.Is(err, k) != errors.Is(werr, k) {
				t.Fatalf("ParseCredential: error %v, the reference's %v\n%s", err, werr, b)
			}
		}
	} else if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseCredential differs from the reference:\n got %#v\nwant %#v\n%s", got, want, b)
	}
	pc, pm, perr := vc.ParseCredentialMap(b)
	if (perr == nil) != (err == nil) || (perr != nil && errors.Is(perr, vc.ErrMalformed) != errors.Is(err, vc.ErrMalformed)) {
		t.Fatalf("ParseCredentialMap: error %v, ParseCredential's %v\n%s", perr, err, b)
	}
	if perr == nil {
		var m map[string]any
		if err := vc.DecodeJSON(b, &m); err != nil {
			t.Fatalf("DecodeJSON: %v", err)
		}
		if !reflect.DeepEqual(pc, got) || !reflect.DeepEqual(pm, m) {
			t.Fatalf("ParseCredentialMap differs from ParseCredential and DecodeJSON:\n got %#v\nwant %#v\n%s", pm, m, b)
		}
	}
	var c vc.Credential
	uerr := json.Unmarshal(b, &c)
	r, rerr := vc.RefUnmarshal(b)
	if (uerr == nil) != (rerr == nil) || (uerr == nil && !reflect.DeepEqual(&c, r)) {
		t.Fatalf("json.Unmarshal differs from the reference (%v, %v):\n got %#v\nwant %#v\n%s", uerr, rerr, &c, r, b)
	}
}

func TestParseMatchesReference(t *testing.T) {
	for _, d := range parseDocs {
		checkParse(t, []byte(d))
	}
	for _, c := range sampleCredentials(t) {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		checkParse(t, b)
	}
}

// FuzzMarshalMatchesReference encodes random credentials — decoded (by
// the reference) from the fuzzed JSON, or a composed one, with the
// fuzzed string put into a member chosen by the fuzzed selector — with
// the encoder and with the reference.
func FuzzMarshalMatchesReference(f *testing.F) {
	for _, d := range parseDocs {
		f.Add([]byte(d), "<&>\u2028\xff", uint16(0))
	}
	f.Add([]byte(`{}`), `{"a" : 1}`, uint16(0x1ff))
	f.Add([]byte(`{"credentialSubject":[{},{}]}`), `[`, uint16(0x3ff))
	base, _ := vc.Compose(vctest.Request("did:example:issuer", "did:example:holder", vc.V2))
	baseJSON, _ := json.Marshal(base)
	f.Fuzz(func(t *testing.T, doc []byte, s string, sel uint16) {
		c, err := vc.RefUnmarshal(doc)
		if err != nil {
			c, _ = vc.RefUnmarshal(baseJSON) // a fresh copy: the cases below modify it
		}
		raw := json.RawMessage(s)
		switch sel % 16 {
		case 0:
			c.Name = s
		case 1:
			c.Issuer.Name = s
		case 2:
			c.Issuer.ID = s
		case 3:
			c.Extra = vc.Extra{s: raw}
		case 4:
			c.Issuer.Extra = vc.Extra{s: raw, "name": raw}
		case 5:
			c.Type = append(c.Type, s)
		case 6:
			c.Proof = append(c.Proof, raw)
		case 7:
			c.Context = append(c.Context, s)
		case 8, 9, 10, 11:
			if len(c.CredentialSubject) == 0 {
				c.CredentialSubject = vc.Subjects{{}}
			}
			sj := &c.CredentialSubject[0]
			if sj.Achievement == nil {
				sj.Achievement = &vc.Achievement{}
			}
			switch sel % 16 {
			case 8:
				sj.Achievement.Name = s
			case 9:
				sj.Achievement.Extra = vc.Extra{s: raw}
			case 10:
				sj.Achievement.Tag = append(sj.Achievement.Tag, s)
			default:
				sj.Identifier = append(sj.Identifier, vc.IdentityObject{Salt: s, Hashed: sel&0x100 != 0})
			}
		case 12:
			c.CredentialStatus = append(c.CredentialStatus, vc.StatusEntry{Type: s, Extra: vc.Extra{"x": raw}})
		case 13:
			c.Evidence = append(c.Evidence, vc.Evidence{Narrative: s})
		case 14:
			c.Image = &vc.Image{Caption: s, Extra: vc.Extra{"caption": raw, "type": raw}}
		default:
			c.CredentialSchema = append(c.CredentialSchema, vc.Schema{ID: s})
		}
		if sel&0x200 != 0 {
			c.ValidUntil = time.Unix(int64(sel)*1e7, int64(sel)).In(time.FixedZone("", int(sel%100)*60))
		}
		checkMarshal(t, c)
		checkJSONMap(t, c)
	})
}

// checkJSONMap checks that AppendJSONMap returns AppendJSON's bytes and
// the map DecodeJSON decodes from them, or DecodeJSON's error.
func checkJSONMap(t *testing.T, c *vc.Credential) {
	t.Helper()
	want, werr := c.AppendJSON([]byte("x"))
	b, m, err := c.AppendJSONMap([]byte("x"))
	if werr != nil {
		if err == nil || string(b) != "x" || m != nil {
			t.Fatalf("AppendJSONMap: %q, %v; AppendJSON failed with %v", b, err, werr)
		}
		return
	}
	if string(b) != string(want) {
		t.Fatalf("AppendJSONMap's bytes %q, AppendJSON's %q", b, want)
	}
	var dm map[string]any
	derr := vc.DecodeJSON(want[1:], &dm)
	if (err == nil) != (derr == nil) || (err != nil && err.Error() != derr.Error()) {
		t.Fatalf("AppendJSONMap: %v, DecodeJSON: %v", err, derr)
	}
	if !reflect.DeepEqual(m, dm) {
		t.Fatalf("AppendJSONMap's map %v, DecodeJSON's %v", m, dm)
	}
}

// FuzzParseMatchesReference parses fuzzed JSON with ParseCredential and
// with the reference: the same credential, or errors of the same kind.
func FuzzParseMatchesReference(f *testing.F) {
	for _, d := range parseDocs {
		f.Add([]byte(d))
	}
	for _, c := range sampleCredentials(f) {
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkParse(t, b)
	})
}

// checkDecodeJSON compares DecodeJSON with the reference (json.Decoder)
// into a map and into an any: the same value, or errors of the same kind.
func checkDecodeJSON(t *testing.T, b []byte) {
	t.Helper()
	var m, rm map[string]any
	err, rerr := vc.DecodeJSON(b, &m), vc.RefDecodeJSON(b, &rm)
	if (err == nil) != (rerr == nil) || (err == nil && !reflect.DeepEqual(m, rm)) {
		t.Fatalf("DecodeJSON into a map: %#v (%v), the reference %#v (%v)\n%s", m, err, rm, rerr, b)
	}
	for _, k := range errKinds {
		if err != nil && errors.Is(err, k) != errors.Is(rerr, k) {
			t.Fatalf("DecodeJSON: error %v, the reference's %v\n%s", err, rerr, b)
		}
	}
	var a, ra any
	err, rerr = vc.DecodeJSON(b, &a), vc.RefDecodeJSON(b, &ra)
	if (err == nil) != (rerr == nil) || (err == nil && !reflect.DeepEqual(a, ra)) {
		t.Fatalf("DecodeJSON into an any: %#v (%v), the reference %#v (%v)\n%s", a, err, ra, rerr, b)
	}
}

func TestDecodeJSONMatchesDecoder(t *testing.T) {
	docs := append(parseDocs, `{"a":1,"a":{"b":[1.5e3,-0,true,false,null,"\u00e9\ud800"]}}`, `[1,{"x":"y"}]`, `"s"`, `-1.0E+2`, `{"a":1} ]`, `{"a":1} {}`, ``, ` `)
	for _, d := range docs {
		checkDecodeJSON(t, []byte(d))
	}
}

// FuzzDecodeJSONMatchesDecoder decodes fuzzed JSON with DecodeJSON and
// with json.Decoder.
func FuzzDecodeJSONMatchesDecoder(f *testing.F) {
	for _, d := range parseDocs {
		f.Add([]byte(d))
	}
	f.Add([]byte(`{"a":1} ]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeJSON(t, b)
	})
}
