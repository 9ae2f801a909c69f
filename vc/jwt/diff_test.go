package jwt_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/jwt"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/go-jose/go-jose/v4"
)

// ref is how the package read a token's claims before Parse was written
// by hand (go-jose's parser, the payload decoded into a map, the vc claim
// completed in the map and encoded again): the reference the hand-written
// parser is compared with.
type ref struct {
	iss, sub, jti  string
	nbf, exp, iat  time.Time
	credential     any // the credential, decoded
	credentialJOSE bool
}

func refClaims(payload []byte) (*ref, error) {
	// The one intended difference: vc.DecodeJSON lets a stray '}' or ']'
	// after the document through (json.Decoder.More is false there);
	// Parse refuses it.
	if !json.Valid(payload) {
		return nil, errors.New("not JSON")
	}
	var claims map[string]any
	if err := vc.DecodeJSON(payload, &claims); err != nil {
		return nil, err
	}
	r := &ref{}
	r.iss, _ = claims["iss"].(string)
	r.sub, _ = claims["sub"].(string)
	r.jti, _ = claims["jti"].(string)
	for k, dst := range map[string]*time.Time{"nbf": &r.nbf, "exp": &r.exp, "iat": &r.iat} {
		if v, ok := claims[k]; ok {
			n, ok := v.(json.Number)
			if !ok {
				return nil, errors.New("not a number")
			}
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
				return nil, errors.New("out of range")
			}
			sec, frac := math.Modf(f)
			*dst = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
	}
	cred, ok := claims["vc"].(map[string]any)
	if !ok {
		if _, isCred := claims["credentialSubject"]; !isCred {
			return nil, errors.New("no vc claim")
		}
		if iss, ok := claims["issuer"]; ok && r.iss == "" {
			switch x := iss.(type) {
			case string:
				r.iss = x
			case map[string]any:
				r.iss, _ = x["id"].(string)
			}
		}
		r.credential, r.credentialJOSE = claims, true
		return r, nil
	}
	if _, ok := cred["issuer"]; !ok && r.iss != "" {
		cred["issuer"] = r.iss
	}
	if _, ok := cred["id"]; !ok && r.jti != "" {
		cred["id"] = r.jti
	}
	v1 := false
	if ctxs, ok := cred["@context"].([]any); ok && len(ctxs) > 0 {
		v1 = ctxs[0] == vc.ContextV1
	}
	from, until := "validFrom", "validUntil"
	if v1 {
		from, until = "issuanceDate", "expirationDate"
	}
	if _, ok := cred[from]; !ok && !r.nbf.IsZero() {
		cred[from] = r.nbf.UTC().Format(time.RFC3339)
	}
	if _, ok := cred[until]; !ok && !r.exp.IsZero() {
		cred[until] = r.exp.UTC().Format(time.RFC3339)
	}
	if s, ok := cred["credentialSubject"].(map[string]any); ok && r.sub != "" {
		if _, has := s["id"]; !has {
			s["id"] = r.sub
		}
	}
	r.credential = cred
	return r, nil
}

// decoded is b decoded with numbers kept as written, for comparing JSON by
// meaning.
func decoded(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := vc.DecodeJSON(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// agree fails t unless jwt.Parse and the reference read payload alike.
func agree(t testing.TB, got *jwt.Token, gotErr error, payload []byte) {
	t.Helper()
	want, wantErr := refClaims(payload)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("Parse: %v, reference: %v, payload %q", gotErr, wantErr, payload)
	}
	if gotErr != nil {
		return
	}
	if got.Issuer != want.iss || got.Subject != want.sub || got.ID != want.jti ||
		!got.NotBefore.Equal(want.nbf) || !got.Expires.Equal(want.exp) || !got.IssuedAt.Equal(want.iat) {
		t.Fatalf("claims differ: %+v, reference %+v", got, want)
	}
	// The reference's credential went through a map[string]any (numbers
	// as json.Number); compare the same way.
	wb, err := json.Marshal(want.credential)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := decoded(t, got.Credential), decoded(t, wb); !reflect.DeepEqual(g, w) {
		t.Fatalf("credential differs:\n%s\nreference\n%s", got.Credential, wb)
	}
}

func joseSign(t testing.TB, key ed25519.PrivateKey, payload []byte, headers map[jose.HeaderKey]any) string {
	t.Helper()
	o := &jose.SignerOptions{}
	for k, v := range headers {
		o.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, o)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Tokens from the hand-written signer verify with go-jose, header and
// claims as go-jose's signer wrote them; tokens go-jose signs verify with
// jwt.Verify and read as the reference reads them; a changed byte fails
// both.
func TestGoJoseAgrees(t *testing.T) {
	ctx := context.Background()
	key, iss, vm := setup(t)
	pub := key.Public().(ed25519.PublicKey)
	s, _ := vc.NewSigner(key, vm)
	j, _ := jwt.NewSigner(s)
	r := did.NewResolver()

	var ours []string
	for _, v := range []vc.Version{vc.V1, vc.V2} {
		c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", v))
		tok, err := j.SignCredential(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c)
		tok2, err := j.Sign(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		ours = append(ours, tok, tok2)
	}
	for _, tok := range ours {
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		h := jws.Signatures[0].Protected
		if h.KeyID != vm || h.Algorithm != "EdDSA" || h.ExtraHeaders[jose.HeaderType] != "JWT" {
			t.Fatalf("header %+v", h)
		}
		payload, err := jws.Verify(pub)
		if err != nil {
			t.Fatalf("go-jose refuses our token: %v", err)
		}
		got, err := jwt.Parse(tok)
		agree(t, got, err, payload)
		// The header go-jose's own signer writes for the same key.
		want := joseSign(t, key, payload, map[jose.HeaderKey]any{"kid": vm, jose.HeaderType: "JWT"})
		if ourHead, joseHead, _ := strings.Cut(tok, "."); strings.Split(want, ".")[0] != ourHead {
			t.Fatalf("header %s, go-jose writes %s (%s)", ourHead, strings.Split(want, ".")[0], joseHead)
		}
	}

	cred := `{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"credentialSubject":{"name":"x"}}`
	cred2 := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":{"id":"` + iss + `","name":"U"},"credentialSubject":{"id":"did:example:h"},"validFrom":"2024-01-01T00:00:00Z"}`
	for name, tc := range map[string]struct {
		payload string
		headers map[jose.HeaderKey]any
	}{
		"DIDKit float nbf, dates and ids from the claims": {`{"iss":"` + iss + `","sub":"did:example:h","jti":"urn:uuid:1","nbf":1704067200.0,"exp":4102444800.5,"iat":1704067200,"vc":` + cred + `}`,
			map[jose.HeaderKey]any{"kid": vm}},
		"typ JWT, spaces and escapes": {"{ \"iss\" : \"" + iss + "\", \"\\u0073ub\":\"did:example:h\",\n\"nbf\":1704067200, \"vc\" : " + cred + " }",
			map[jose.HeaderKey]any{"kid": vm, jose.HeaderType: "JWT", "cty": "vc"}},
		"relative kid": {`{"iss":"` + iss + `","nbf":1704067200,"vc":` + cred + `}`, map[jose.HeaderKey]any{"kid": "#" + strings.SplitN(vm, "#", 2)[1]}},
		"VC-JOSE":      {cred2, map[jose.HeaderKey]any{"kid": vm, jose.HeaderType: "vc+jwt"}},
	} {
		t.Run(name, func(t *testing.T) {
			tok := joseSign(t, key, []byte(tc.payload), tc.headers)
			got, m, err := jwt.Verify(ctx, tok, r)
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != vm {
				t.Fatalf("method %s", m.ID)
			}
			agree(t, got, nil, []byte(tc.payload))
			if _, err := vc.ParseCredential(got.Credential); err != nil {
				t.Fatal(err)
			}
		})
	}

	// One changed character in the header, payload or signature.
	tok := ours[0]
	for _, at := range []int{5, strings.Index(tok, ".") + 10, len(tok) - 10} {
		b := []byte(tok)
		if b[at] == 'A' {
			b[at] = 'B'
		} else {
			b[at] = 'A'
		}
		bad := string(b)
		if _, _, err := jwt.Verify(ctx, bad, r); err == nil {
			t.Errorf("changed at %d: jwt.Verify accepts", at)
		}
		if jws, err := jose.ParseSignedCompact(bad, []jose.SignatureAlgorithm{jose.EdDSA}); err == nil {
			if _, err := jws.Verify(pub); err == nil {
				t.Errorf("changed at %d: go-jose accepts", at)
			}
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseRefusesHeaders(t *testing.T) {
	ctx := context.Background()
	key, iss, vm := setup(t)
	payload := `{"iss":"` + iss + `","vc":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{}}}`
	signed := func(header string) string {
		in := b64(header) + "." + b64(payload)
		return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in)))
	}
	if _, _, err := jwt.Verify(ctx, signed(`{"alg":"EdDSA","kid":"`+vm+`"}`), did.NewResolver()); err != nil {
		t.Fatalf("the control token: %v", err)
	}
	for name, tc := range map[string]struct {
		tok  string
		kind error
	}{
		"alg HS256":       {signed(`{"alg":"HS256","kid":"` + vm + `"}`), vc.ErrMalformed},
		"alg eddsa":       {signed(`{"alg":"eddsa","kid":"` + vm + `"}`), vc.ErrMalformed},
		"no alg":          {signed(`{"kid":"` + vm + `"}`), vc.ErrMalformed},
		"ALG":             {signed(`{"ALG":"EdDSA","kid":"` + vm + `"}`), vc.ErrMalformed},
		"crit":            {signed(`{"alg":"EdDSA","kid":"` + vm + `","crit":["exp"],"exp":1}`), vc.ErrUnsupported},
		"b64 false":       {signed(`{"alg":"EdDSA","kid":"` + vm + `","b64":false,"crit":["b64"]}`), vc.ErrUnsupported},
		"numeric kid":     {signed(`{"alg":"EdDSA","kid":7}`), vc.ErrMalformed},
		"header not JSON": {signed(`{"alg":"EdDSA"`), vc.ErrMalformed},
		"no kid":          {signed(`{"alg":"EdDSA"}`), vc.ErrProof},
		"payload array":   {b64(`{"alg":"EdDSA"}`) + "." + b64(`[1]`) + ".AAAA", vc.ErrMalformed},
		"trailing data":   {b64(`{"alg":"EdDSA"}`) + "." + b64(`{"vc":{}} {}`) + ".AAAA", vc.ErrMalformed},
		"nbf string":      {b64(`{"alg":"EdDSA"}`) + "." + b64(`{"nbf":"1","vc":{}}`) + ".AAAA", vc.ErrMalformed},
		"deep":            {b64(`{"alg":"EdDSA"}`) + "." + b64(`{"vc":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`) + ".AAAA", vc.ErrTooDeep},
		"signature b64":   {b64(`{"alg":"EdDSA"}`) + "." + b64(payload) + ".!!", vc.ErrMalformed},
		"short signature": {b64(`{"alg":"EdDSA","kid":"`+vm+`"}`) + "." + b64(payload) + ".AAAA", vc.ErrProof},
		"padded payload":  {b64(`{"alg":"EdDSA"}`) + "." + base64.URLEncoding.EncodeToString([]byte(payload+"  ")) + ".AAAA", vc.ErrMalformed},
	} {
		if _, _, err := jwt.Verify(ctx, tc.tok, did.NewResolver()); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", name, err, tc.kind)
		}
	}
}

func TestSignCredentialLeavesProofOut(t *testing.T) {
	ctx := context.Background()
	key, iss, vm := setup(t)
	s, _ := vc.NewSigner(key, vm)
	j, _ := jwt.NewSigner(s)
	c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", vc.V2))
	c.Proof = vc.Proofs{json.RawMessage(`{"type":"DataIntegrityProof"}`)}
	b, _ := json.Marshal(c)
	for _, sign := range []func() (string, error){
		func() (string, error) { return j.SignCredential(ctx, c) },
		func() (string, error) { return j.Sign(ctx, b) },
	} {
		tok, err := sign()
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := jwt.Verify(ctx, tok, did.NewResolver())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got.Credential), "DataIntegrityProof") {
			t.Fatalf("proof kept: %s", got.Credential)
		}
	}
	if len(c.Proof) != 1 {
		t.Fatal("SignCredential changed its argument")
	}
	c.Proof = nil
	c.Extra = vc.Extra{"note": json.RawMessage(`{not json`)}
	if _, err := j.SignCredential(ctx, c); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("a member that is not JSON: %v", err)
	}
	if _, err := jwt.NewSigner(nil); !errors.Is(err, vc.ErrInvalid) {
		t.Fatalf("nil signer: %v", err)
	}
}

// FuzzClaims signs any payload with go-jose and checks that Parse reads it
// as the reference (the former go-jose and map based reader) does.
func FuzzClaims(f *testing.F) {
	key, iss, vm := setup(f)
	s, _ := vc.NewSigner(key, vm)
	c, _ := vc.Compose(vctest.Request(iss, "did:example:holder", vc.V1))
	b, _ := json.Marshal(c)
	tok, _ := jwt.Sign(context.Background(), b, s)
	p, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	f.Add(p)
	f.Add([]byte(`{"iss":"did:x","sub":"s","jti":"j","nbf":1704067200.0,"exp":4102444800.5,"vc":{"@context":["https://www.w3.org/2018/credentials/v1"],"credentialSubject":{}}}`))
	f.Add([]byte(`{"credentialSubject":null,"issuer":{"id":"did:x","ID":"did:y"},"\u0069ssuer":1}`))
	f.Add([]byte(`{"vc":{"Issuer":"a","issuer":"b","iD":"c"},"iss":"b","vc":{"x":[{"a":"\"}"}]}}`))
	f.Add([]byte(`{"vc":5,"credentialSubject":{},"nbf":-0,"iat":1e3}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 4096 {
			return
		}
		tok := joseSign(t, key, payload, map[jose.HeaderKey]any{"kid": vm})
		got, err := jwt.Parse(tok)
		agree(t, got, err, payload)
	})
}
