package wallettest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/proof"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
	"github.com/go-jose/go-jose/v4"
)

// Holder is a simulated wallet: an Ed25519 key, its did:key, and an HTTP
// client that speaks each delivery protocol from the wallet's side.
type Holder struct {
	// DID and VM are the holder's did:key and its verification method.
	DID, VM string
	// Key is the holder's private key.
	Key ed25519.PrivateKey
	// Client makes the requests. When nil, a vc/netguard client with the
	// Localhost policy (loopback addresses, plain http allowed; nothing
	// else) — the wallet of a test talks to test servers on this machine.
	// For an https test server, set a netguard client trusting its
	// certificate (netguard.Config.TLS).
	Client *http.Client
	// Now is the clock for proof times; time.Now when nil.
	Now func() time.Time

	mu  sync.Mutex
	def *http.Client // the default client, made on first use
}

// NewHolder returns a holder with a fresh key.
func NewHolder() (*Holder, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	did, vm := DIDKey(pub)
	return &Holder{DID: did, VM: vm, Key: priv}, nil
}

func (h *Holder) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.def == nil {
		h.def = netguard.MustNew(netguard.Config{Policy: netguard.Localhost()})
	}
	return h.def
}

func (h *Holder) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// PresentOptions shape a DIDAuth presentation. Zero fields take the
// holder's honest values; the others let a test build a bad one.
type PresentOptions struct {
	Challenge string
	Domain    string
	// ProofPurpose defaults to "authentication".
	ProofPurpose string
	// Holder overrides the presentation's holder (default h.DID).
	Holder string
	// VerificationMethod overrides the proof's verificationMethod (default h.VM).
	VerificationMethod string
	// SignWith signs with another key than h.Key.
	SignWith ed25519.PrivateKey
	// TamperAfterSigning changes the holder after the proof was made.
	TamperAfterSigning bool
	// Suite, when set, signs with the vc/proof package in that suite
	// (e.g. "Ed25519Signature2020" on a VC 1.1 presentation, as the
	// Learner Credential Wallet does) instead of the simulator's own
	// eddsa-jcs-2022 code.
	Suite string
	// Created sets the proof's created (default the holder's clock).
	Created time.Time
	// OmitCreated leaves created out of the proof (the simulator's own
	// eddsa-jcs-2022 proofs only: with Suite, Present fails).
	OmitCreated bool
}

// Present returns a DIDAuth presentation secured with a Data Integrity
// proof (cryptosuite eddsa-jcs-2022) made with the holder's key.
func (h *Holder) Present(o PresentOptions) ([]byte, error) {
	if o.ProofPurpose == "" {
		o.ProofPurpose = "authentication"
	}
	if o.Holder == "" {
		o.Holder = h.DID
	}
	if o.VerificationMethod == "" {
		o.VerificationMethod = h.VM
	}
	key := h.Key
	if o.SignWith != nil {
		key = o.SignWith
	}
	vp := map[string]any{
		"@context": []any{"https://www.w3.org/ns/credentials/v2"},
		"type":     []any{"VerifiablePresentation"},
		"holder":   o.Holder,
	}
	if o.Created.IsZero() {
		o.Created = h.now()
	}
	if o.Suite != "" {
		if o.OmitCreated {
			return nil, errors.New("wallettest: OmitCreated needs the simulator's own suite (no Suite)")
		}
		return h.presentWithVC(vp, key, o)
	}
	proof := map[string]any{
		"type":               "DataIntegrityProof",
		"cryptosuite":        "eddsa-jcs-2022",
		"created":            o.Created.UTC().Format(time.RFC3339),
		"verificationMethod": o.VerificationMethod,
		"proofPurpose":       o.ProofPurpose,
		"challenge":          o.Challenge,
	}
	if o.OmitCreated {
		delete(proof, "created")
	}
	if o.Domain != "" {
		proof["domain"] = o.Domain
	}
	cfg := map[string]any{"@context": vp["@context"]}
	for k, v := range proof {
		cfg[k] = v
	}
	cb, err := canonical(cfg)
	if err != nil {
		return nil, err
	}
	db, err := canonical(vp)
	if err != nil {
		return nil, err
	}
	ch, dh := sha256.Sum256(cb), sha256.Sum256(db)
	sig := ed25519.Sign(key, append(ch[:], dh[:]...))
	proof["proofValue"] = "z" + base58(sig)
	vp["proof"] = proof
	if o.TamperAfterSigning {
		vp["holder"] = o.Holder + "x"
		proof["verificationMethod"] = o.Holder + "x#" + strings.SplitN(o.VerificationMethod, "#", 2)[1]
	}
	return json.Marshal(vp)
}

// ProofOptions shape a proof-of-possession JWT.
type ProofOptions struct {
	Audience string
	Nonce    string
	// IssuedAt defaults to now.
	IssuedAt time.Time
	// OmitIssuedAt leaves iat out of the claims.
	OmitIssuedAt bool
	// Typ defaults to openid4vci-proof+jwt.
	Typ string
	// EmbedJWK names the key by a "jwk" header instead of "kid".
	EmbedJWK bool
	// KeyID overrides "kid".
	KeyID string
	// SignWith signs with another key than h.Key.
	SignWith ed25519.PrivateKey
}

// ProofJWT returns an OID4VCI proof of possession of the holder's key.
func (h *Holder) ProofJWT(o ProofOptions) (string, error) {
	if o.Typ == "" {
		o.Typ = oid4vci.ProofType
	}
	if o.IssuedAt.IsZero() {
		o.IssuedAt = h.now()
	}
	key := h.Key
	if o.SignWith != nil {
		key = o.SignWith
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(o.Typ))
	if o.EmbedJWK {
		opts.EmbedJWK = true
	} else {
		kid := o.KeyID
		if kid == "" {
			kid = h.VM
		}
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, opts)
	if err != nil {
		return "", err
	}
	cl := map[string]any{"aud": o.Audience, "iat": o.IssuedAt.Unix(), "nonce": o.Nonce}
	if o.OmitIssuedAt {
		delete(cl, "iat")
	}
	claims, _ := json.Marshal(cl)
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// ResponseError is a non-success answer from the issuer.
type ResponseError struct {
	Status int
	// Code and Description are the "error" and "error_description" members.
	Code, Description string
	Body              []byte
}

// Error implements error.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("issuer answered %d %s: %s", e.Status, e.Code, e.Description)
}

// Do sends a request and returns the body of a 2xx answer, or a
// *ResponseError.
func (h *Holder) Do(ctx context.Context, method, u, contentType string, body []byte, header http.Header) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		re := &ResponseError{Status: resp.StatusCode, Body: b}
		var eb struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(b, &eb) == nil {
			re.Code, re.Description = eb.Error, eb.Description
		}
		return nil, resp.StatusCode, re
	}
	return b, resp.StatusCode, nil
}

// LCW follows a Learner Credential Wallet deep link: it signs a DIDAuth
// presentation over the link's challenge, posts it to vc_request_url and
// returns the credential (the issuer must answer 201).
func (h *Holder) LCW(ctx context.Context, deepLink string) (json.RawMessage, error) {
	p, err := lcw.ParseDeepLink(deepLink)
	if err != nil {
		return nil, err
	}
	vp, err := h.Present(PresentOptions{Challenge: p.Challenge})
	if err != nil {
		return nil, err
	}
	b, status, err := h.Do(ctx, http.MethodPost, p.VCRequestURL, "application/json", vp, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusCreated {
		return nil, fmt.Errorf("LCW issue endpoint answered %d, want 201", status)
	}
	return b, nil
}

// VCAPIExchangeURL reads the exchange URL from a VC-API "request" deep
// link.
func VCAPIExchangeURL(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", err
	}
	var in vcapi.Interaction
	if err := json.Unmarshal([]byte(u.Query().Get("request")), &in); err != nil {
		return "", fmt.Errorf("deep link request parameter: %w", err)
	}
	if in.Protocols["vcapi"] == "" {
		return "", errors.New("deep link offers no vcapi protocol")
	}
	return in.Protocols["vcapi"], nil
}

// VCAPI runs a VC-API exchange: it starts the exchange, answers the
// DIDAuthentication request with a presentation over its challenge and
// domain, and returns the credential from the presentation sent back.
func (h *Holder) VCAPI(ctx context.Context, exchangeURL string) (json.RawMessage, error) {
	b, _, err := h.Do(ctx, http.MethodPost, exchangeURL, "application/json", []byte(`{}`), nil)
	if err != nil {
		return nil, err
	}
	var m vcapi.Message
	if err := json.Unmarshal(b, &m); err != nil || m.VerifiablePresentationRequest == nil {
		return nil, fmt.Errorf("exchange did not answer with a VerifiablePresentationRequest: %s", b)
	}
	vpr := m.VerifiablePresentationRequest
	if len(vpr.Query) == 0 || vpr.Query[0].Type != "DIDAuthentication" {
		return nil, fmt.Errorf("exchange asked for %v, not DIDAuthentication", vpr.Query)
	}
	vp, err := h.Present(PresentOptions{Challenge: vpr.Challenge, Domain: vpr.Domain})
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"verifiablePresentation": vp})
	b, _, err = h.Do(ctx, http.MethodPost, exchangeURL, "application/json", body, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		VP struct {
			VCs []json.RawMessage `json:"verifiableCredential"`
		} `json:"verifiablePresentation"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.VP.VCs) != 1 {
		return nil, fmt.Errorf("exchange did not return one credential in a presentation: %s", b)
	}
	return out.VP.VCs[0], nil
}

// IssuerMetadata is the part of the OID4VCI issuer metadata the simulator reads.
type IssuerMetadata struct {
	CredentialIssuer   string                     `json:"credential_issuer"`
	CredentialEndpoint string                     `json:"credential_endpoint"`
	NonceEndpoint      string                     `json:"nonce_endpoint"`
	TokenEndpoint      string                     `json:"token_endpoint"`
	Configurations     map[string]json.RawMessage `json:"credential_configurations_supported"`
}

// OID4VCI redeems a credential offer link (by value or by reference) with
// the pre-authorized code flow and returns the credential of configuration
// configID (the first offered one when empty): a JSON object for ldp_vc,
// a JSON string (the compact JWS) for jwt_vc_json.
func (h *Holder) OID4VCI(ctx context.Context, offerLink, configID string) (json.RawMessage, error) {
	offer, uri, err := oid4vci.ParseOfferLink(offerLink)
	if err != nil {
		return nil, err
	}
	if offer == nil {
		b, _, err := h.Do(ctx, http.MethodGet, uri, "", nil, nil)
		if err != nil {
			return nil, err
		}
		if offer, err = oid4vci.ParseOffer(b); err != nil {
			return nil, err
		}
	}
	b, _, err := h.Do(ctx, http.MethodGet, offer.CredentialIssuer+"/.well-known/openid-credential-issuer", "", nil, nil)
	if err != nil {
		return nil, err
	}
	var md IssuerMetadata
	if err := json.Unmarshal(b, &md); err != nil {
		return nil, err
	}
	if md.CredentialIssuer != offer.CredentialIssuer {
		return nil, fmt.Errorf("metadata names issuer %q, offer %q", md.CredentialIssuer, offer.CredentialIssuer)
	}
	if configID == "" {
		configID = offer.CredentialConfigurationIDs[0]
	}
	code := offer.Grants[oid4vci.GrantPreAuthorized].(oid4vci.PreAuthorizedGrant).Code
	form := url.Values{"grant_type": {oid4vci.GrantPreAuthorized}, "pre-authorized_code": {code}}
	b, _, err = h.Do(ctx, http.MethodPost, md.TokenEndpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return nil, err
	}
	var tok oid4vci.TokenResponse
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("token response without access_token: %s", b)
	}
	nonce, err := h.Nonce(ctx, md)
	if err != nil {
		return nil, err
	}
	jwt, err := h.ProofJWT(ProofOptions{Audience: md.CredentialIssuer, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	req, _ := json.Marshal(map[string]any{
		"credential_configuration_id": configID,
		"proof":                       map[string]string{"proof_type": "jwt", "jwt": jwt},
	})
	b, _, err = h.Do(ctx, http.MethodPost, md.CredentialEndpoint, "application/json", req,
		http.Header{"Authorization": {"Bearer " + tok.AccessToken}})
	if err != nil {
		return nil, err
	}
	var cr oid4vci.CredentialResponse
	if err := json.Unmarshal(b, &cr); err != nil || len(cr.Credentials) != 1 {
		return nil, fmt.Errorf("credential response without one credential: %s", b)
	}
	return cr.Credentials[0].Credential, nil
}

// Nonce gets a fresh c_nonce from the issuer's nonce endpoint.
func (h *Holder) Nonce(ctx context.Context, md IssuerMetadata) (string, error) {
	b, _, err := h.Do(ctx, http.MethodPost, md.NonceEndpoint, "", nil, nil)
	if err != nil {
		return "", err
	}
	var n struct {
		CNonce string `json:"c_nonce"`
	}
	if err := json.Unmarshal(b, &n); err != nil || n.CNonce == "" {
		return "", fmt.Errorf("nonce response without c_nonce: %s", b)
	}
	return n.CNonce, nil
}

// presentWithVC signs vp with the vc/proof package.
func (h *Holder) presentWithVC(vp map[string]any, key ed25519.PrivateKey, o PresentOptions) ([]byte, error) {
	if o.Suite == proof.SuiteEd25519Signature2020 {
		vp["@context"] = []any{vc.ContextV1}
	}
	s, err := vc.NewSigner(key, o.VerificationMethod)
	if err != nil {
		return nil, err
	}
	if err := proof.SignMap(context.Background(), vp, s, proof.Options{
		Suite: o.Suite, Purpose: o.ProofPurpose, Created: o.Created, Challenge: o.Challenge, Domain: o.Domain,
	}); err != nil {
		return nil, err
	}
	if o.TamperAfterSigning {
		vp["holder"] = o.Holder + "x"
	}
	return json.Marshal(vp)
}
