package vcapi_test

import (
	"errors"
	"testing"

	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/vcapi"
)

func TestParseMessage(t *testing.T) {
	for _, in := range []string{"", "  ", "{}", `{"redirectUrl":"x"}`} {
		m, err := vcapi.ParseMessage([]byte(in))
		if err != nil || m.VerifiablePresentation != nil {
			t.Errorf("%q: %+v %v", in, m, err)
		}
	}
	m, err := vcapi.ParseMessage([]byte(`{"verifiablePresentation":{"type":"VerifiablePresentation"}}`))
	if err != nil || string(m.VerifiablePresentation) != `{"type":"VerifiablePresentation"}` {
		t.Fatalf("%+v %v", m, err)
	}
	for _, in := range []string{`null`, `[]`, `{"verifiablePresentation":"x"}`, `{"verifiablePresentation":[]}`, `{`, `{} {}`} {
		if _, err := vcapi.ParseMessage([]byte(in)); !errors.Is(err, wallet.ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", in, err)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"verifiablePresentation":{"holder":"did:key:z","proof":{}}}`))
	f.Add([]byte(`{"verifiablePresentation":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := vcapi.ParseMessage(b)
		if err != nil {
			if !errors.Is(err, wallet.ErrMalformed) {
				t.Fatalf("want ErrMalformed, got %v", err)
			}
			return
		}
		if m.VerifiablePresentation != nil && m.VerifiablePresentation[0] != '{' {
			t.Fatalf("accepted a non-object presentation %q", m.VerifiablePresentation)
		}
	})
}
