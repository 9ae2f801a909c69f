package vc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

// fakeSigned composes an OBv3 credential for ref and gives it a
// placeholder proof (ComposeCLR checks that a proof is there; the
// verifier checks it verifies).
func fakeSigned(ref credential.AchievementRef, name, holder string) json.RawMessage {
	req := vctest.Request("did:web:example.edu", holder, vc.V2)
	req.Award.Achievement = ref
	req.Achievement.Name = name
	c, err := vc.Compose(req)
	if err != nil {
		panic(err)
	}
	c.Proof = vc.Proofs{json.RawMessage(`{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","proofValue":"z1"}`)}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return b
}

// ComposeCLR bundles a program and its courses: the ClrSubject's
// achievements, embedded credentials and isChildOf associations.
func ExampleComposeCLR() {
	holder := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	program := credential.ProgramCertificate("mathematics")
	course := credential.CourseCertificate("course-v1:X+Algebra+2026")
	creds := []json.RawMessage{
		fakeSigned(course, "Algebra", holder),
		fakeSigned(program, "Mathematics", holder),
	}
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{
		Issuer:       vc.Profile{ID: "did:web:example.edu", Name: "Example University"},
		Credentials:  creds,
		HolderID:     holder,
		Associations: vc.ChildOf(vc.AchievementID("did:web:example.edu", program), vc.AchievementID("did:web:example.edu", course)),
	})
	if err != nil {
		panic(err)
	}
	s, err := clr.CLR()
	if err != nil {
		panic(err)
	}
	fmt.Println(clr.Type, clr.Context)
	fmt.Println(s.Type, len(s.VerifiableCredential), s.Achievement[0].Name, s.Association[0].AssociationType, s.Achievement[1].Name)
	// Output:
	// [VerifiableCredential ClrCredential] [https://www.w3.org/ns/credentials/v2 https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json]
	// [ClrSubject] 2 Algebra isChildOf Mathematics
}

func TestComposeCLRRefuses(t *testing.T) {
	const holder = "did:example:h"
	good := fakeSigned(credential.CourseCertificate("c1"), "C1", holder)
	unsigned := json.RawMessage(strings.Replace(string(good), `"proof"`, `"proofX"`, 1))
	iss := vc.Profile{ID: "did:web:example.edu", Name: "U"}
	for name, req := range map[string]vc.ComposeCLRRequest{
		"no credentials":  {Issuer: iss, HolderID: holder},
		"issuer not DID":  {Issuer: vc.Profile{ID: "https://u", Name: "U"}, Credentials: []json.RawMessage{good}, HolderID: holder},
		"unsigned":        {Issuer: iss, Credentials: []json.RawMessage{unsigned}, HolderID: holder},
		"jwt":             {Issuer: iss, Credentials: []json.RawMessage{json.RawMessage(`"eyJ.a.b"`)}, HolderID: holder},
		"other holder":    {Issuer: iss, Credentials: []json.RawMessage{good}, HolderID: "did:example:other"},
		"holder not set":  {Issuer: iss, Credentials: []json.RawMessage{good}},
		"bad association": {Issuer: iss, Credentials: []json.RawMessage{good}, HolderID: holder, Associations: vc.ChildOf("urn:uuid:nowhere", "urn:uuid:else")},
		"bad type": {Issuer: iss, Credentials: []json.RawMessage{good}, HolderID: holder,
			Associations: []vc.Association{{AssociationType: "isCousinOf"}}},
	} {
		if _, err := vc.ComposeCLR(req); !errors.Is(err, vc.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A ClrSubject read and written again keeps its achievement list (a list,
// where an AchievementSubject has one), and Partial sets "partial".
func TestCLRSubjectRoundTrip(t *testing.T) {
	const holder = "did:example:h"
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: "did:web:example.edu", Name: "U"},
		Credentials: []json.RawMessage{fakeSigned(credential.CourseCertificate("c1"), "C1", holder)}, HolderID: holder,
		Partial: true, Version: vc.V1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(clr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := vc.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(c)
	if string(b) != string(b2) {
		t.Errorf("round trip changed the CLR:\n%s\n%s", b, b2)
	}
	s, err := c.CLR()
	if err != nil || len(s.Achievement) != 1 || s.Achievement[0].Name != "C1" || string(c.Extra["partial"]) != "true" || c.IssuanceDate.IsZero() {
		t.Errorf("%+v %v", s, err)
	}
	if _, err := (&vc.Credential{Type: vc.Types{"VerifiableCredential"}}).CLR(); !errors.Is(err, vc.ErrMalformed) {
		t.Errorf("CLR of a plain credential: %v", err)
	}
}

// Achievements given in the request come first; those of the embedded
// credentials follow, each id once; associations may name either.
func TestComposeCLRAchievements(t *testing.T) {
	const holder = "did:example:h"
	course := credential.CourseCertificate("c1")
	program := vc.Achievement{ID: "urn:uuid:6b1c8f8e-0d55-4c1f-9d0e-3f7b2a1c9e44", Type: vc.Types{"Achievement"}, Name: "Program (in progress)"}
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: "did:web:example.edu", Name: "U"}, HolderID: holder,
		Credentials:  []json.RawMessage{fakeSigned(course, "C1", holder), fakeSigned(course, "C1 again", holder)},
		Achievements: []vc.Achievement{program},
		Associations: vc.ChildOf(program.ID, vc.AchievementID("did:web:example.edu", course)),
		Partial:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := clr.CLR()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Achievement) != 2 || s.Achievement[0].Name != program.Name || s.Achievement[1].Name != "C1" || len(s.VerifiableCredential) != 2 {
		t.Errorf("%+v", s.Achievement)
	}
}

// A ClrSubject with single objects where lists are expected reads the same.
func TestCLRSubjectSingleValues(t *testing.T) {
	c, err := vc.ParseCredential([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","ClrCredential"],
	  "issuer":"did:example:i","credentialSubject":{"id":"did:example:h","type":"ClrSubject",
	  "achievement":{"id":"urn:uuid:1","type":["Achievement"],"name":"A"},
	  "verifiableCredential":{"type":["VerifiableCredential"]},
	  "association":{"type":"Association","associationType":"isChildOf","sourceId":"urn:uuid:1","targetId":"urn:uuid:2"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CLR()
	if err != nil || len(s.Achievement) != 1 || s.Achievement[0].Name != "A" || len(s.VerifiableCredential) != 1 || len(s.Association) != 1 {
		t.Fatalf("%+v %v", s, err)
	}
}
