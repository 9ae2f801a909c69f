package verify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// listStatus answers status entries from a set of set indexes; an index
// it does not know is an error (list unreachable). It stands for the
// status package's checker, which lives in another package.
type listStatus map[string]bool

func (l listStatus) CheckStatus(_ context.Context, _ string, e vc.StatusEntry) (vc.StatusResult, error) {
	set, ok := l[e.StatusListIndex]
	if !ok {
		return vc.StatusResult{}, errors.New("list unreachable")
	}
	return vc.StatusResult{Set: set, Purpose: e.StatusPurpose}, nil
}

func setup(t testing.TB) (*issuer.Issuer, string) {
	t.Helper()
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, err := vc.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(issuer.Config{Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	return is, d
}

func TestVerdicts(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, ver := range []vc.Version{vc.V2, vc.V1} {
		for _, format := range []string{vc.FormatLDP, vc.FormatJWT} {
			c, err := vc.Compose(vctest.Request(iss, "did:example:holder", ver))
			if err != nil {
				t.Fatal(err)
			}
			signed, err := is.Issue(ctx, c, format)
			if err != nil {
				t.Fatal(err)
			}
			name := format + "/" + c.Context[0].(string)
			check := func(status vc.StatusChecker, at time.Time, doc []byte, want vc.Verdict, code string) {
				t.Helper()
				v, _ := verify.New(verify.Config{Status: status, Now: func() time.Time { return at }})
				r := v.VerifyCredential(ctx, doc)
				if r.Verdict != want || (code != "" && !r.Has(code)) {
					t.Errorf("%s: got %s %v, want %s %s", name, r.Verdict, r.Reasons, want, code)
				}
			}
			idx := c.CredentialStatus[0].StatusListIndex
			check(listStatus{idx: false}, now, signed, vc.VerdictValid, "")
			check(listStatus{idx: true}, now, signed, vc.VerdictRevoked, vc.ReasonRevoked)
			check(listStatus{}, now, signed, vc.VerdictStatusUnknown, vc.ReasonStatus)
			check(nil, now, signed, vc.VerdictStatusUnknown, vc.ReasonStatus)
			check(listStatus{idx: false}, time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC), signed, vc.VerdictInvalid, vc.ReasonExpired)
			check(listStatus{idx: false}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), signed, vc.VerdictInvalid, vc.ReasonNotYetValid)
			if format == vc.FormatLDP {
				tampered := []byte(strings.Replace(string(signed), "Demonstration Course", "Advanced Course", 1))
				check(listStatus{idx: false}, now, tampered, vc.VerdictInvalid, vc.ReasonProof)
			} else {
				var tok string
				_ = json.Unmarshal(signed, &tok)
				parts := strings.Split(tok, ".")
				parts[2] = strings.Repeat("A", len(parts[2])-2) + parts[2][len(parts[2])-2:]
				check(listStatus{idx: false}, now, []byte(strings.Join(parts, ".")), vc.VerdictInvalid, vc.ReasonProof)
			}
		}
	}
}

// Revocation outranks suspension; a suspended entry alone gives suspended.
func TestSuspension(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	req := vctest.Request(iss, "did:example:holder", vc.V2)
	req.Status = append(req.Status, vc.StatusEntry{ID: "https://example.edu/status/2#7", Type: vc.StatusBitstring,
		StatusPurpose: vc.PurposeSuspension, StatusListIndex: "7", StatusListCredential: "https://example.edu/status/2"})
	c, _ := vc.Compose(req)
	signed, err := is.Issue(ctx, c, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	at := func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		st   listStatus
		want vc.Verdict
	}{
		{listStatus{"94567": false, "7": true}, vc.VerdictSuspended},
		{listStatus{"94567": true, "7": true}, vc.VerdictRevoked},
		{listStatus{"94567": false, "7": false}, vc.VerdictValid},
		{listStatus{"7": true}, vc.VerdictSuspended}, // revocation list unreachable, but suspended is worse than unknown
	} {
		v, _ := verify.New(verify.Config{Status: tc.st, Now: at})
		if r := v.VerifyCredential(ctx, signed); r.Verdict != tc.want {
			t.Errorf("%v: got %s %v, want %s", tc.st, r.Verdict, r.Reasons, tc.want)
		}
	}
}

func TestIssuerKeyMismatch(t *testing.T) {
	ctx := context.Background()
	is, iss := setup(t)
	c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", vc.V2))
	signed, _ := is.Issue(ctx, c, vc.FormatLDP)
	// Re-sign as another did:key but keep the issuer: the key is not the issuer's.
	priv2, _, vm2, _ := did.GenerateKey()
	s2, _ := vc.NewSigner(priv2, vm2)
	var m map[string]any
	_ = json.Unmarshal(signed, &m)
	delete(m, "proof")
	b, _ := json.Marshal(m)
	other, err := proof.Sign(ctx, b, s2, proof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{Status: listStatus{"94567": false}, Now: func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }})
	r := v.VerifyCredential(ctx, other)
	if r.Verdict != vc.VerdictInvalid || !r.Has(vc.ReasonIssuer) {
		t.Fatalf("got %s %v", r.Verdict, r.Reasons)
	}
}

func TestDIDAuth(t *testing.T) {
	ctx := context.Background()
	priv, holder, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := vc.NewSigner(priv, vm)
	v, _ := verify.New(verify.Config{})
	for _, suite := range []string{proof.SuiteEddsaRdfc2022, proof.SuiteEddsaJcs2022, proof.SuiteEd25519Signature2020} {
		vp, err := issuer.Present(ctx, vc.Presentation{}, s, issuer.PresentOptions{Suite: suite, Challenge: "c-123", Domain: "example.edu"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.CheckPresentation(ctx, vp, verify.PresentationOptions{Challenge: "c-123", Domain: "example.edu"})
		if err != nil || res.Holder != holder {
			t.Fatalf("%s: %v %+v", suite, err, res)
		}
		if err := v.VerifyPresentation(ctx, vp, "other", ""); !errors.Is(err, vc.ErrProof) {
			t.Fatalf("%s: wrong challenge: %v", suite, err)
		}
		if err := v.VerifyPresentation(ctx, vp, "c-123", "evil.example"); !errors.Is(err, vc.ErrProof) {
			t.Fatalf("%s: wrong domain: %v", suite, err)
		}
		// Another holder claiming the signature.
		var m map[string]any
		_ = json.Unmarshal(vp, &m)
		_, other, _, _ := did.GenerateKey()
		m["holder"] = other
		b, _ := json.Marshal(m)
		if err := v.VerifyPresentation(ctx, b, "c-123", ""); !errors.Is(err, vc.ErrProof) {
			t.Fatalf("%s: foreign holder: %v", suite, err)
		}
	}
	// A credential-assertion proof is not an authentication.
	vp, _ := issuer.Present(ctx, vc.Presentation{}, s, issuer.PresentOptions{Purpose: proof.PurposeAssertion, Challenge: "c"})
	if err := v.VerifyPresentation(ctx, vp, "c", ""); !errors.Is(err, vc.ErrProof) {
		t.Fatalf("assertion purpose: %v", err)
	}
}
