package verify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

const clrHolder = "did:example:holder"

// programCLR issues two course certificates and a program certificate
// for holder (status indexes 1, 2, 3) and composes the CLR bundling them,
// the courses isChildOf the program.
func programCLR(t *testing.T, is *issuer.Issuer, iss, holder string, ver vc.Version, mut func(*vc.ComposeRequest)) (*vc.Credential, []json.RawMessage) {
	t.Helper()
	ctx := context.Background()
	var signed []json.RawMessage
	var courses []string
	var program string
	for i, ref := range []credential.AchievementRef{
		credential.CourseCertificate("course-v1:X+Algebra+2026"),
		credential.CourseCertificate("course-v1:X+Geometry+2026"),
		credential.ProgramCertificate("mathematics"),
	} {
		req := vctest.Request(iss, holder, ver)
		req.Award.Achievement = ref
		req.Achievement.Name = []string{"Algebra", "Geometry", "Mathematics"}[i]
		req.CredentialID = ""
		idx := []string{"1", "2", "3"}[i]
		req.Status[0].ID = "https://example.edu/status/1#" + idx
		req.Status[0].StatusListIndex = idx
		if mut != nil {
			mut(&req)
		}
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := is.Issue(ctx, c, vc.FormatLDP)
		if err != nil {
			t.Fatal(err)
		}
		signed = append(signed, b)
		id := c.CredentialSubject[0].Achievement.ID
		if ref.Kind == credential.KindProgramCertificate {
			program = id
		} else {
			courses = append(courses, id)
		}
	}
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{
		Issuer:       vc.Profile{ID: iss, Name: "Example University"},
		Credentials:  signed,
		HolderID:     holder,
		Associations: vc.ChildOf(program, courses...),
		Name:         "Transcript: Mathematics",
		Version:      ver,
		Schema:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return clr, signed
}

func TestCLRRoundTrip(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	clear := listStatus{"1": false, "2": false, "3": false}
	for _, ver := range []vc.Version{vc.V2, vc.V1} {
		clr, _ := programCLR(t, is, iss, clrHolder, ver, nil)
		for _, format := range []string{vc.FormatLDP, vc.FormatJWT} {
			name := format + "/" + clr.Context[0].(string)
			signed, err := is.Issue(ctx, clr, format)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			v, _ := verify.New(verify.Config{Status: clear, Now: func() time.Time { return now }})
			r := v.VerifyCredential(ctx, signed)
			if !r.Valid() || len(r.Embedded) != 3 {
				t.Fatalf("%s: %s %v (%d embedded)", name, r.Verdict, r.Reasons, len(r.Embedded))
			}
			for _, e := range r.Embedded {
				if !e.Valid() || !e.Credential.Type.Has("OpenBadgeCredential") {
					t.Errorf("%s: embedded %s %v", name, e.Verdict, e.Reasons)
				}
			}
			s, err := r.Credential.CLR()
			if err != nil {
				t.Fatal(err)
			}
			if s.ID != clrHolder || len(s.Achievement) != 3 || len(s.Association) != 2 ||
				s.Association[0].AssociationType != vc.AssociationIsChildOf || s.Association[0].TargetID != s.Achievement[2].ID {
				t.Errorf("%s: subject %+v", name, s)
			}
			// A revoked course makes the transcript revoked, and says which.
			v, _ = verify.New(verify.Config{Status: listStatus{"1": false, "2": true, "3": false}, Now: func() time.Time { return now }})
			r = v.VerifyCredential(ctx, signed)
			if r.Verdict != vc.VerdictRevoked || !r.Has(vc.ReasonEmbedded) || r.Embedded[1].Verdict != vc.VerdictRevoked {
				t.Errorf("%s: revoked course: %s %v", name, r.Verdict, r.Reasons)
			}
			// No status checker: never valid.
			v, _ = verify.New(verify.Config{Now: func() time.Time { return now }})
			if r = v.VerifyCredential(ctx, signed); r.Verdict != vc.VerdictStatusUnknown {
				t.Errorf("%s: no checker: %s", name, r.Verdict)
			}
		}
	}
}

// The CLR's proof covers the embedded credentials; an embedded credential
// altered and re-signed as part of a new CLR fails its own proof.
func TestCLRTamperedEmbedded(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	clear := listStatus{"1": false, "2": false, "3": false}
	v, _ := verify.New(verify.Config{Status: clear, Now: func() time.Time { return now }})
	clr, signed := programCLR(t, is, iss, clrHolder, vc.V2, nil)
	doc, err := is.Issue(ctx, clr, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	if r := v.VerifyCredential(ctx, []byte(strings.Replace(string(doc), `"name":"Geometry"`, `"name":"Topology"`, 1))); r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonProof) {
		t.Errorf("tampered CLR: %s %v", r.Verdict, r.Reasons)
	}
	signed[1] = []byte(strings.Replace(string(signed[1]), `"name":"Geometry"`, `"name":"Topology"`, 1))
	forged, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "Example University"}, Credentials: signed, HolderID: clrHolder})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{vc.FormatLDP, vc.FormatJWT} {
		doc, err := is.Issue(ctx, forged, format)
		if err != nil {
			t.Fatal(err)
		}
		r := v.VerifyCredential(ctx, doc)
		if r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonEmbedded) || r.Embedded[1].Valid() || !r.Embedded[0].Valid() {
			t.Errorf("%s: forged embedded credential: %s %v", format, r.Verdict, r.Reasons)
		}
	}
}

// A CLR whose embedded credential is about someone else is invalid, even
// when every proof holds (ComposeCLR refuses to build one; a hand-made one
// is caught by the verifier).
func TestCLRSubjectMismatch(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	v, _ := verify.New(verify.Config{Status: listStatus{"1": false, "2": false, "3": false}, Now: func() time.Time { return now }})
	_, mine := programCLR(t, is, iss, clrHolder, vc.V2, nil)
	_, theirs := programCLR(t, is, iss, "did:example:other", vc.V2, nil)
	mixed := []json.RawMessage{mine[0], theirs[1]}
	if _, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: mixed, HolderID: clrHolder}); err == nil {
		t.Fatal("ComposeCLR bundled another learner's credential")
	}
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: mine[:1], HolderID: clrHolder})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(mixed)
	clr.CredentialSubject[0].Extra["verifiableCredential"] = raw
	doc, err := is.IssueWith(ctx, clr, vc.FormatLDP, proof.SuiteEddsaJcs2022)
	if err != nil {
		t.Fatal(err)
	}
	r := v.VerifyCredential(ctx, doc)
	if r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonEmbedded) || !r.Embedded[0].Valid() || r.Embedded[1].Valid() {
		t.Errorf("mixed subjects: %s %v", r.Verdict, r.Reasons)
	}
}

// A learner without a DID: the CLR is about the hashed e-mail identifier
// of the embedded credentials.
func TestCLRHashedIdentity(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	_, signed := programCLR(t, is, iss, "", vc.V2, func(r *vc.ComposeRequest) { r.IdentitySalt = "pepper" })
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: signed})
	if err != nil {
		t.Fatal(err)
	}
	s, err := clr.CLR()
	if err != nil || s.ID != "" || len(s.Identifier) != 1 || !strings.HasPrefix(s.Identifier[0].IdentityHash, "sha256$") {
		t.Fatalf("subject %+v %v", s, err)
	}
	doc, err := is.Issue(ctx, clr, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), "ada@example.edu") {
		t.Error("the CLR holds the plain e-mail address")
	}
	v, _ := verify.New(verify.Config{Status: listStatus{"1": false, "2": false, "3": false}, Now: func() time.Time { return now }})
	if r := v.VerifyCredential(ctx, doc); !r.Valid() {
		t.Errorf("%s %v", r.Verdict, r.Reasons)
	}
	if _, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: signed, HolderID: clrHolder}); err == nil {
		t.Error("ComposeCLR gave hashed-identity credentials a holder DID")
	}
}

// The CLR's own status entry counts like any credential's.
func TestCLROwnStatus(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	_, signed := programCLR(t, is, iss, clrHolder, vc.V2, nil)
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: signed, HolderID: clrHolder,
		Status: []vc.StatusEntry{{ID: "https://example.edu/status/1#9", Type: vc.StatusBitstring, StatusPurpose: vc.PurposeRevocation,
			StatusListIndex: "9", StatusListCredential: "https://example.edu/status/1"}}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := is.Issue(ctx, clr, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{Status: listStatus{"1": false, "2": false, "3": false, "9": true}, Now: func() time.Time { return now }})
	if r := v.VerifyCredential(ctx, doc); r.Verdict != vc.VerdictRevoked || !r.Has(vc.ReasonRevoked) || r.Has(vc.ReasonEmbedded) {
		t.Errorf("%s %v", r.Verdict, r.Reasons)
	}
}
