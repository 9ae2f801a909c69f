package jwt

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
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
	tok, err := j.AppendCredential(ctx, nil, c)
	if err != nil {
		return "", err
	}
	// tok is never written again: hand its bytes to the string.
	return unsafe.String(unsafe.SliceData(tok), len(tok)), nil
}

// AppendCredential is SignCredential appending the token to dst, growing
// it at most once, with room for one more byte (a closing quote), so that
// a caller wrapping the token in JSON (vc/issuer) does not copy it again.
//
// Measured (credshare issue 13, go test -bench Bulk/VC-JWT -benchmem
// ./vc/issuer): the issuer quoting SignCredential's string into a new
// buffer was half the ~6.6 KB allocated per VC-JWT.
func (j *Signer) AppendCredential(ctx context.Context, dst []byte, c *vc.Credential) ([]byte, error) {
	if c == nil {
		return dst, vc.Errorf(vc.ErrInvalid, "jwt: nil credential")
	}
	if err := c.Validate(); err != nil {
		return dst, err
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
			return dst, vc.Errorf(vc.ErrInvalid, "jwt: the credential's member %q is not JSON", k)
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	appendClaims(buf, c)
	// The credential's encoding straight into the claims (the bytes
	// MarshalJSON returns, without its own buffer and copy).
	b, err := c.AppendJSON(buf.AvailableBuffer())
	if err != nil {
		return dst, vc.Wrap(vc.ErrInvalid, err, "jwt: encoding the credential")
	}
	buf.Write(b)
	buf.WriteByte('}')
	return j.appendSigned(ctx, dst, buf.Bytes())
}

// sign base64-encodes payload after the precomputed header, signs that
// signing input and appends the signature, all in one buffer of the
// token's final size.
//
// Measured with go test -bench BenchmarkSign/VC-JWT -cpu 1 -cpuprofile:
// the go-jose path (credential parsed, decoded into a map and encoded
// again, header marshalled per token, parts base64-encoded into separate
// strings and joined) spent 7% of its time in the Ed25519 signature. Now
// the signature was ~44% of SignCredential, the credential's encoding by
// vc.Credential.MarshalJSON ~46% (before vc's one-pass encoder), and this
// function's base64 and buffers the rest; the token is the only
// allocation here.
func (j *Signer) sign(ctx context.Context, payload []byte) (string, error) {
	tok, err := j.appendSigned(ctx, nil, payload)
	if err != nil {
		return "", err
	}
	// tok is never written again: hand its bytes to the string.
	return unsafe.String(unsafe.SliceData(tok), len(tok)), nil
}

// appendSigned is sign appending the token to dst, grown once to the
// token's final size plus one byte.
func (j *Signer) appendSigned(ctx context.Context, dst, payload []byte) ([]byte, error) {
	n := len(j.head) + b64.EncodedLen(len(payload))
	tok := slices.Grow(dst, n+1+b64.EncodedLen(ed25519.SignatureSize)+1)
	start := len(tok)
	tok = append(tok, j.head...)
	tok = b64.AppendEncode(tok, payload)
	sig, err := j.s.Sign(ctx, tok[start:])
	if err != nil {
		return dst, vc.Wrap(vc.ErrInvalid, err, "jwt: signing")
	}
	if len(sig) != ed25519.SignatureSize {
		return dst, vc.Errorf(vc.ErrInvalid, "jwt: the signer returned %d bytes, not an Ed25519 signature", len(sig))
	}
	tok = append(tok, '.')
	return b64.AppendEncode(tok, sig), nil
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
	cred         credMembers // of Credential
}

// Parse decodes a VC-JWT without checking its signature. Only alg EdDSA is
// accepted, and no critical header (crit) or unencoded payload (b64).
// Errors match vc.ErrMalformed, vc.ErrTooLarge, vc.ErrTooDeep or
// vc.ErrUnsupported.
//
// Parse is hand-written over encoding/json rather than go-jose's parser:
// after json.Valid, one walk finds the members of the claims and of the vc
// claim (exact key match, the last of a repeated key winning, as a map
// decode does), and the vc claim is kept as the bytes received unless a
// registered claim must be filled in. Measured with BenchmarkJWT/Parse
// (-cpu 1): the go-jose parse, map decodes and re-encoding took ~17,000
// ops/cpu-s, this ~39,000. TestGoJoseAgrees checks it against go-jose both
// ways; FuzzParse and FuzzClaims fuzz it against go-jose and the former
// reader.
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
	if !json.Valid(payload) {
		return nil, vc.Errorf(vc.ErrMalformed, "jwt: the claims are not JSON")
	}
	var iss, sub, jti, cred, subjectClaim, issuerClaim []byte
	var dates [3][]byte
	var creds credMembers
	err = walk(payload, func(k string, v []byte) {
		switch k {
		case "iss":
			iss = v
		case "sub":
			sub = v
		case "jti":
			jti = v
		case "nbf":
			dates[0] = v
		case "exp":
			dates[1] = v
		case "iat":
			dates[2] = v
		case "vc":
			cred = v
		case "credentialSubject":
			subjectClaim = v
		case "issuer":
			issuerClaim = v
		}
		creds.see(k, v)
	})
	if err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: claims")
	}
	t.Issuer, t.Subject, t.ID = str(iss), str(sub), str(jti)
	for n, dst := range [...]*time.Time{&t.NotBefore, &t.Expires, &t.IssuedAt} {
		if dates[n] != nil {
			tm, err := numericDate(dates[n])
			if err != nil {
				return nil, vc.Errorf(vc.ErrMalformed, "jwt: %s: %v", [...]string{"nbf", "exp", "iat"}[n], err)
			}
			*dst = tm
		}
	}
	if len(cred) == 0 || cred[0] != '{' {
		if subjectClaim != nil {
			// VC-JOSE: the payload is the credential.
			t.Credential, t.cred = payload, creds
			if len(issuerClaim) > 0 && t.Issuer == "" {
				switch issuerClaim[0] {
				case '"':
					t.Issuer = str(issuerClaim)
				case '{':
					_ = walk(issuerClaim, func(k string, v []byte) {
						if k == "id" {
							t.Issuer = str(v)
						}
					})
				}
			}
			return t, nil
		}
		return nil, vc.Errorf(vc.ErrMalformed, `jwt: no "vc" claim`)
	}
	if t.Credential, t.cred, err = fillFromClaims(cred, t); err != nil {
		return nil, vc.Wrap(vc.ErrMalformed, err, "jwt: credential")
	}
	return t, nil
}

// credMembers are the members of a credential object that Parse and
// Verify look at, raw (nil when absent).
type credMembers struct {
	issuer, id, context, subject []byte
	from, until, issued, expires []byte
	// variant is set when a member's name differs only in case from
	// "issuer" or "id": encoding/json's struct decoding, which
	// vc.ParseCredential uses, would take it for that member.
	variant bool
}

func (m *credMembers) see(k string, v []byte) {
	switch k {
	case "issuer":
		m.issuer = v
	case "id":
		m.id = v
	case "@context":
		m.context = v
	case "credentialSubject":
		m.subject = v
	case "validFrom":
		m.from = v
	case "validUntil":
		m.until = v
	case "issuanceDate":
		m.issued = v
	case "expirationDate":
		m.expires = v
	default:
		if len(k) <= len("issuer") && (strings.EqualFold(k, "issuer") || strings.EqualFold(k, "id")) {
			m.variant = true
		}
	}
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
func str(raw []byte) string {
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
// vc claim) where it lacks them (VC 1.1 §6.3.1 decoding). When it lacks
// none, as in credshare's own tokens, cred is returned as it is, without
// being decoded; otherwise it is decoded into a map, completed and encoded
// again.
func fillFromClaims(cred []byte, t *Token) ([]byte, credMembers, error) {
	var m credMembers
	if err := walk(cred, m.see); err != nil {
		return nil, m, err
	}
	from, until := m.from, m.until
	if isV1(m.context) {
		from, until = m.issued, m.expires
	}
	lacks := (m.issuer == nil && t.Issuer != "") || (m.id == nil && t.ID != "") ||
		(from == nil && !t.NotBefore.IsZero()) || (until == nil && !t.Expires.IsZero())
	if !lacks && t.Subject != "" && len(m.subject) > 0 && m.subject[0] == '{' {
		hasID := false
		if err := walk(m.subject, func(k string, _ []byte) { hasID = hasID || k == "id" }); err != nil {
			return nil, m, err
		}
		lacks = !hasID
	}
	if !lacks {
		return cred, m, nil
	}
	b, err := fillMap(cred, t)
	if err != nil {
		return nil, m, err
	}
	m = credMembers{}
	err = walk(b, m.see)
	return b, m, err
}

// fillMap is fillFromClaims's slow path, for tokens (DIDKit's) whose vc
// claim leaves the registered claims out.
func fillMap(cred []byte, t *Token) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cred, &m); err != nil {
		return nil, err
	}
	set := func(k string, v any) { m[k], _ = json.Marshal(v) }
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
			return nil, err
		}
		if _, has := s["id"]; !has {
			s["id"], _ = json.Marshal(t.Subject)
			b, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			m["credentialSubject"] = b
		}
	}
	return json.Marshal(m)
}

// isV1 reports whether an @context array starts with the VC 1.1 context.
func isV1(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	var ctxs []json.RawMessage
	if json.Unmarshal(raw, &ctxs) != nil || len(ctxs) == 0 {
		return false
	}
	return str(ctxs[0]) == vc.ContextV1
}

func numericDate(raw []byte) (time.Time, error) {
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
// would (encoding/json matches member names case-insensitively): from
// the members Parse found when no name is a case variant of "issuer" or
// "id", as in every real credential; by decoding the whole credential
// otherwise.
func (t *Token) issuerAndID() (issuerAndID, error) {
	var c issuerAndID
	if t.cred.variant {
		err := json.Unmarshal(t.Credential, &c)
		return c, err
	}
	if t.cred.issuer != nil {
		if err := json.Unmarshal(t.cred.issuer, &c.Issuer); err != nil {
			return c, err
		}
	}
	if t.cred.id != nil {
		if err := json.Unmarshal(t.cred.id, &c.ID); err != nil {
			return c, err
		}
	}
	return c, nil
}
