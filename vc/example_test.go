package vc_test

import (
	"fmt"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

// Compose builds an unsigned Open Badges 3.0 credential for an award.
func ExampleCompose() {
	req := vctest.Request("did:web:example.edu", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", vc.V2)
	req.Award.Achievement = credential.ProgramCertificate("1d3f2e6c-2a0b-4b1e-8a5c-7e9f0a1b2c3d")
	c, err := vc.Compose(req)
	if err != nil {
		panic(err)
	}
	a := c.CredentialSubject[0].Achievement
	fmt.Println(c.Type, c.Context[0])
	fmt.Println(a.Type, a.AchievementType, a.Name)
	fmt.Println(c.ValidFrom.Format("2006-01-02"), c.CredentialStatus[0].Type)
	// Output:
	// [VerifiableCredential OpenBadgeCredential] https://www.w3.org/ns/credentials/v2
	// [Achievement] Certificate Demonstration Course
	// 2026-03-14 BitstringStatusListEntry
}

// ParseCredential reads a credential and keeps the members the model does
// not name.
func ExampleParseCredential() {
	c, err := vc.ParseCredential([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],
	  "type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"},
	  "termsOfUse":{"type":"Policy"}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Issuer.ID, c.Version() == vc.V2, string(c.Extra["termsOfUse"]))
	// Output: did:example:1 true {"type":"Policy"}
}

// ParseCredentialMap reads a credential and the map a proof verifier
// works on in one pass.
func ExampleParseCredentialMap() {
	c, m, err := vc.ParseCredentialMap([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],
	  "type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2","n":1.50}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.CredentialSubject[0].ID, m["credentialSubject"].(map[string]any)["n"])
	// Output: did:example:2 1.50
}

// AppendJSON writes a credential's JSON (MarshalJSON's bytes) into a
// buffer the caller owns.
func ExampleCredential_AppendJSON() {
	c := &vc.Credential{Context: vc.Contexts{vc.ContextV2}, Type: vc.Types{"VerifiableCredential"},
		Issuer: vc.Profile{ID: "did:example:1"}, CredentialSubject: vc.Subjects{{ID: "did:example:2"}}}
	buf, err := c.AppendJSON([]byte(`{"vc":`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(buf) + "}")
	// Output: {"vc":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:1","credentialSubject":{"id":"did:example:2"}}}
}

// AppendJSONMap writes the JSON and gives the map a proof suite signs,
// without decoding the bytes again.
func ExampleCredential_AppendJSONMap() {
	c := &vc.Credential{Context: vc.Contexts{vc.ContextV2}, Type: vc.Types{"VerifiableCredential"},
		Issuer: vc.Profile{ID: "did:example:1"}, CredentialSubject: vc.Subjects{{ID: "did:example:2"}}}
	buf, m, err := c.AppendJSONMap(nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(buf) > 0, m["issuer"], m["credentialSubject"].(map[string]any)["id"])
	// Output: true did:example:1 did:example:2
}
