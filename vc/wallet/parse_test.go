package wallet_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credshare/credshare/vc/wallet"
)

const goodVP = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],
"holder":"did:key:z6MkA","proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022",
"proofPurpose":"authentication","verificationMethod":"did:key:z6MkA#z6MkA","challenge":"c1","domain":"https://x.example","proofValue":"z1"}}`

func TestParsePresentationAndCheckDIDAuth(t *testing.T) {
	p, err := wallet.ParsePresentation([]byte(goodVP))
	if err != nil {
		t.Fatal(err)
	}
	if p.Holder != "did:key:z6MkA" || len(p.Proofs) != 1 || p.Proofs[0].Domains[0] != "https://x.example" {
		t.Fatalf("parsed %+v", p)
	}
	if err := wallet.CheckDIDAuth(p, "c1", "https://x.example"); err != nil {
		t.Fatalf("honest presentation refused: %v", err)
	}
	cases := []struct {
		name              string
		mutate            func(*wallet.Presentation)
		challenge, domain string
		want              error
	}{
		{"wrong challenge", nil, "c2", "", wallet.ErrChallenge},
		{"wrong domain", nil, "c1", "https://evil.example", wallet.ErrChallenge},
		{"purpose", func(p *wallet.Presentation) { p.Proofs[0].ProofPurpose = "assertionMethod" }, "c1", "", wallet.ErrProof},
		{"other key", func(p *wallet.Presentation) { p.Proofs[0].VerificationMethod = "did:key:z6MkB#z6MkB" }, "c1", "", wallet.ErrProof},
		{"no challenge", func(p *wallet.Presentation) { p.Proofs[0].Challenge = "" }, "c1", "", wallet.ErrChallenge},
		{"holder not a DID", func(p *wallet.Presentation) { p.Holder = "alice" }, "c1", "", wallet.ErrProof},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, _ := wallet.ParsePresentation([]byte(goodVP))
			if c.mutate != nil {
				c.mutate(&q)
			}
			err := wallet.CheckDIDAuth(q, c.challenge, c.domain)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status/100 != 4 || we.Reason == "" {
				t.Fatalf("want a 4xx with a reason, got %#v", err)
			}
		})
	}
}

func TestParsePresentationMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `{"type":`,
		"array":         `[1,2]`,
		"no type":       `{"holder":"did:key:z","proof":{}}`,
		"no holder":     `{"type":"VerifiablePresentation","proof":{}}`,
		"proof string":  `{"type":"VerifiablePresentation","holder":"did:key:z","proof":"x"}`,
		"trailing":      `{"type":"VerifiablePresentation","holder":"did:key:z","proof":{}} {}`,
		"domain object": `{"type":"VerifiablePresentation","holder":"did:key:z","proof":{"domain":{}}}`,
	} {
		if _, err := wallet.ParsePresentation([]byte(in)); !errors.Is(err, wallet.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := wallet.ParsePresentation([]byte(`{"type":"VerifiablePresentation","holder":"did:key:z"}`)); !errors.Is(err, wallet.ErrProof) {
		t.Errorf("no proof: got %v, want ErrProof", err)
	}
}

func TestReadBodyLimitAndDecode(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("a", 100)))
	if _, err := wallet.ReadBody(httptest.NewRecorder(), r, 10); !errors.Is(err, wallet.ErrTooLarge) {
		t.Fatalf("declared length over limit: %v", err)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("a", 100)))
	r.ContentLength = -1
	if _, err := wallet.ReadBody(httptest.NewRecorder(), r, 10); !errors.Is(err, wallet.ErrTooLarge) {
		t.Fatalf("chunked body over limit: %v", err)
	}
	var v map[string]any
	if err := wallet.DecodeJSON([]byte(" "), &v); !errors.Is(err, wallet.ErrMalformed) {
		t.Fatalf("empty body: %v", err)
	}
	w := httptest.NewRecorder()
	wallet.WriteError(w, wallet.Fail(wallet.ErrExpired, "gone"))
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), `"error":"expired"`) {
		t.Fatalf("WriteError: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	wallet.WriteError(w, errors.New("db password is hunter2"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("internal error leaked: %s", w.Body)
	}
}

func TestTokens(t *testing.T) {
	a, b := wallet.NewToken(), wallet.NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if !wallet.EqualToken(a, a) || wallet.EqualToken(a, b) {
		t.Fatal("EqualToken")
	}
	if wallet.HashToken(a) == a || len(wallet.HashToken(a)) != 64 {
		t.Fatal("HashToken")
	}
}

func FuzzParsePresentation(f *testing.F) {
	f.Add([]byte(goodVP))
	f.Add([]byte(`{"type":"VerifiablePresentation","holder":{"id":"did:key:z"},"proof":[{"proofPurpose":"authentication","domain":["a","b"]}],"verifiableCredential":[{}]}`))
	f.Add([]byte(`{"type":["VerifiablePresentation"],"holder":null,"proof":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := wallet.ParsePresentation(b)
		if err != nil {
			var we *wallet.Error
			if !errors.As(err, &we) || we.Status/100 != 4 {
				t.Fatalf("parser error is not a 4xx *Error: %v", err)
			}
			return
		}
		if p.Holder == "" || len(p.Proofs) == 0 || len(p.Proofs) > wallet.MaxProofs {
			t.Fatalf("accepted %+v", p)
		}
		_ = wallet.CheckDIDAuth(p, "c", "d")
	})
}

func FuzzParseInitRequest(f *testing.F) {
	f.Add([]byte(`{"credential_uuid":"6f1c3a52-8a43-4d36-9f43-3c1a1d1b2f10","storage_id":"lcw"}`))
	f.Add([]byte(`{"credential_uuid":"x","storage_id":""}`))
	f.Add([]byte(`{"credential_uuid":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, id, err := wallet.ParseInitRequest(b)
		if err != nil {
			if !errors.Is(err, wallet.ErrMalformed) {
				t.Fatalf("want ErrMalformed, got %v", err)
			}
			return
		}
		if req.StorageID == "" || id.String() == "00000000-0000-0000-0000-000000000000" {
			t.Fatalf("accepted %+v", req)
		}
	})
}
