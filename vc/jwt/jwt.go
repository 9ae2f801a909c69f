package jwt

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/credshare/credshare/vc"
)

// MaxTokenSize bounds a VC-JWT (compact serialisation) in bytes.
const MaxTokenSize = 512 << 10

// alg is the one algorithm signed and accepted.
const alg = "EdDSA"

var b64 = base64.RawURLEncoding

// Signer makes VC-JWTs with one key. It encodes the protected header
// ({"alg":"EdDSA","kid":…,"typ":"JWT"}) once, so a token costs the
// credential's encoding, one base64 pass and the signature. It is safe for
// concurrent use.
type Signer struct {
	s    vc.Signer
	head []byte // base64url(protected header) + "."
}

// NewSigner returns a Signer over s; the header's kid is s's verification
// method.
func NewSigner(s vc.Signer) (*Signer, error) {
	if s == nil {
		return nil, vc.Errorf(vc.ErrInvalid, "jwt: no signer")
	}
	kid, err := json.Marshal(s.VerificationMethod())
	if err != nil {
		return nil, vc.Wrap(vc.ErrInvalid, err, "jwt: kid")
	}
	h := make([]byte, 0, 40+len(kid))
	h = append(h, `{"alg":"`+alg+`","kid":`...)
	h = append(h, kid...)
	h = append(h, `,"typ":"JWT"}`...)
	head := b64.AppendEncode(make([]byte, 0, b64.EncodedLen(len(h))+1), h)
	return &Signer{s: s, head: append(head, '.')}, nil
}

// Sign returns the VC-JWT (compact JWS, alg EdDSA, kid the verification
// method) of the unsigned credential cred (JSON, without proof): the
// registered claims iss, sub, jti, nbf and exp are taken from the
// credential, which goes whole into the "vc" claim, as VC Data Model 1.1
// §6.3.1 and OID4VCI's jwt_vc_json describe.
func Sign(ctx context.Context, cred []byte, s vc.Signer) (string, error) {
	j, err := NewSigner(s)
	if err != nil {
		return "", err
	}
	return j.Sign(ctx, cred)
}

// Sign is the package's Sign with this signer's key.
func (j *Signer) Sign(ctx context.Context, cred []byte) (string, error) {
	c, err := vc.ParseCredential(cred)
	if err != nil {
		return "", err
	}
	buf := getBuf()
	defer putBuf(buf)
	if len(c.Proof) == 0 && !bytes.Contains(cred, []byte(`"proof"`)) {
		// The common case: the credential's own bytes, compacted, are the
		// vc claim.
		appendClaims(buf, c)
		if err := json.Compact(buf, cred); err != nil {
			return "", vc.Wrap(vc.ErrMalformed, err, "jwt: credential")
		}
	} else {
		var raw map[string]any
		if err := vc.DecodeJSON(cred, &raw); err != nil {
			return "", err
		}
		delete(raw, "proof")
		b, err := json.Marshal(raw)
		if err != nil {
			return "", vc.Wrap(vc.ErrInvalid, err, "jwt: credential")
		}
		appendClaims(buf, c)
		buf.Write(b)
	}
	buf.WriteByte('}')
	return j.sign(ctx, buf.Bytes())
}

// SignCredential is Sign for a composed credential; any proof on c is left
// out. It encodes c once, into the token's claims.
func (j *Signer) SignCredential(ctx context.Context, c *vc.Credential) (string, error) {
	if c == nil {
		return "", vc.Errorf(vc.ErrInvalid, "jwt: nil credential")
	}
	if err := c.Validate(); err != nil {
		return "", err
	}
	if _, ok := c.Extra["proof"]; ok || len(c.Proof) > 0 {
		cc := *c
		cc.Proof = nil
		if ok {
			cc.Extra = make(vc.Extra, len(c.Extra))
			for k, v := range c.Extra {
				if k != "proof" {
					cc.Extra[k] = v
				}
			}
		}
		c = &cc
	}
	// c.MarshalJSON's output is encoding/json's (compact and valid)
	// except for c's own Extra members, which it copies raw: those are
	// checked here, so the whole need not be scanned again (json.Compact
	// over it was a sixth of the signing time).
	for k, v := range c.Extra {
		if !json.Valid(v) {
			return "", vc.Errorf(vc.ErrInvalid, "jwt: the credential's member %q is not JSON", k)
		}
	}
	b, err := c.MarshalJSON()
	if err != nil {
		return "", vc.Wrap(vc.ErrInvalid, err, "jwt: encoding the credential")
	}
	buf := getBuf()
	defer putBuf(buf)
	appendClaims(buf, c)
	buf.Write(b)
	buf.WriteByte('}')
	return j.sign(ctx, buf.Bytes())
}

// sign base64-encodes payload after the precomputed header, signs that
// signing input and appends the signature, all in one buffer of the
// token's final size.
//
// Measured (BenchmarkSign/VC-JWT, -cpu 1): go-jose's Signer marshalled the
// header for every token, base64-encoded header and payload into separate
// strings and joined them again; with the credential decoded into a map
// and re-marshalled this cost ~6 times the Ed25519 signature. Here the
// only allocation is the token.
func (j *Signer) sign(ctx context.Context, payload []byte) (string, error) {
	n := len(j.head) + b64.EncodedLen(len(payload))
	tok := make([]byte, 0, n+1+b64.EncodedLen(ed25519.SignatureSize))
	tok = append(tok, j.head...)
	tok = b64.AppendEncode(tok, payload)
	sig, err := j.s.Sign(ctx, tok)
	if err != nil {
		return "", vc.Wrap(vc.ErrInvalid, err, "jwt: signing")
	}
	if len(sig) != ed25519.SignatureSize {
		return "", vc.Errorf(vc.ErrInvalid, "jwt: the signer returned %d bytes, not an Ed25519 signature", len(sig))
	}
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, sig)
	// tok is never written again: hand its bytes to the string.
	return unsafe.String(unsafe.SliceData(tok), len(tok)), nil
}

// appendClaims writes the payload's registered claims, in the sorted order
// a JSON encoder of a map would, up to the opening of "vc":.
func appendClaims(buf *bytes.Buffer, c *vc.Credential) {
	from, until := c.Validity()
	buf.WriteByte('{')
	if !until.IsZero() {
		buf.WriteString(`"exp":`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), until.Unix(), 10))
		buf.WriteByte(',')
	}
	buf.WriteString(`"iss":`)
	appendString(buf, c.Issuer.ID)
	if c.ID != "" {
		buf.WriteString(`,"jti":`)
		appendString(buf, c.ID)
	}
	if !from.IsZero() {
		buf.WriteString(`,"nbf":`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), from.Unix(), 10))
	}
	if len(c.CredentialSubject) == 1 && c.CredentialSubject[0].ID != "" {
		buf.WriteString(`,"sub":`)
		appendString(buf, c.CredentialSubject[0].ID)
	}
	buf.WriteString(`,"vc":`)
}

// appendString writes s as a JSON string: as is between quotes when it
// holds only printable ASCII that needs no escape (DIDs and URLs), else as
// encoding/json writes it.
func appendString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufs.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return // a rare huge credential should not pin its buffer
	}
	b.Reset()
	bufs.Put(b)
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

	signingInput string // header.payload, as received
	sig          []byte
	// top holds the members of Credential, when Parse decoded them.
	top map[string]json.RawMessage
}

// Parse decodes a VC-JWT without checking its signature. Only alg EdDSA is
// accepted, and no critical header (crit) or unencoded payload (b64).
// Errors match vc.ErrMalformed, vc.ErrTooLarge, vc.ErrTooDeep or
// vc.ErrUnsupported.
//
// Parse is hand-written over encoding/json rather than go-jose's parser:
// the header and claims are read as raw members (exact key match, as a
// map decode does), and the vc claim is kept as the bytes received unless
// a registered claim must be filled in, instead of being decoded into a
// map and encoded again (BenchmarkVerify/VC-JWT, -cpu 1: that round trip
// was a third of the verification's CPU time). TestGoJoseAgrees checks it
// against go-jose both ways; FuzzParse fuzzes it.
func Parse(token string) (*Token, error) {
	token = strings.TrimSpace(token)
	if len(token) > MaxTokenSize {
		return nil, vc.Errorf(vc.ErrTooLarge, "jwt: token of %d bytes is over %d", len(token), MaxTokenSize)
	}
	h, rest, _ := strings.Cut(token, ".")
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(s, ".") {
		return nil, vc.Errorf(vc.ErrMalformed, "jwt: not a compact JWS")
	}
	t := &Token{signingInput: token[:len(h)+1+len(p)]}
	header, err := b64.DecodeString(h)
	if err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: header")
	}
	if err := t.readHeader(header); err != nil {
		return nil, err
	}
	if t.sig, err = b64.DecodeString(s); err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: signature")
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: payload")
	}
	if err := vc.CheckJSON(payload); err != nil {
		return nil, err
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: claims")
	}
	t.Issuer, t.Subject, t.ID = str(claims["iss"]), str(claims["sub"]), str(claims["jti"])
	for _, d := range [...]struct {
		k   string
		dst *time.Time
	}{{"nbf", &t.NotBefore}, {"exp", &t.Expires}, {"iat", &t.IssuedAt}} {
		if v, ok := claims[d.k]; ok {
			tm, err := numericDate(v)
			if err != nil {
				return nil, vc.Errorf(vc.ErrMalformed, "jwt: %s: %v", d.k, err)
			}
			*d.dst = tm
		}
	}
	cred := claims["vc"]
	if len(cred) == 0 || cred[0] != '{' {
		if _, isCred := claims["credentialSubject"]; isCred {
			t.Credential, t.top = payload, claims
			if iss, ok := claims["issuer"]; ok && t.Issuer == "" {
				var x vc.Profile
				if len(iss) > 0 && (iss[0] == '"' || iss[0] == '{') && json.Unmarshal(iss, &x) == nil {
					t.Issuer = x.ID
				}
			}
			return t, nil
		}
		return nil, vc.Errorf(vc.ErrMalformed, `jwt: no "vc" claim`)
	}
	if t.Credential, t.top, err = fillFromClaims(cred, t); err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: credential")
	}
	return t, nil
}

// readHeader checks the protected header and keeps kid and typ.
func (t *Token) readHeader(b []byte) error {
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil {
		return vc.Wrap(vc.ErrMalformed, err, "jwt: header")
	}
	var a string
	if err := json.Unmarshal(h["alg"], &a); err != nil || a != alg {
		return vc.Errorf(vc.ErrMalformed, "jwt: algorithm %s is not %s", clip(h["alg"]), alg)
	}
	if _, ok := h["crit"]; ok {
		return vc.Errorf(vc.ErrUnsupported, "jwt: critical header parameters")
	}
	if _, ok := h["b64"]; ok {
		return vc.Errorf(vc.ErrUnsupported, "jwt: b64 header parameter")
	}
	if k, ok := h["kid"]; ok {
		if err := json.Unmarshal(k, &t.Kid); err != nil {
			return vc.Errorf(vc.ErrMalformed, "jwt: kid is not a string")
		}
	}
	t.Typ = str(h["typ"])
	return nil
}

// str is the string a raw JSON value holds, or "" when it is another type.
func str(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func clip(raw []byte) string {
	if len(raw) > 20 {
		return string(raw[:20]) + "…"
	}
	return string(raw)
}

// fillFromClaims puts the registered claims into the credential cred (the
// vc claim) where it lacks them (VC 1.1 §6.3.1 decoding); when it lacks
// none, as in credshare's own tokens, cred is returned as it is.
func fillFromClaims(cred json.RawMessage, t *Token) ([]byte, map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cred, &m); err != nil {
		return nil, nil, err
	}
	changed := false
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		m[k], changed = b, true
	}
	if _, ok := m["issuer"]; !ok && t.Issuer != "" {
		set("issuer", t.Issuer)
	}
	if _, ok := m["id"]; !ok && t.ID != "" {
		set("id", t.ID)
	}
	from, until := "validFrom", "validUntil"
	if isV1(m["@context"]) {
		from, until = "issuanceDate", "expirationDate"
	}
	if _, ok := m[from]; !ok && !t.NotBefore.IsZero() {
		set(from, t.NotBefore.UTC().Format(time.RFC3339))
	}
	if _, ok := m[until]; !ok && !t.Expires.IsZero() {
		set(until, t.Expires.UTC().Format(time.RFC3339))
	}
	if raw := m["credentialSubject"]; t.Subject != "" && len(raw) > 0 && raw[0] == '{' {
		var s map[string]json.RawMessage
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, nil, err
		}
		if _, has := s["id"]; !has {
			s["id"], _ = json.Marshal(t.Subject)
			b, err := json.Marshal(s)
			if err != nil {
				return nil, nil, err
			}
			m["credentialSubject"], changed = b, true
		}
	}
	if !changed {
		return cred, m, nil
	}
	b, err := json.Marshal(m)
	return b, m, err
}

// isV1 reports whether an @context array starts with the VC 1.1 context.
func isV1(raw json.RawMessage) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	var ctxs []json.RawMessage
	if json.Unmarshal(raw, &ctxs) != nil || len(ctxs) == 0 {
		return false
	}
	return str(ctxs[0]) == vc.ContextV1
}

func numericDate(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return time.Time{}, vc.Errorf(vc.ErrMalformed, "not a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return time.Time{}, err
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
	if len(vm.PublicKey) != ed25519.PublicKeySize || len(t.sig) != ed25519.SignatureSize ||
		!ed25519.Verify(vm.PublicKey, unsafe.Slice(unsafe.StringData(t.signingInput), len(t.signingInput)), t.sig) {
		return t, vm, vc.Errorf(vc.ErrProof, "jwt: signature: invalid")
	}
	c, err := t.issuerAndID()
	if err != nil {
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

type issuerAndID struct {
	Issuer vc.Profile `json:"issuer"`
	ID     string     `json:"id"`
}

// issuerAndID reads the credential's issuer and id as vc.ParseCredential
// does (encoding/json matches member names case-insensitively, the last
// match winning). From the members Parse decoded when the credential has
// exactly "issuer" and "id" and no case variant of them, as every real
// one does; from the whole credential otherwise.
func (t *Token) issuerAndID() (issuerAndID, error) {
	var c issuerAndID
	fast := t.top != nil
	for k := range t.top {
		if (k != "issuer" && strings.EqualFold(k, "issuer")) || (k != "id" && strings.EqualFold(k, "id")) {
			fast = false
			break
		}
	}
	if !fast {
		err := json.Unmarshal(t.Credential, &c)
		return c, err
	}
	if raw, ok := t.top["issuer"]; ok {
		if err := json.Unmarshal(raw, &c.Issuer); err != nil {
			return c, err
		}
	}
	if raw, ok := t.top["id"]; ok {
		if err := json.Unmarshal(raw, &c.ID); err != nil {
			return c, err
		}
	}
	return c, nil
}
