package statusproof_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
)

func signer(t testing.TB) (*statusproof.Signer, string) {
	t.Helper()
	priv, issuer, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	s, err := statusproof.NewSigner(k, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return s, issuer
}

func listDoc(t testing.TB, issuer string, f status.Format) []byte {
	t.Helper()
	b, _ := status.NewBitstring(status.MinEntries, 1)
	_ = b.Set(42, 1)
	doc, err := status.ListCredential{
		URL: "https://creds.example.edu/status/abc", Issuer: issuer, Purpose: status.PurposeRevocation, Format: f,
		ValidFrom: time.Now(), ValidUntil: time.Now().Add(time.Hour), List: b,
	}.Document()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSignAndVerifyBothFormats(t *testing.T) {
	ctx := context.Background()
	s, issuer := signer(t)
	v := statusproof.Verifier{Resolver: did.NewResolver()}
	for f, suite := range map[status.Format]string{status.FormatBitstring: `"cryptosuite":"eddsa-rdfc-2022"`, status.FormatStatusList2021: `"type":"Ed25519Signature2020"`} {
		signed, err := s.SignList(ctx, listDoc(t, issuer, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(signed), suite) {
			t.Fatalf("%s: not signed with %s: %s", f, suite, signed)
		}
		got, err := v.VerifyProof(ctx, signed)
		if err != nil || len(got) != 1 || got[0] != issuer {
			t.Fatalf("%s: VerifyProof = %v, %v", f, got, err)
		}
		tampered := strings.Replace(string(signed), `"statusPurpose":"revocation"`, `"statusPurpose":"suspension"`, 1)
		if _, err := v.VerifyProof(ctx, []byte(tampered)); !errors.Is(err, vc.ErrProof) {
			t.Fatalf("%s: tampered list: %v", f, err)
		}
	}
	if _, err := s.SignList(ctx, listDoc(t, "did:key:z6MkOther", status.FormatBitstring)); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("foreign issuer signed: %v", err)
	}
	if _, err := (statusproof.Verifier{}).VerifyProof(ctx, nil); !errors.Is(err, vc.ErrInvalid) {
		t.Fatal("a Verifier without Resolver worked")
	}
}

func ExampleSigner() {
	priv, issuer, vm, _ := did.GenerateKey()
	key, _ := vc.NewSigner(priv, vm)
	s, _ := statusproof.NewSigner(key, statusproof.SignerConfig{})
	b, _ := status.NewBitstring(status.MinEntries, 1)
	doc, _ := status.ListCredential{
		URL: "https://creds.example.edu/status/abc", Issuer: issuer, Purpose: status.PurposeRevocation,
		Format: status.FormatBitstring, ValidFrom: time.Now(), List: b,
	}.Document()
	signed, _ := s.SignList(context.Background(), doc)
	signers, err := statusproof.Verifier{Resolver: did.NewResolver()}.VerifyProof(context.Background(), signed)
	fmt.Println(signers[0] == issuer, err)
	// Output: true <nil>
}
