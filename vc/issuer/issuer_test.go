package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
)

func TestIssuerRefuses(t *testing.T) {
	ctx := context.Background()
	if _, err := issuer.New(issuer.Config{}); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("no signer: %v", err)
	}
	key, d, vm, _ := did.GenerateKey()
	s, _ := vc.NewSigner(key, vm)
	if _, err := issuer.New(issuer.Config{Signer: s, SuiteV2: "RsaSignature2018"}); !errors.Is(err, vc.ErrUnsupported) {
		t.Fatalf("bad suite: %v", err)
	}
	is, _ := issuer.New(issuer.Config{Signer: s})
	if is.IssuerID() != d {
		t.Fatalf("issuer id %s", is.IssuerID())
	}
	other, _ := vc.Compose(vctest.Request("did:web:someone.else", "did:example:h", vc.V2))
	if _, err := is.Issue(ctx, other, vc.FormatLDP); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("another issuer's credential: %v", err)
	}
	c, _ := vc.Compose(vctest.Request(d, "did:example:h", vc.V2))
	if _, err := is.Issue(ctx, c, "mso_mdoc"); !errors.Is(err, vc.ErrUnsupported) {
		t.Fatalf("unknown format: %v", err)
	}
	signed, err := is.Issue(ctx, c, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	var again vc.Credential
	_ = json.Unmarshal(signed, &again)
	if _, err := is.Issue(ctx, &again, vc.FormatLDP); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("already signed: %v", err)
	}
	if _, err := issuer.Present(ctx, vc.Presentation{Holder: "did:example:other"}, s, issuer.PresentOptions{Challenge: "x"}); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("presenting for another holder: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := is.Issue(cctx, c, vc.FormatJWT); err == nil {
		t.Fatal("signed with a cancelled context")
	}
}
