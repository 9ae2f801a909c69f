package oid4vci

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/qr"
)

// Protocol names in store.Exchange.
const (
	// Protocol is the exchange protocol of offers (one per offer).
	Protocol = "oid4vci"
	// NonceProtocol is the exchange protocol of c_nonce values.
	NonceProtocol = "oid4vci-nonce"
)

// Offer exchange states.
const (
	StateOffered = "offered" // the pre-authorized code can be redeemed
	StateToken   = "token"   // the code was redeemed; the access token is live
	StateIssued  = "issued"  // the credential was delivered
)

// Nonce states.
const (
	nonceFresh = "fresh"
	nonceUsed  = "used"
)

// GrantPreAuthorized is the pre-authorized code grant type.
const GrantPreAuthorized = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

// ProofType is the JWT proof-of-possession "typ".
const ProofType = "openid4vci-proof+jwt"

// Defaults for Config.
const (
	ID              = "oid4vci"
	DefaultNonceTTL = 5 * time.Minute
	DefaultTokenTTL = 10 * time.Minute
	DefaultProofAge = 5 * time.Minute
	// CLRConfigurationID is the default configuration of CLR transcripts
	// as ldp_vc (a Data Integrity proof).
	CLRConfigurationID = "ClrCredential_ldp_vc"
	// CLRJWTConfigurationID is the default configuration of CLR transcripts
	// as jwt_vc_json: the ClrCredential, with its embedded ldp_vc
	// credentials, is the "vc" claim of a VC-JWT signed by the issuer and
	// bound, like every configuration here, to the key of the proof.
	CLRJWTConfigurationID = "ClrCredential_jwt_vc_json"
	// DefaultOfferScheme is the custom scheme of credential offers.
	DefaultOfferScheme = "openid-credential-offer://"
)

// KeyResolver resolves the key a proof-of-possession JWT names in "kid" (a
// DID URL such as did:key:z…#z…). The vc package provides one for did:key
// and did:web.
type KeyResolver interface {
	// ResolveKey returns the public key of the verification method
	// didURL, or an error when it cannot be resolved.
	ResolveKey(ctx context.Context, didURL string) (crypto.PublicKey, error)
}

// KeyResolverFunc adapts a function to KeyResolver.
type KeyResolverFunc func(ctx context.Context, didURL string) (crypto.PublicKey, error)

// ResolveKey calls f.
func (f KeyResolverFunc) ResolveKey(ctx context.Context, didURL string) (crypto.PublicKey, error) {
	return f(ctx, didURL)
}

// Configuration describes one credential configuration offered.
type Configuration struct {
	// ID is the credential_configuration_id.
	ID string
	// Format is vc.FormatLDP or vc.FormatJWT.
	Format string
	// Types and Contexts describe the credential (credential_definition).
	Types    []string
	Contexts []string
	// DisplayName is shown by the wallet.
	DisplayName string
	// SigningAlgs lists credential_signing_alg_values_supported.
	SigningAlgs []string
}

// Config configures OID4VCI pre-authorized issuance.
type Config struct {
	// Service issues the credentials; required.
	Service *wallet.Service
	// BaseURL is the Credential Issuer Identifier: the absolute https URL at
	// which Handler is mounted; required (http is accepted for tests).
	BaseURL string
	// Keys resolves proof-of-possession keys named by "kid"; required.
	Keys KeyResolver
	// ID and Name identify the wallet protocol (defaults "oid4vci",
	// "OpenID4VCI wallet").
	ID, Name string
	// IssuerName is the issuer's display name in metadata.
	IssuerName string
	// Configurations lists what is offered; default an OpenBadgeCredential
	// as ldp_vc and as jwt_vc_json, and, when the Service issues CLR
	// transcripts, a ClrCredential as ldp_vc and as jwt_vc_json
	// (CLRConfigurationID, CLRJWTConfigurationID). An offer of a CLR data model
	// (wallet.IsCLR) lists the configurations whose Types include
	// ClrCredential, any other offer the rest.
	Configurations []Configuration
	// DataModel is the data model used when the offer names none.
	DataModel string
	// NonceTTL, TokenTTL and ProofAge bound the life of a c_nonce, of an
	// access token and the age of a proof JWT's iat.
	NonceTTL, TokenTTL, ProofAge time.Duration
	// OfferByValue puts the offer itself into the deep link instead of a
	// credential_offer_uri.
	OfferByValue bool
	// OfferScheme prefixes offer links (default "openid-credential-offer://").
	OfferScheme string
	// MaxBody limits request bodies (default wallet.DefaultMaxBody).
	MaxBody int64
	// QRSize is the QR code's side in pixels.
	QRSize int
}

// Wallet serves OID4VCI pre-authorized code issuance (wallet.Protocol).
type Wallet struct {
	cfg  Config
	base string
}

var _ wallet.Protocol = (*Wallet)(nil)

// defaultContexts and defaultTypes describe the default configurations
// (fresh slices each time: nothing shared is mutable).
func defaultContexts() []string { return []string{vc.ContextV2, vc.ContextOBv3} }
func defaultTypes() []string    { return []string{"VerifiableCredential", "OpenBadgeCredential"} }
func clrContexts() []string     { return []string{vc.ContextV2, vc.ContextCLR, vc.ContextOBv3} }
func clrTypes() []string        { return []string{"VerifiableCredential", vc.TypeClrCredential} }

// New validates cfg and returns the wallet protocol.
func New(cfg Config) (*Wallet, error) {
	switch {
	case cfg.Service == nil:
		return nil, errors.New("oid4vci: Config.Service is required")
	case cfg.Keys == nil:
		return nil, errors.New("oid4vci: Config.Keys is required")
	case cfg.NonceTTL < 0 || cfg.TokenTTL < 0 || cfg.ProofAge < 0:
		return nil, errors.New("oid4vci: durations must not be negative")
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oid4vci: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&cfg.ID, ID)
	def(&cfg.Name, "OpenID4VCI wallet")
	def(&cfg.OfferScheme, DefaultOfferScheme)
	if cfg.NonceTTL == 0 {
		cfg.NonceTTL = DefaultNonceTTL
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.ProofAge == 0 {
		cfg.ProofAge = DefaultProofAge
	}
	if len(cfg.Configurations) == 0 {
		cfg.Configurations = []Configuration{
			{ID: "OpenBadgeCredential_ldp_vc", Format: vc.FormatLDP, Types: defaultTypes(), Contexts: defaultContexts(),
				DisplayName: "Open Badge", SigningAlgs: []string{"eddsa-rdfc-2022", "Ed25519Signature2020"}},
			{ID: "OpenBadgeCredential_jwt_vc_json", Format: vc.FormatJWT, Types: defaultTypes(), Contexts: defaultContexts(),
				DisplayName: "Open Badge", SigningAlgs: []string{"EdDSA"}},
		}
		if cfg.Service.OffersCLR() {
			cfg.Configurations = append(cfg.Configurations,
				Configuration{ID: CLRConfigurationID, Format: vc.FormatLDP, Types: clrTypes(), Contexts: clrContexts(),
					DisplayName: "Comprehensive Learner Record", SigningAlgs: []string{"eddsa-rdfc-2022", "Ed25519Signature2020"}},
				Configuration{ID: CLRJWTConfigurationID, Format: vc.FormatJWT, Types: clrTypes(), Contexts: clrContexts(),
					DisplayName: "Comprehensive Learner Record", SigningAlgs: []string{"EdDSA"}})
		}
	}
	seen := map[string]bool{}
	for _, c := range cfg.Configurations {
		if c.ID == "" || seen[c.ID] {
			return nil, fmt.Errorf("oid4vci: configuration id %q empty or repeated", c.ID)
		}
		seen[c.ID] = true
		if !cfg.Service.SupportsFormat(c.Format) {
			return nil, fmt.Errorf("oid4vci: configuration %q: the issuer does not produce format %q", c.ID, c.Format)
		}
	}
	return &Wallet{cfg: cfg, base: u.String()}, nil
}

// Info implements wallet.Protocol.
func (w *Wallet) Info() wallet.Info {
	var formats []string
	for _, c := range w.cfg.Configurations {
		if !slices.Contains(formats, c.Format) {
			formats = append(formats, c.Format)
		}
	}
	return wallet.Info{
		ID: w.cfg.ID, Name: w.cfg.Name, Kind: wallet.Mobile,
		OfferBy: "credential-offer", AuthBy: "pre-authorized-code+jwt-proof", ReturnBy: "credential-response",
		Formats: formats,
	}
}

// IssuerURL returns the Credential Issuer Identifier.
func (w *Wallet) IssuerURL() string { return w.base }

func (w *Wallet) configuration(id string) (Configuration, bool) {
	for _, c := range w.cfg.Configurations {
		if c.ID == id {
			return c, true
		}
	}
	return Configuration{}, false
}

// CredentialOffer is an OID4VCI credential offer.
type CredentialOffer struct {
	CredentialIssuer           string         `json:"credential_issuer"`
	CredentialConfigurationIDs []string       `json:"credential_configuration_ids"`
	Grants                     map[string]any `json:"grants"`
}

// PreAuthorizedGrant is the offer's pre-authorized code grant.
type PreAuthorizedGrant struct {
	Code string `json:"pre-authorized_code"`
}

// offerData is the protocol data kept in the offer's store.Exchange.
type offerData struct {
	Issuance string   `json:"issuance"`
	Configs  []string `json:"configs"`
	// Code is the pre-authorized code while the offer is open (the offer
	// by reference must be served by any replica); cleared on redemption.
	Code string `json:"code,omitempty"`
	// TokenHash and TokenExpires describe the access token once issued.
	TokenHash    string    `json:"token_hash,omitempty"`
	TokenExpires time.Time `json:"token_expires,omitzero"`
}

// Offer implements wallet.Protocol: it starts an issuance for the authenticated
// learner's own award and stores a one-time offer with a pre-authorized
// code. A non-empty req.Format restricts the offer to that format.
func (w *Wallet) Offer(ctx context.Context, req wallet.OfferRequest) (wallet.Offer, error) {
	if req.DataModel == "" {
		req.DataModel = w.cfg.DataModel
	}
	clr := wallet.IsCLR(req.DataModel)
	var configs []string
	for _, c := range w.cfg.Configurations {
		if (req.Format == "" || c.Format == req.Format) && slices.Contains(c.Types, vc.TypeClrCredential) == clr {
			configs = append(configs, c.ID)
		}
	}
	if len(configs) == 0 {
		what := "an Open Badge"
		if clr {
			what = "a CLR"
		}
		return wallet.Offer{}, wallet.Fail(wallet.ErrUnsupported, "no credential configuration offers %s in format %q", what, clip(req.Format))
	}
	svc := w.cfg.Service
	rec, err := svc.Begin(ctx, w.cfg.ID, req)
	if err != nil {
		return wallet.Offer{}, err
	}
	offerID := rec.ID.String()
	code := offerID + "." + wallet.NewToken()
	data, _ := json.Marshal(offerData{Issuance: offerID, Configs: configs, Code: code})
	if err := svc.Store().Exchanges().Create(ctx, store.Exchange{
		ID: offerID, Protocol: Protocol, State: StateOffered, LearnerID: rec.LearnerID,
		AwardUUID: rec.AwardUUID, Data: data, ExpiresAt: rec.ChallengeExpires,
	}); err != nil {
		return wallet.Offer{}, fmt.Errorf("oid4vci: storing offer: %w", err)
	}
	offer := w.offerFor(configs, code)
	msg, _ := json.Marshal(offer)
	uri := w.OfferURI(offerID)
	link := ByReferenceLink(w.cfg.OfferScheme, uri)
	if w.cfg.OfferByValue {
		link = ByValueLink(w.cfg.OfferScheme, msg)
	}
	png, err := qr.PNG(link, w.cfg.QRSize)
	if err != nil {
		return wallet.Offer{}, err
	}
	return wallet.Offer{
		Wallet: w.cfg.ID, IssuanceID: rec.ID, URL: uri, DeepLink: link, QRCodePNG: png,
		Message: msg, ExpiresAt: rec.ChallengeExpires,
	}, nil
}

func (w *Wallet) offerFor(configs []string, code string) CredentialOffer {
	return CredentialOffer{
		CredentialIssuer: w.base, CredentialConfigurationIDs: configs,
		Grants: map[string]any{GrantPreAuthorized: PreAuthorizedGrant{Code: code}},
	}
}

// OfferURI returns the credential_offer_uri of offer id.
func (w *Wallet) OfferURI(id string) string { return w.base + "/offers/" + id }

// ByValueLink returns scheme?credential_offer=<offer JSON>.
func ByValueLink(scheme string, offerJSON []byte) string {
	return scheme + "?credential_offer=" + url.QueryEscape(string(offerJSON))
}

// ByReferenceLink returns scheme?credential_offer_uri=<uri>.
func ByReferenceLink(scheme, uri string) string {
	return scheme + "?credential_offer_uri=" + url.QueryEscape(uri)
}

// ParseOfferLink reads a credential offer link: by value it returns the
// offer, by reference the URI to fetch it from. Errors match
// wallet.ErrMalformed.
func ParseOfferLink(link string) (offer *CredentialOffer, uri string, err error) {
	if len(link) > 16<<10 {
		return nil, "", wallet.Fail(wallet.ErrMalformed, "offer link longer than 16 KiB")
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, "", wallet.Fail(wallet.ErrMalformed, "offer link: %v", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, "", wallet.Fail(wallet.ErrMalformed, "offer link query: %v", err)
	}
	if v := q.Get("credential_offer"); v != "" {
		o, err := ParseOffer([]byte(v))
		return o, "", err
	}
	if v := q.Get("credential_offer_uri"); v != "" {
		ru, err := url.Parse(v)
		if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
			return nil, "", wallet.Fail(wallet.ErrMalformed, "credential_offer_uri is not an absolute http(s) URL")
		}
		return nil, v, nil
	}
	return nil, "", wallet.Fail(wallet.ErrMalformed, "offer link has neither credential_offer nor credential_offer_uri")
}

// ParseOffer parses a credential offer and requires the pre-authorized
// code grant.
func ParseOffer(b []byte) (*CredentialOffer, error) {
	var raw struct {
		CredentialIssuer           string                     `json:"credential_issuer"`
		CredentialConfigurationIDs []string                   `json:"credential_configuration_ids"`
		Grants                     map[string]json.RawMessage `json:"grants"`
	}
	if err := wallet.DecodeJSON(b, &raw); err != nil {
		return nil, err
	}
	if raw.CredentialIssuer == "" || len(raw.CredentialConfigurationIDs) == 0 {
		return nil, wallet.Fail(wallet.ErrMalformed, "offer lacks credential_issuer or credential_configuration_ids")
	}
	var g PreAuthorizedGrant
	if err := json.Unmarshal(raw.Grants[GrantPreAuthorized], &g); err != nil || g.Code == "" {
		return nil, wallet.Fail(wallet.ErrUnsupported, "offer has no pre-authorized code grant")
	}
	return &CredentialOffer{
		CredentialIssuer: raw.CredentialIssuer, CredentialConfigurationIDs: raw.CredentialConfigurationIDs,
		Grants: map[string]any{GrantPreAuthorized: g},
	}, nil
}

// Handler implements wallet.Protocol. It serves
//
//	GET  /.well-known/openid-credential-issuer    issuer metadata
//	GET  /.well-known/oauth-authorization-server  authorization server metadata
//	GET  /offers/{id}                             the credential offer (by reference)
//	POST /token                                   pre-authorized code → access token (+ c_nonce)
//	POST /nonce                                   a fresh c_nonce
//	POST /credential                              Bearer token + JWT proof → credential
func (w *Wallet) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-credential-issuer", w.serveMetadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", w.serveASMetadata)
	mux.HandleFunc("GET /offers/{id}", w.serveOffer)
	mux.HandleFunc("POST /token", w.serveToken)
	mux.HandleFunc("POST /nonce", w.serveNonce)
	mux.HandleFunc("POST /credential", w.serveCredential)
	return w.cfg.Service.Middleware(mux)
}

// MetadataHandler serves only the issuer metadata, for a host that also
// publishes it at its origin's /.well-known/openid-credential-issuer{path}.
func (w *Wallet) MetadataHandler() http.Handler { return http.HandlerFunc(w.serveMetadata) }

// Metadata returns the Credential Issuer Metadata.
func (w *Wallet) Metadata() map[string]any {
	configs := map[string]any{}
	for _, c := range w.cfg.Configurations {
		def := map[string]any{"type": slices.Clone(c.Types)}
		if c.Format == vc.FormatLDP {
			def["@context"] = slices.Clone(c.Contexts)
		}
		entry := map[string]any{
			"format": c.Format,
			"cryptographic_binding_methods_supported": []string{"did:key", "did:web", "did:jwk", "jwk"},
			"credential_signing_alg_values_supported": slices.Clone(c.SigningAlgs),
			"proof_types_supported": map[string]any{
				"jwt": map[string]any{"proof_signing_alg_values_supported": proofAlgs()},
			},
			"credential_definition": def,
		}
		if c.DisplayName != "" {
			entry["display"] = []map[string]string{{"name": c.DisplayName, "locale": "en-US"}}
		}
		configs[c.ID] = entry
	}
	md := map[string]any{
		"credential_issuer":                   w.base,
		"credential_endpoint":                 w.base + "/credential",
		"nonce_endpoint":                      w.base + "/nonce",
		"token_endpoint":                      w.base + "/token",
		"credential_configurations_supported": configs,
	}
	if w.cfg.IssuerName != "" {
		md["display"] = []map[string]string{{"name": w.cfg.IssuerName, "locale": "en-US"}}
	}
	return md
}

func (w *Wallet) serveMetadata(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	wallet.WriteJSON(rw, http.StatusOK, w.Metadata())
}

func (w *Wallet) serveASMetadata(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	wallet.WriteJSON(rw, http.StatusOK, map[string]any{
		"issuer":         w.base,
		"token_endpoint": w.base + "/token",
		"pre-authorized_grant_anonymous_access_supported": true,
		"grant_types_supported":                           []string{GrantPreAuthorized},
		"response_types_supported":                        []string{},
	})
}

func (w *Wallet) serveOffer(rw http.ResponseWriter, r *http.Request) {
	svc := w.cfg.Service
	id := r.PathValue("id")
	ex, err := svc.Store().Exchanges().Get(r.Context(), id, svc.Now())
	if err != nil {
		w.cfg.Service.WriteError(rw, r, w.offerErr(r.Context(), id, err))
		return
	}
	var d offerData
	if ex.Protocol != Protocol || json.Unmarshal(ex.Data, &d) != nil {
		w.cfg.Service.WriteError(rw, r, wallet.Fail(wallet.ErrNotFound, "no credential offer %q", clip(id)))
		return
	}
	if ex.State != StateOffered || d.Code == "" {
		w.cfg.Service.WriteError(rw, r, wallet.Fail(wallet.ErrReplayed, "credential offer %s was already redeemed", id))
		return
	}
	wallet.WriteJSON(rw, http.StatusOK, w.offerFor(d.Configs, d.Code))
}

// offerErr maps an offer lookup failure (the store reports an expired
// exchange as not found; the issuance record with the same id tells).
func (w *Wallet) offerErr(ctx context.Context, id string, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("oid4vci: offer %s: %w", clip(id), err)
	}
	if rec, gerr := w.cfg.Service.Pending(ctx, parseUUID(id)); gerr != nil && rec.Wallet == w.cfg.ID {
		return gerr
	} else if gerr == nil && rec.Wallet == w.cfg.ID {
		return wallet.Fail(wallet.ErrExpired, "credential offer %s expired", id)
	}
	return wallet.Fail(wallet.ErrNotFound, "no credential offer %q", clip(id))
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// KeysFrom resolves proof keys through a vc.Resolver (vc/did.Resolver for
// did:key and did:web): the method must be an Ed25519 key controlled by the
// DID of kid and listed under its "authentication" relationship.
func KeysFrom(r vc.Resolver) KeyResolver {
	return KeyResolverFunc(func(ctx context.Context, didURL string) (crypto.PublicKey, error) {
		m, err := r.ResolveVerificationMethod(ctx, didURL)
		if err != nil {
			return nil, err
		}
		if m.Controller != vc.DIDOf(didURL) || !m.Allows("authentication") {
			return nil, fmt.Errorf("%s is not an authentication key of %s", didURL, vc.DIDOf(didURL))
		}
		if len(m.PublicKey) == 0 {
			return nil, fmt.Errorf("%s has no Ed25519 key", didURL)
		}
		return m.PublicKey, nil
	})
}
