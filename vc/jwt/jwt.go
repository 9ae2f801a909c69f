package jwt

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/go-jose/go-jose/v4"
)

// MaxTokenSize bounds a VC-JWT (compact serialisation) in bytes.
const MaxTokenSize = 512 << 10

// opaque adapts a vc.Signer to go-jose's OpaqueSigner.
type opaque struct {
	ctx context.Context
	s   vc.Signer
}

func (o opaque) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: o.s.PublicKey(), KeyID: o.s.VerificationMethod(), Algorithm: string(jose.EdDSA)}
}
func (o opaque) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.EdDSA} }
func (o opaque) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.EdDSA {
		return nil, vc.Errorf(vc.ErrUnsupported, "jwt: algorithm %s", alg)
	}
	return o.s.Sign(o.ctx, payload)
}

// Sign returns the VC-JWT (compact JWS, alg EdDSA, kid the verification
// method) of the unsigned credential cred (JSON, without proof): the
// registered claims iss, sub, jti, nbf and exp are taken from the
// credential, which goes whole into the "vc" claim, as VC Data Model 1.1
// §6.3.1 and OID4VCI's jwt_vc_json describe.
func Sign(ctx context.Context, cred []byte, s vc.Signer) (string, error) {
	if s == nil {
		return "", vc.Errorf(vc.ErrInvalid, "jwt: no signer")
	}
	c, err := vc.ParseCredential(cred)
	if err != nil {
		return "", err
	}
	var raw map[string]any
	if err := vc.DecodeJSON(cred, &raw); err != nil {
		return "", err
	}
	delete(raw, "proof")
	claims := map[string]any{"iss": c.Issuer.ID, "vc": raw}
	if c.ID != "" {
		claims["jti"] = c.ID
	}
	if len(c.CredentialSubject) == 1 && c.CredentialSubject[0].ID != "" {
		claims["sub"] = c.CredentialSubject[0].ID
	}
	from, until := c.Validity()
	if !from.IsZero() {
		claims["nbf"] = from.Unix()
	}
	if !until.IsZero() {
		claims["exp"] = until.Unix()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), s.VerificationMethod())
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: opaque{ctx: ctx, s: s}}, opts)
	if err != nil {
		return "", vc.Wrap(vc.ErrInvalid, err, "jwt: signer")
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", vc.Wrap(vc.ErrInvalid, err, "jwt: signing")
	}
	return jws.CompactSerialize()
}

// Token is a parsed VC-JWT.
type Token struct {
	// Kid is the header's key id (a verification method).
	Kid string
	// Typ is the header's type.
	Typ string
	// Issuer, Subject and ID are iss, sub and jti.
	Issuer, Subject, ID string
	// NotBefore, Expires and IssuedAt are nbf, exp and iat (zero when
	// absent). Fractional seconds, as DIDKit writes them, are accepted.
	NotBefore, Expires, IssuedAt time.Time
	// Credential is the credential as JSON: the "vc" claim with the
	// registered claims filled in where it lacks them, or, for a VC-JOSE
	// token (typ vc+jwt), the payload itself.
	Credential []byte

	jws *jose.JSONWebSignature
}

// Parse decodes a VC-JWT without checking its signature. Errors match
// vc.ErrMalformed, vc.ErrTooLarge, vc.ErrTooDeep or vc.ErrUnsupported.
func Parse(token string) (*Token, error) {
	token = strings.TrimSpace(token)
	if len(token) > MaxTokenSize {
		return nil, vc.Errorf(vc.ErrTooLarge, "jwt: token of %d bytes is over %d", len(token), MaxTokenSize)
	}
	if strings.Count(token, ".") != 2 {
		return nil, vc.Errorf(vc.ErrMalformed, "jwt: not a compact JWS")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: parsing")
	}
	if len(jws.Signatures) != 1 {
		return nil, vc.Errorf(vc.ErrMalformed, "jwt: %d signatures", len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	t := &Token{Kid: h.KeyID, jws: jws}
	if typ, ok := h.ExtraHeaders[jose.HeaderType].(string); ok {
		t.Typ = typ
	}
	payload := jws.UnsafePayloadWithoutVerification()
	var claims map[string]any
	if err := vc.DecodeJSON(payload, &claims); err != nil {
		return nil, err
	}
	t.Issuer, _ = claims["iss"].(string)
	t.Subject, _ = claims["sub"].(string)
	t.ID, _ = claims["jti"].(string)
	for k, dst := range map[string]*time.Time{"nbf": &t.NotBefore, "exp": &t.Expires, "iat": &t.IssuedAt} {
		if v, ok := claims[k]; ok {
			tm, err := numericDate(v)
			if err != nil {
				return nil, vc.Errorf(vc.ErrMalformed, "jwt: %s: %v", k, err)
			}
			*dst = tm
		}
	}
	cred, ok := claims["vc"].(map[string]any)
	if !ok {
		if _, isCred := claims["credentialSubject"]; isCred {
			t.Credential = payload
			if iss, ok := claims["issuer"]; ok && t.Issuer == "" {
				switch x := iss.(type) {
				case string:
					t.Issuer = x
				case map[string]any:
					t.Issuer, _ = x["id"].(string)
				}
			}
			return t, nil
		}
		return nil, vc.Errorf(vc.ErrMalformed, `jwt: no "vc" claim`)
	}
	fillFromClaims(cred, t)
	t.Credential, err = json.Marshal(cred)
	if err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: credential")
	}
	return t, nil
}

// fillFromClaims puts the registered claims into the credential where it
// lacks them (VC 1.1 §6.3.1 decoding).
func fillFromClaims(cred map[string]any, t *Token) {
	if _, ok := cred["issuer"]; !ok && t.Issuer != "" {
		cred["issuer"] = t.Issuer
	}
	if _, ok := cred["id"]; !ok && t.ID != "" {
		cred["id"] = t.ID
	}
	v1 := false
	if ctxs, ok := cred["@context"].([]any); ok && len(ctxs) > 0 {
		v1 = ctxs[0] == vc.ContextV1
	}
	from, until := "validFrom", "validUntil"
	if v1 {
		from, until = "issuanceDate", "expirationDate"
	}
	if _, ok := cred[from]; !ok && !t.NotBefore.IsZero() {
		cred[from] = t.NotBefore.UTC().Format(time.RFC3339)
	}
	if _, ok := cred[until]; !ok && !t.Expires.IsZero() {
		cred[until] = t.Expires.UTC().Format(time.RFC3339)
	}
	if s, ok := cred["credentialSubject"].(map[string]any); ok && t.Subject != "" {
		if _, has := s["id"]; !has {
			s["id"] = t.Subject
		}
	}
}

func numericDate(v any) (time.Time, error) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return time.Time{}, err
		}
	case float64:
		f = x
	default:
		return time.Time{}, vc.Errorf(vc.ErrMalformed, "not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, vc.Errorf(vc.ErrMalformed, "out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// Verify parses token and checks its signature with the key its kid names
// (resolved through r), that the kid belongs to the issuer, and that the
// credential inside agrees with the registered claims. It does not check
// times or status (vc/verify does). Errors match vc.ErrProof,
// vc.ErrResolve, vc.ErrMalformed or vc.ErrUnsupported.
func Verify(ctx context.Context, token string, r vc.Resolver) (*Token, vc.VerificationMethod, error) {
	t, err := Parse(token)
	if err != nil {
		return nil, vc.VerificationMethod{}, err
	}
	if t.Kid == "" {
		return t, vc.VerificationMethod{}, vc.Errorf(vc.ErrProof, "jwt: no kid in the header")
	}
	kid := t.Kid
	if strings.HasPrefix(kid, "#") {
		kid = t.Issuer + kid
	}
	vm, err := r.ResolveVerificationMethod(ctx, kid)
	if err != nil {
		return t, vm, err
	}
	if t.Issuer == "" || vc.DIDOf(kid) != t.Issuer {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: key %s does not belong to the issuer %q", kid, t.Issuer)
	}
	if !vm.Allows("assertionMethod") {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: %s is not an assertion method of the issuer", kid)
	}
	payload, err := t.jws.Verify(vm.PublicKey)
	if err != nil {
		return t, vm, vc.Wrap(vc.ErrProof, err, "jwt: signature")
	}
	if !bytes.Equal(payload, t.jws.UnsafePayloadWithoutVerification()) {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: payload mismatch")
	}
	var c struct {
		Issuer vc.Profile `json:"issuer"`
		ID     string     `json:"id"`
	}
	if err := json.Unmarshal(t.Credential, &c); err != nil {
		return t, vm, vc.Wrap(vc.ErrMalformed, err, "jwt: credential")
	}
	if c.Issuer.ID != t.Issuer {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: iss %q differs from the credential's issuer %q", t.Issuer, c.Issuer.ID)
	}
	if t.ID != "" && c.ID != "" && c.ID != t.ID {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: jti differs from the credential's id")
	}
	return t, vm, nil
}
