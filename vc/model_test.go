package vc_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
)

// A credential read and written again keeps members the model does not
// name, at every level.
func TestRoundTripKeepsUnknownMembers(t *testing.T) {
	in := `{
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
	c, err := vc.ParseCredential([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer.Name != "U" || c.CredentialSubject[0].Achievement.Name != "N" || c.CredentialStatus[0].StatusListIndex != "3" {
		t.Fatalf("typed fields not read: %+v", c)
	}
	if !c.ValidFrom.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("validFrom %v", c.ValidFrom)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the document:\n in: %s\nout: %s", in, out)
	}
}

func TestComposeEveryKind(t *testing.T) {
	for _, ref := range []credential.AchievementRef{
		credential.CourseCertificate("course-v1:edX+DemoX+Demo_Course"),
		credential.ProgramCertificate("1d3f2e6c-2a0b-4b1e-8a5c-7e9f0a1b2c3d"),
		credential.Badge("b6a0b8f4-7b7e-4d2f-9c1a-0e3d5f7a9b1c"),
	} {
		for _, v := range []vc.Version{vc.V2, vc.V1} {
			req := vctest.Request("did:example:issuer", "did:example:holder", v)
			req.Award.Achievement = ref
			c, err := vc.Compose(req)
			if err != nil {
				t.Fatal(err)
			}
			s := c.CredentialSubject[0]
			a := s.Achievement
			switch {
			case !c.Type.Has("OpenBadgeCredential"), c.Issuer.Name != "Example University", s.ID != "did:example:holder",
				!s.Type.Has("AchievementSubject"), s.Name != "Ada Lovelace", a.Name != "Demonstration Course",
				a.Criteria == nil || a.Criteria.Narrative == "", a.Image == nil, len(a.Alignment) != 1, len(a.Tag) != 3,
				len(c.Evidence) != 2, len(c.CredentialStatus) != 1, len(c.CredentialSchema) != 1:
				t.Fatalf("%s v%d: missing fields: %+v", ref, v, c)
			}
			if a.ID != vc.AchievementID("did:example:issuer", ref) {
				t.Fatalf("achievement id %s is not the stable one", a.ID)
			}
			if want := vc.DefaultAchievementType(ref.Kind); a.AchievementType != want {
				t.Fatalf("achievementType %s, want %s", a.AchievementType, want)
			}
			from, until := c.Validity()
			if !from.Equal(req.Award.AwardedAt) || until.IsZero() {
				t.Fatalf("validity %v %v", from, until)
			}
			if (v == vc.V1) != (c.Context[0] == vc.ContextV1) || (v == vc.V1 && c.IssuanceDate.IsZero()) || (v == vc.V2 && c.ValidFrom.IsZero()) {
				t.Fatalf("v%d dates/context wrong: %+v", v, c)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The achievement id does not depend on the learner.
	r1 := vctest.Request("did:example:issuer", "did:example:a", vc.V2)
	r2 := vctest.Request("did:example:issuer", "did:example:b", vc.V2)
	r2.Award.LearnerID = 7
	c1, _ := vc.Compose(r1)
	c2, _ := vc.Compose(r2)
	if c1.CredentialSubject[0].Achievement.ID != c2.CredentialSubject[0].Achievement.ID {
		t.Fatal("achievement id differs per learner")
	}
}

func TestComposeHashedEmailSubject(t *testing.T) {
	req := vctest.Request("did:example:issuer", "", vc.V2)
	req.IdentitySalt = "pepper"
	c, err := vc.Compose(req)
	if err != nil {
		t.Fatal(err)
	}
	id := c.CredentialSubject[0].Identifier
	if len(id) != 1 || !id[0].Hashed || id[0].IdentityType != "emailAddress" || !strings.HasPrefix(id[0].IdentityHash, "sha256$") {
		t.Fatalf("identifier %+v", id)
	}
	if strings.Contains(string(must(json.Marshal(c))), "ada@example.edu") {
		t.Fatal("the e-mail address leaked into the credential")
	}
}

func TestComposeRefusesBadInput(t *testing.T) {
	base := vctest.Request("did:example:issuer", "did:example:holder", vc.V2)
	for name, mut := range map[string]func(*vc.ComposeRequest){
		"revoked award":  func(r *vc.ComposeRequest) { r.Award.Status = credential.StatusRevoked; r.Award.RevokedAt = time.Now() },
		"issuer not DID": func(r *vc.ComposeRequest) { r.Issuer.ID = "https://example.edu" },
		"no issuer name": func(r *vc.ComposeRequest) { r.Issuer.Name = "" },
		"no name":        func(r *vc.ComposeRequest) { r.Achievement.Name = "" },
		"no subject":     func(r *vc.ComposeRequest) { r.HolderID = ""; r.Learner.Email = "" },
		"until<from":     func(r *vc.ComposeRequest) { r.ValidUntil = r.Award.AwardedAt.Add(-time.Hour) },
		"bad version":    func(r *vc.ComposeRequest) { r.Version = 9 },
	} {
		r := base
		mut(&r)
		if _, err := vc.Compose(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", vc.MaxDepth+1) + strings.Repeat("]", vc.MaxDepth+1)
	if _, err := vc.ParseCredential([]byte(`{"a":` + deep + `}`)); !errors.Is(err, vc.ErrTooDeep) {
		t.Fatalf("deep: %v", err)
	}
	big := `{"x":"` + strings.Repeat("a", vc.MaxDocumentSize) + `"}`
	if _, err := vc.ParseCredential([]byte(big)); !errors.Is(err, vc.ErrTooLarge) {
		t.Fatalf("large: %v", err)
	}
	// Brackets inside strings do not count.
	if err := vc.CheckJSON([]byte(`{"s":"` + strings.Repeat("[", 100) + `\"]"}`)); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"not json":   `{`,
		"no context": `{"type":["VerifiableCredential"],"issuer":"did:x:1","credentialSubject":{}}`,
		"no vc type": `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["X"],"issuer":"did:x:1","credentialSubject":{}}`,
		"no issuer":  `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{}}`,
		"no subject": `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","issuer":"did:x:1"}`,
		"v1 no date": `{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","issuer":"did:x:1","credentialSubject":{}}`,
	} {
		if _, err := vc.ParseCredential([]byte(doc)); !errors.Is(err, vc.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSigner(t *testing.T) {
	key := vctest.Key()
	if _, err := vc.NewSigner(key, "did:key:z#z"); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.NewSigner(key, "https://x#1"); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("non-DID vm: %v", err)
	}
	if _, err := vc.NewSigner(nil, "did:x:1#1"); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("nil key: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A subject whose Type is empty takes "type" from Extra, so a status list
// subject can carry the plain string Digital Bazaar expects.
func TestSubjectTypeFromExtra(t *testing.T) {
	s := vc.Subject{ID: "https://x/1#list", Extra: vc.Extra{"type": json.RawMessage(`"BitstringStatusList"`)}}
	b, _ := json.Marshal(s)
	if string(b) != `{"id":"https://x/1#list","type":"BitstringStatusList"}` {
		t.Fatalf("%s", b)
	}
}
