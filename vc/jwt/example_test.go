package jwt_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/vctest"
)

func ExampleSign() {
	key := vctest.Key()
	issuer, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	c, _ := vc.Compose(vctest.Request(issuer, "did:example:holder", vc.V1))
	b, _ := json.Marshal(c)

	token, _ := jwt.Sign(context.Background(), b, s)
	t, _, err := jwt.Verify(context.Background(), token, did.NewResolver())
	fmt.Println(err, t.Subject, t.NotBefore.Format("2006-01-02"), t.Expires.Format("2006-01-02"))
	// Output: <nil> did:example:holder 2026-03-14 2031-03-14
}

// One Signer per key: the header is encoded once, and SignCredential
// encodes the composed credential straight into the claims.
func ExampleSigner_SignCredential() {
	key := vctest.Key()
	issuer, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	j, _ := jwt.NewSigner(s)
	c, _ := vc.Compose(vctest.Request(issuer, "did:example:holder", vc.V2))

	token, _ := j.SignCredential(context.Background(), c)
	t, _, err := jwt.Verify(context.Background(), token, did.NewResolver())
	fmt.Println(err, t.Subject, t.ID == c.ID)
	// Output: <nil> did:example:holder true
}

// AppendCredential writes the token after what dst holds: here a JSON
// string's opening quote, as the VC-JWT form of a credential in a JSON
// document.
func ExampleSigner_AppendCredential() {
	key := vctest.Key()
	issuer, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	s, _ := vc.NewSigner(key, vm)
	j, _ := jwt.NewSigner(s)
	c, _ := vc.Compose(vctest.Request(issuer, "did:example:holder", vc.V2))

	b, _ := j.AppendCredential(context.Background(), []byte(`{"jwt":"`), c)
	b = append(b, `"}`...)
	var doc struct{ JWT string }
	_ = json.Unmarshal(b, &doc)
	t, _, err := jwt.Verify(context.Background(), doc.JWT, did.NewResolver())
	fmt.Println(err, t.Subject)
	// Output: <nil> did:example:holder
}
