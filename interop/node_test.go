package interop_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// case_ is one credential we write for the peers, with what they must say.
type case_ struct {
	file string
	doc  []byte
	good bool
	// verifiers that must have checked it (not skipped)
	peers []string
	// our verdict
	want vc.Verdict
	code string
}

const revokedIndex = 77

func tamper(b []byte) []byte {
	return []byte(strings.Replace(string(b), "Demonstration Course", "Demolition Course", 1))
}

// ourCredentials issues every format we emit, plus tampered, expired and
// revoked variants.
func ourCredentials(t *testing.T, o *ours) (cases []case_, lists map[string][]byte) {
	ctx := context.Background()
	list, err := o.is.SignDocument(ctx, statusList(o.did, revokedIndex), proof.SuiteEddsaRdfc2022)
	if err != nil {
		t.Fatal(err)
	}
	lists = map[string][]byte{listURL: list}
	mk := func(v vc.Version, mut func(*vc.ComposeRequest)) *vc.Credential {
		req := vctest.Request(o.did, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", v)
		req.ValidFrom = time.Now().Add(-time.Hour)
		req.Status[0].ID = listURL + "#5"
		req.Status[0].StatusListIndex = "5"
		req.Status[0].StatusListCredential = listURL
		if mut != nil {
			mut(&req)
		}
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	expired := func(r *vc.ComposeRequest) {
		r.ValidFrom = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		r.ValidUntil = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	revoked := func(r *vc.ComposeRequest) {
		r.Status[0].ID = listURL + "#77"
		r.Status[0].StatusListIndex = "77"
	}
	ldp := func(c *vc.Credential, suite string) []byte {
		b, err := o.is.IssueWith(ctx, c, vc.FormatLDP, suite)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jwtOf := func(c *vc.Credential) []byte {
		b, err := o.is.Issue(ctx, c, vc.FormatJWT)
		if err != nil {
			t.Fatal(err)
		}
		var s string
		_ = json.Unmarshal(b, &s)
		return []byte(s)
	}
	db, dk, jo := "digitalbazaar", "didkit", "jose"
	for _, x := range []struct {
		name  string
		v     vc.Version
		suite string
		peers []string
	}{
		{"v2-eddsa-rdfc-2022", vc.V2, proof.SuiteEddsaRdfc2022, []string{db}},
		{"v1-eddsa-rdfc-2022", vc.V1, proof.SuiteEddsaRdfc2022, []string{db}},
		{"v2-ed25519-2020", vc.V2, proof.SuiteEd25519Signature2020, []string{db}},
		{"v1-ed25519-2020", vc.V1, proof.SuiteEd25519Signature2020, []string{db, dk}},
	} {
		cases = append(cases,
			case_{x.name + ".json", ldp(mk(x.v, nil), x.suite), true, x.peers, vc.VerdictValid, ""},
			case_{x.name + "-tampered.json", tamper(ldp(mk(x.v, nil), x.suite)), false, x.peers, vc.VerdictInvalid, vc.ReasonProof},
			// DIDKit 0.2.1 does not check expirationDate: expiry is checked by Digital Bazaar (and us).
			case_{x.name + "-expired.json", ldp(mk(x.v, expired), x.suite), false, []string{db}, vc.VerdictInvalid, vc.ReasonExpired},
			// DIDKit cannot read Bitstring lists: revocation is checked by those that can.
			case_{x.name + "-revoked.json", ldp(mk(x.v, revoked), x.suite), false, []string{db}, vc.VerdictRevoked, vc.ReasonRevoked},
		)
	}
	// eddsa-jcs-2022 (Digital Bazaar's JCS cryptosuite).
	cases = append(cases,
		case_{"v2-eddsa-jcs-2022.json", ldp(mk(vc.V2, nil), proof.SuiteEddsaJcs2022), true, []string{db}, vc.VerdictValid, ""},
		case_{"v2-eddsa-jcs-2022-tampered.json", tamper(ldp(mk(vc.V2, nil), proof.SuiteEddsaJcs2022)), false, []string{db}, vc.VerdictInvalid, vc.ReasonProof},
		case_{"v2-eddsa-jcs-2022-revoked.json", ldp(mk(vc.V2, revoked), proof.SuiteEddsaJcs2022), false, []string{db}, vc.VerdictRevoked, vc.ReasonRevoked},
	)
	// CLR 2.0: a program transcript embedding a course and the program
	// certificate. Digital Bazaar checks the CLR's proof and each embedded
	// credential's (interop/node/verify.mjs, verifyEmbedded).
	clr := func(v vc.Version, suite string, mut func(*vc.ComposeRequest)) *vc.Credential {
		course := func(r *vc.ComposeRequest) {
			r.CredentialID = ""
			if mut != nil {
				mut(r)
			}
		}
		program := func(r *vc.ComposeRequest) {
			course(r)
			r.Award.Achievement = credential.ProgramCertificate("mathematics")
			r.Achievement.Name = "Mathematics"
		}
		cc, pc := mk(v, course), mk(v, program)
		var courseDoc []byte
		if suite == "tamper" {
			suite = proof.SuiteEddsaRdfc2022
			courseDoc = tamper(ldp(cc, suite))
		} else {
			courseDoc = ldp(cc, suite)
		}
		c, err := vc.ComposeCLR(vc.ComposeCLRRequest{
			Issuer:       vc.Profile{ID: o.did, Name: "Example University"},
			Credentials:  []json.RawMessage{courseDoc, ldp(pc, suite)},
			HolderID:     cc.CredentialSubject[0].ID,
			Associations: vc.ChildOf(pc.CredentialSubject[0].Achievement.ID, cc.CredentialSubject[0].Achievement.ID),
			Name:         "Transcript: Mathematics",
			Version:      v,
			Schema:       true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases = append(cases,
		case_{"clr-v2-eddsa-rdfc-2022.json", ldp(clr(vc.V2, proof.SuiteEddsaRdfc2022, nil), proof.SuiteEddsaRdfc2022), true, []string{db}, vc.VerdictValid, ""},
		case_{"clr-v2-eddsa-jcs-2022.json", ldp(clr(vc.V2, proof.SuiteEddsaJcs2022, nil), proof.SuiteEddsaJcs2022), true, []string{db}, vc.VerdictValid, ""},
		case_{"clr-v1-ed25519-2020.json", ldp(clr(vc.V1, proof.SuiteEd25519Signature2020, nil), proof.SuiteEd25519Signature2020), true, []string{db}, vc.VerdictValid, ""},
		case_{"clr-v2-tampered.json", tamper(ldp(clr(vc.V2, proof.SuiteEddsaRdfc2022, nil), proof.SuiteEddsaRdfc2022)), false, []string{db}, vc.VerdictInvalid, vc.ReasonProof},
		// The CLR's own proof holds; an embedded credential's does not.
		case_{"clr-v2-embedded-tampered.json", ldp(clr(vc.V2, "tamper", nil), proof.SuiteEddsaRdfc2022), false, []string{db}, vc.VerdictInvalid, vc.ReasonEmbedded},
		case_{"clr-v2-embedded-revoked.json", ldp(clr(vc.V2, proof.SuiteEddsaRdfc2022, revoked), proof.SuiteEddsaRdfc2022), false, []string{db}, vc.VerdictRevoked, vc.ReasonEmbedded},
		case_{"clr-v2.jwt", jwtOf(clr(vc.V2, proof.SuiteEddsaRdfc2022, nil)), true, []string{jo, db}, vc.VerdictValid, ""},
		case_{"clr-v2-embedded-tampered.jwt", jwtOf(clr(vc.V2, "tamper", nil)), false, []string{db}, vc.VerdictInvalid, vc.ReasonEmbedded},
	)
	for _, x := range []struct {
		name  string
		v     vc.Version
		peers []string
	}{
		{"v1", vc.V1, []string{jo, dk}},
		{"v2", vc.V2, []string{jo}},
	} {
		good := jwtOf(mk(x.v, nil))
		parts := strings.Split(string(good), ".")
		parts[1] = parts[1][:len(parts[1])-4] + "AAAA"
		cases = append(cases,
			case_{x.name + ".jwt", good, true, x.peers, vc.VerdictValid, ""},
			case_{x.name + "-tampered.jwt", []byte(strings.Join(parts, ".")), false, x.peers, vc.VerdictInvalid, ""},
			case_{x.name + "-expired.jwt", jwtOf(mk(x.v, expired)), false, x.peers, vc.VerdictInvalid, vc.ReasonExpired},
		)
	}
	return cases, lists
}

// TestPeersVerifyOurs writes every format we emit and has Digital Bazaar,
// DIDKit and jose verify them; good ones must verify, tampered, expired
// and revoked ones must be rejected with a reason — by the peers and by us.
func TestPeersVerifyOurs(t *testing.T) {
	needNode(t)
	o := newOurs(t)
	cases, lists := ourCredentials(t, o)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lists", "1.json"), lists[listURL], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(dir, c.file), c.doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rep report
	out := runNode(t, "verify", dir)
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	v, _ := verify.New(verify.Config{})
	v, _ = verify.New(verify.Config{Status: &fileStatus{lists: lists, v: v}})
	for _, c := range cases {
		got := rep.Files[c.file]
		for _, p := range c.peers {
			r, ok := got[p]
			switch {
			case !ok || r.Skipped:
				t.Errorf("%s: %s did not check it (%s)", c.file, p, r.Error)
			case c.good && !r.Verified:
				t.Errorf("%s: %s rejected a good credential: %s", c.file, p, r.Error)
			case !c.good && r.Verified:
				t.Errorf("%s: %s accepted a bad credential", c.file, p)
			case !c.good && r.Error == "":
				t.Errorf("%s: %s rejected it without a reason", c.file, p)
			default:
				t.Logf("%s: %s verified=%v %s", c.file, p, r.Verified, clip(r.Error))
			}
		}
		res := v.VerifyCredential(context.Background(), c.doc)
		if res.Verdict != c.want || (c.code != "" && !res.Has(c.code)) {
			t.Errorf("%s: ours says %s %v, want %s %s", c.file, res.Verdict, res.Reasons, c.want, c.code)
		}
	}
}

// TestOursVerifyPeers has Digital Bazaar and DIDKit issue credentials
// (among them a CLR 2.0 transcript embedding a credential Digital Bazaar
// signed; and Digital Bazaar sign DIDAuth presentations, as the Learner
// Credential Wallet does) and checks ours accepts the good ones and
// rejects tampered and expired ones, and presentations made for another
// challenge.
func TestOursVerifyPeers(t *testing.T) {
	needNode(t)
	dir := t.TempDir()
	runNode(t, "issue", dir)
	v, _ := verify.New(verify.Config{})
	ents, _ := os.ReadDir(dir)
	n, clrs := 0, 0
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		n++
		if strings.HasSuffix(e.Name(), ".vp") {
			opts := verify.PresentationOptions{Challenge: "credshare-challenge", Domain: "example.edu"}
			if res, err := v.CheckPresentation(context.Background(), b, opts); err != nil || res.Holder == "" {
				t.Errorf("%s: %v", e.Name(), err)
			}
			opts.Challenge = "another"
			if _, err := v.CheckPresentation(context.Background(), b, opts); err == nil {
				t.Errorf("%s: accepted for another challenge", e.Name())
			}
			continue
		}
		r := v.VerifyCredential(context.Background(), b)
		if strings.Contains(e.Name(), "expired") {
			if r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonExpired) {
				t.Errorf("%s: got %s %v, want invalid (expired)", e.Name(), r.Verdict, r.Reasons)
			}
			continue
		}
		if !r.Valid() {
			t.Errorf("%s: got %s %v, want valid", e.Name(), r.Verdict, r.Reasons)
		}
		if strings.Contains(e.Name(), "-clr-") {
			clrs++
			if len(r.Embedded) != 1 || !r.Embedded[0].Valid() {
				t.Errorf("%s: the embedded credential was not verified: %+v", e.Name(), r.Embedded)
			}
		}
		var bad []byte
		if strings.HasSuffix(e.Name(), ".jwt") {
			parts := strings.Split(strings.TrimSpace(string(b)), ".")
			parts[1] = parts[1][:len(parts[1])-4] + "AAAA"
			bad = []byte(strings.Join(parts, "."))
		} else {
			bad = tamper(b)
		}
		if r := v.VerifyCredential(context.Background(), bad); r.Verdict != vc.VerdictInvalid || len(r.Reasons) == 0 {
			t.Errorf("%s tampered: got %s %v, want invalid", e.Name(), r.Verdict, r.Reasons)
		}
	}
	if n < 11 || clrs != 1 {
		t.Fatalf("the peers issued %d documents (%d CLRs), want 11 (1)", n, clrs)
	}
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
