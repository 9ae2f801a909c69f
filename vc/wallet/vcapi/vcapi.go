package vcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/qr"
	"github.com/google/uuid"
)

// Protocol is the store.Exchange protocol name of VC-API exchanges.
const Protocol = "vcapi"

// Exchange states.
const (
	StatePending  = "pending"  // created by an offer; no request sent yet
	StateActive   = "active"   // the VerifiablePresentationRequest was sent
	StateComplete = "complete" // the credential was delivered
)

// Defaults for Config.
const (
	ID                   = "vcapi"
	DefaultDeepLink      = "dccrequest://request"
	DefaultUniversalLink = "https://lcw.app/request.html"
)

// Config configures VC-API exchanges.
type Config struct {
	// Service issues the credentials; required.
	Service *wallet.Service
	// BaseURL is the absolute URL at which Handler is mounted; required.
	// Exchange URLs are BaseURL + "/exchanges/{id}".
	BaseURL string
	// ID and Name identify the wallet protocol (defaults "vcapi",
	// "Wallet (VC-API exchange)").
	ID, Name string
	// Domain is the domain the holder's proof must be bound to; default the
	// origin of BaseURL ("https://host").
	Domain string
	// DeepLink and UniversalLink prefix the "request" link handed to the
	// wallet; defaults as the DCC Learner Credential Wallet reads them. Set
	// UniversalLink to "-" to leave it out.
	DeepLink, UniversalLink string
	// DataModel is the data model used when the offer names none.
	DataModel string
	// MaxBody limits the wallet's request body (default wallet.DefaultMaxBody).
	MaxBody int64
	// QRSize is the QR code's side in pixels.
	QRSize int
}

// Wallet serves VC-API exchanges (wallet.Protocol).
type Wallet struct {
	cfg    Config
	base   string
	origin string
}

var _ wallet.Protocol = (*Wallet)(nil)

// New validates cfg and returns the wallet protocol.
func New(cfg Config) (*Wallet, error) {
	if cfg.Service == nil {
		return nil, errors.New("vcapi: Config.Service is required")
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("vcapi: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	origin := u.Scheme + "://" + u.Host
	def(&cfg.ID, ID)
	def(&cfg.Name, "Wallet (VC-API exchange)")
	def(&cfg.Domain, origin)
	def(&cfg.DeepLink, DefaultDeepLink)
	def(&cfg.UniversalLink, DefaultUniversalLink)
	if cfg.UniversalLink == "-" {
		cfg.UniversalLink = ""
	}
	return &Wallet{cfg: cfg, base: u.String(), origin: origin}, nil
}

// Info implements wallet.Protocol.
func (w *Wallet) Info() wallet.Info {
	return wallet.Info{
		ID: w.cfg.ID, Name: w.cfg.Name, Kind: wallet.Mobile,
		OfferBy: "vc-api-exchange", AuthBy: "didauth-presentation", ReturnBy: "presentation",
		Formats: []string{vc.FormatLDP},
	}
}

// ExchangeURL returns the URL of exchange id.
func (w *Wallet) ExchangeURL(id string) string { return w.base + "/exchanges/" + id }

// Interaction is the wallet request that points at an exchange (the CHAPI /
// LCW "request" deep-link parameter).
type Interaction struct {
	CredentialRequestOrigin string            `json:"credentialRequestOrigin"`
	Protocols               map[string]string `json:"protocols"`
}

// exchangeData is the protocol data kept in store.Exchange.Data.
type exchangeData struct {
	Issuance uuid.UUID `json:"issuance"`
	Domain   string    `json:"domain"`
}

// Offer implements wallet.Protocol: it starts an issuance for the authenticated
// learner's own award and stores a one-time exchange that lives as long as
// the issuance's challenge.
func (w *Wallet) Offer(ctx context.Context, req wallet.OfferRequest) (wallet.Offer, error) {
	if req.Format == "" {
		req.Format = vc.FormatLDP
	}
	if req.Format != vc.FormatLDP {
		return wallet.Offer{}, wallet.Fail(wallet.ErrUnsupported, "VC-API exchanges deliver %s credentials only", vc.FormatLDP)
	}
	if req.DataModel == "" {
		req.DataModel = w.cfg.DataModel
	}
	svc := w.cfg.Service
	rec, err := svc.Begin(ctx, w.cfg.ID, req)
	if err != nil {
		return wallet.Offer{}, err
	}
	data, _ := json.Marshal(exchangeData{Issuance: rec.ID, Domain: w.cfg.Domain})
	ex := store.Exchange{
		ID: rec.ID.String(), Protocol: Protocol, State: StatePending,
		LearnerID: rec.LearnerID, AwardUUID: rec.AwardUUID, Data: data, ExpiresAt: rec.ChallengeExpires,
	}
	if err := svc.Store().Exchanges().Create(ctx, ex); err != nil {
		return wallet.Offer{}, fmt.Errorf("vcapi: storing exchange: %w", err)
	}
	exURL := w.ExchangeURL(ex.ID)
	msg, _ := json.Marshal(Interaction{CredentialRequestOrigin: w.origin, Protocols: map[string]string{"vcapi": exURL}})
	deep := linkWithRequest(w.cfg.DeepLink, msg)
	png, err := qr.PNG(deep, w.cfg.QRSize)
	if err != nil {
		return wallet.Offer{}, err
	}
	o := wallet.Offer{
		Wallet: w.cfg.ID, IssuanceID: rec.ID, URL: exURL, DeepLink: deep, QRCodePNG: png,
		Message: msg, ExpiresAt: rec.ChallengeExpires,
	}
	if w.cfg.UniversalLink != "" {
		o.UniversalLink = linkWithRequest(w.cfg.UniversalLink, msg)
	}
	return o, nil
}

func linkWithRequest(base string, msg []byte) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "request=" + url.QueryEscape(string(msg))
}

// Query is one query of a VerifiablePresentationRequest.
type Query struct {
	Type            string           `json:"type"`
	AcceptedMethods []map[string]any `json:"acceptedMethods,omitempty"`
}

// PresentationRequest is a VerifiablePresentationRequest.
type PresentationRequest struct {
	Query     []Query `json:"query"`
	Challenge string  `json:"challenge"`
	Domain    string  `json:"domain"`
}

// Message is a VC-API exchange message, in either direction.
type Message struct {
	VerifiablePresentationRequest *PresentationRequest `json:"verifiablePresentationRequest,omitempty"`
	VerifiablePresentation        json.RawMessage      `json:"verifiablePresentation,omitempty"`
	RedirectURL                   string               `json:"redirectUrl,omitempty"`
}

// ParseMessage parses what a wallet posts to an exchange: an empty body or
// an empty object starts the exchange; {"verifiablePresentation": …}
// answers its request. Errors match wallet.ErrMalformed.
func ParseMessage(b []byte) (Message, error) {
	var m Message
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	var raw map[string]json.RawMessage
	if err := wallet.DecodeJSON(b, &raw); err != nil {
		return m, err
	}
	if raw == nil {
		return m, wallet.Fail(wallet.ErrMalformed, "the exchange message must be a JSON object")
	}
	if vp, ok := raw["verifiablePresentation"]; ok {
		vp = bytes.TrimSpace(vp)
		if len(vp) == 0 || vp[0] != '{' {
			return m, wallet.Fail(wallet.ErrMalformed, `"verifiablePresentation" must be an object`)
		}
		m.VerifiablePresentation = vp
	}
	return m, nil
}

// Handler implements wallet.Protocol. It serves
//
//	POST /exchanges/{id}   {} → 200 {"verifiablePresentationRequest": {query: DIDAuthentication, challenge, domain}}
//	                       {"verifiablePresentation": DIDAuth VP} → 200 {"verifiablePresentation": {verifiableCredential: [credential]}}
func (w *Wallet) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /exchanges/{id}", w.serve)
	mux.HandleFunc("POST /exchanges/{id}/{$}", w.serve)
	return w.cfg.Service.Middleware(mux)
}

func (w *Wallet) serve(rw http.ResponseWriter, r *http.Request) {
	out, err := w.step(r.Context(), rw, r)
	if err != nil {
		w.cfg.Service.WriteError(rw, r, err)
		return
	}
	wallet.WriteJSON(rw, http.StatusOK, out)
}

func (w *Wallet) step(ctx context.Context, rw http.ResponseWriter, r *http.Request) (Message, error) {
	id := r.PathValue("id")
	if err := wallet.CheckJSONContentType(r); err != nil {
		return Message{}, err
	}
	body, err := wallet.ReadBody(rw, r, w.cfg.MaxBody)
	if err != nil {
		return Message{}, err
	}
	msg, err := ParseMessage(body)
	if err != nil {
		return Message{}, err
	}
	svc := w.cfg.Service
	ex, data, err := w.load(ctx, id)
	if err != nil {
		return Message{}, err
	}
	if ex.State == StateComplete {
		return Message{}, wallet.Fail(wallet.ErrReplayed, "exchange %s is complete; its credential was already delivered", id)
	}
	rec, err := svc.Pending(ctx, data.Issuance)
	if err != nil {
		return Message{}, err
	}
	if msg.VerifiablePresentation == nil {
		if ex.State == StatePending {
			if _, err := svc.Store().Exchanges().Transition(ctx, id, StatePending, StateActive, nil, svc.Now()); err != nil && !errors.Is(err, store.ErrConflict) {
				return Message{}, w.storeErr(ctx, id, err)
			}
		}
		return Message{VerifiablePresentationRequest: &PresentationRequest{
			Query:     []Query{{Type: "DIDAuthentication", AcceptedMethods: []map[string]any{{"method": "key"}, {"method": "web"}}}},
			Challenge: rec.Challenge, Domain: data.Domain,
		}}, nil
	}
	holder, err := svc.AuthenticatePresentation(ctx, rec, msg.VerifiablePresentation, data.Domain)
	if err != nil {
		return Message{}, err
	}
	issued, err := svc.Complete(ctx, wallet.CompleteRequest{
		ID: rec.ID, Challenge: rec.Challenge, HolderDID: holder, Format: vc.FormatLDP,
		InTx: func(ctx context.Context, tx store.Repos, _ wallet.Issued) error {
			_, err := tx.Exchanges().Transition(ctx, id, ex.State, StateComplete, nil, svc.Now())
			if errors.Is(err, store.ErrConflict) {
				return wallet.Fail(wallet.ErrReplayed, "exchange %s moved on concurrently", id)
			}
			return err
		},
	})
	if err != nil {
		return Message{}, err
	}
	vp, err := wrap(issued.Credential.Credential)
	if err != nil {
		return Message{}, err
	}
	return Message{VerifiablePresentation: vp}, nil
}

// load returns a live exchange of this protocol: 404 for an unknown id, 410
// when it expired.
func (w *Wallet) load(ctx context.Context, id string) (store.Exchange, exchangeData, error) {
	svc := w.cfg.Service
	ex, err := svc.Store().Exchanges().Get(ctx, id, svc.Now())
	if err != nil {
		return ex, exchangeData{}, w.storeErr(ctx, id, err)
	}
	var data exchangeData
	if ex.Protocol != Protocol || json.Unmarshal(ex.Data, &data) != nil {
		return ex, data, wallet.Fail(wallet.ErrNotFound, "no exchange %q", clip(id))
	}
	return ex, data, nil
}

// storeErr maps an exchange lookup failure. The store answers "not found"
// for an expired exchange too; the issuance record (same id) tells which.
func (w *Wallet) storeErr(ctx context.Context, id string, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("vcapi: exchange %s: %w", clip(id), err)
	}
	if rid, perr := uuid.Parse(id); perr == nil {
		if rec, gerr := w.cfg.Service.Store().Issuance().Get(ctx, rid); gerr == nil && rec.Wallet == w.cfg.ID {
			if rec.State == store.IssuanceIssued {
				return wallet.Fail(wallet.ErrReplayed, "exchange %s is complete; its credential was already delivered", id)
			}
			return wallet.Fail(wallet.ErrExpired, "exchange %s expired", id)
		}
	}
	return wallet.Fail(wallet.ErrNotFound, "no exchange %q", clip(id))
}

// wrap puts a credential into an unsigned presentation, with the data
// model's base context.
func wrap(cred json.RawMessage) (json.RawMessage, error) {
	var head struct {
		Context []json.RawMessage `json:"@context"`
	}
	_ = json.Unmarshal(cred, &head)
	ctxURL := json.RawMessage(`"` + vc.ContextV2 + `"`)
	if len(head.Context) > 0 {
		ctxURL = head.Context[0]
	}
	return json.Marshal(map[string]any{
		"@context":             []json.RawMessage{ctxURL},
		"type":                 []string{"VerifiablePresentation"},
		"verifiableCredential": []json.RawMessage{cred},
	})
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
