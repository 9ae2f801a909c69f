package lcw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/qr"
	"github.com/google/uuid"
)

// Defaults for Config.
const (
	// ID is the default wallet id.
	ID = "lcw"
	// OpenEdXID is the id Open edX gives the same wallet ("lc_wallet");
	// register it as an alias (wallet.WithAlias) to keep Open edX front ends working.
	OpenEdXID = "lc_wallet"
	// DefaultDeepLink is the LCW's custom-scheme request link.
	DefaultDeepLink = "dccrequest://request"
	// DefaultUniversalLink is the LCW's https request page, which opens the
	// app when installed (the DCC "directDeepLink").
	DefaultUniversalLink = "https://lcw.app/request.html"
	// DefaultAppLinkAndroid and DefaultAppLinkIOS are the LCW's store pages.
	DefaultAppLinkAndroid = "https://play.google.com/store/apps/details?id=app.lcw"
	DefaultAppLinkIOS     = "https://apps.apple.com/app/learner-credential-wallet/id1590615710"
	// DefaultVPVersion is the vp_version the deep link announces.
	DefaultVPVersion = "1.1"
)

// Config configures the Learner Credential Wallet protocol.
type Config struct {
	// Service issues the credentials; required.
	Service *wallet.Service
	// BaseURL is the absolute URL at which Handler is mounted (for example
	// "https://credentials.example.edu/wallet/lcw"); required. The wallet's
	// request URL is BaseURL + "/issue/{id}".
	BaseURL string
	// ID and Name identify the wallet; defaults ID and "Learner Credential Wallet".
	ID, Name string
	// DeepLink, UniversalLink, AppLinkAndroid, AppLinkIOS override the
	// defaults above; set UniversalLink to "-" to leave it out.
	DeepLink, UniversalLink, AppLinkAndroid, AppLinkIOS string
	// VPVersion is the vp_version deep-link parameter (default "1.1").
	VPVersion string
	// DataModel is the data model used when the offer names none.
	DataModel string
	// MaxBody limits the wallet's request body (default wallet.DefaultMaxBody).
	MaxBody int64
	// QRSize is the QR code's side in pixels (default qr.DefaultSize).
	QRSize int
}

// Wallet is the Learner Credential Wallet protocol (wallet.Protocol).
type Wallet struct {
	cfg  Config
	base *url.URL
}

var _ wallet.Protocol = (*Wallet)(nil)

// New validates cfg and returns the wallet.
func New(cfg Config) (*Wallet, error) {
	if cfg.Service == nil {
		return nil, errors.New("lcw: Config.Service is required")
	}
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("lcw: Config.BaseURL: %w", err)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&cfg.ID, ID)
	def(&cfg.Name, "Learner Credential Wallet")
	def(&cfg.DeepLink, DefaultDeepLink)
	def(&cfg.UniversalLink, DefaultUniversalLink)
	def(&cfg.AppLinkAndroid, DefaultAppLinkAndroid)
	def(&cfg.AppLinkIOS, DefaultAppLinkIOS)
	def(&cfg.VPVersion, DefaultVPVersion)
	if cfg.UniversalLink == "-" {
		cfg.UniversalLink = ""
	}
	if cfg.MaxBody < 0 || cfg.QRSize < 0 {
		return nil, errors.New("lcw: Config.MaxBody and QRSize must not be negative")
	}
	return &Wallet{cfg: cfg, base: base}, nil
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL without query", s)
	}
	return u, nil
}

// Info implements wallet.Protocol.
func (w *Wallet) Info() wallet.Info {
	return wallet.Info{
		ID: w.cfg.ID, Name: w.cfg.Name, Kind: wallet.Mobile,
		OfferBy: "deep-link", AuthBy: "didauth-presentation", ReturnBy: "credential",
		Formats: []string{vc.FormatLDP},
	}
}

// RequestURL returns the URL the wallet posts its presentation to for
// issuance record id.
func (w *Wallet) RequestURL(id uuid.UUID) string {
	return w.base.String() + "/issue/" + id.String()
}

// DeepLinkParams are the parameters of an LCW credential request link.
type DeepLinkParams struct {
	Issuer       string
	VCRequestURL string
	AuthType     string
	Challenge    string
	VPVersion    string
}

// Link returns base?issuer=…&vc_request_url=…&auth_type=…&challenge=…&vp_version=…
// with the parameters in that order (as Open edX writes them).
func (p DeepLinkParams) Link(base string) string {
	var b strings.Builder
	b.WriteString(base)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, kv := range [][2]string{
		{"issuer", p.Issuer}, {"vc_request_url", p.VCRequestURL}, {"auth_type", p.AuthType},
		{"challenge", p.Challenge}, {"vp_version", p.VPVersion},
	} {
		if kv[1] == "" {
			continue
		}
		b.WriteString(sep)
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
		sep = "&"
	}
	return b.String()
}

// ParseDeepLink reads an LCW credential request link (custom scheme or
// https). It requires issuer, an absolute http(s) vc_request_url and
// auth_type "bearer" (the only one the LCW speaks). Errors match
// wallet.ErrMalformed.
func ParseDeepLink(link string) (DeepLinkParams, error) {
	var p DeepLinkParams
	if len(link) > 8<<10 {
		return p, wallet.Fail(wallet.ErrMalformed, "deep link longer than 8 KiB")
	}
	u, err := url.Parse(link)
	if err != nil {
		return p, wallet.Fail(wallet.ErrMalformed, "deep link: %v", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return p, wallet.Fail(wallet.ErrMalformed, "deep link query: %v", err)
	}
	p = DeepLinkParams{
		Issuer: q.Get("issuer"), VCRequestURL: q.Get("vc_request_url"), AuthType: q.Get("auth_type"),
		Challenge: q.Get("challenge"), VPVersion: q.Get("vp_version"),
	}
	if p.Issuer == "" || p.VCRequestURL == "" {
		return p, wallet.Fail(wallet.ErrMalformed, "deep link lacks issuer or vc_request_url")
	}
	ru, err := url.Parse(p.VCRequestURL)
	if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return p, wallet.Fail(wallet.ErrMalformed, "vc_request_url is not an absolute http(s) URL")
	}
	if p.AuthType != "bearer" {
		return p, wallet.Fail(wallet.ErrUnsupported, "auth_type %q is not supported (only bearer)", p.AuthType)
	}
	if p.Challenge == "" {
		return p, wallet.Fail(wallet.ErrMalformed, "deep link lacks a challenge")
	}
	return p, nil
}

// Offer implements wallet.Protocol: it starts an issuance for the authenticated
// learner's own award and returns the deep link, the universal link, the
// app links and a QR code of the deep link.
func (w *Wallet) Offer(ctx context.Context, req wallet.OfferRequest) (wallet.Offer, error) {
	if req.Format == "" {
		req.Format = vc.FormatLDP
	}
	if req.Format != vc.FormatLDP {
		return wallet.Offer{}, wallet.Fail(wallet.ErrUnsupported, "the Learner Credential Wallet takes %s credentials only", vc.FormatLDP)
	}
	if req.DataModel == "" {
		req.DataModel = w.cfg.DataModel
	}
	rec, err := w.cfg.Service.Begin(ctx, w.cfg.ID, req)
	if err != nil {
		return wallet.Offer{}, err
	}
	params := DeepLinkParams{
		Issuer: rec.IssuerID, VCRequestURL: w.RequestURL(rec.ID), AuthType: "bearer",
		Challenge: rec.Challenge, VPVersion: w.cfg.VPVersion,
	}
	deep := params.Link(w.cfg.DeepLink)
	png, err := qr.PNG(deep, w.cfg.QRSize)
	if err != nil {
		return wallet.Offer{}, err
	}
	o := wallet.Offer{
		Wallet: w.cfg.ID, IssuanceID: rec.ID, URL: params.VCRequestURL, DeepLink: deep,
		AppLinks: map[string]string{}, QRCodePNG: png, ExpiresAt: rec.ChallengeExpires,
	}
	if w.cfg.UniversalLink != "" {
		o.UniversalLink = params.Link(w.cfg.UniversalLink)
	}
	if w.cfg.AppLinkAndroid != "" {
		o.AppLinks["android"] = w.cfg.AppLinkAndroid
	}
	if w.cfg.AppLinkIOS != "" {
		o.AppLinks["ios"] = w.cfg.AppLinkIOS
	}
	return o, nil
}

// Handler implements wallet.Protocol. It serves
//
//	POST /issue/{id}   body: the wallet's DIDAuth presentation → 201 with the signed credential
func (w *Wallet) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /issue/{id}", w.serveIssue)
	mux.HandleFunc("POST /issue/{id}/{$}", w.serveIssue)
	return w.cfg.Service.Middleware(mux)
}

func (w *Wallet) serveIssue(rw http.ResponseWriter, r *http.Request) {
	cred, err := w.issue(r.Context(), rw, r)
	if err != nil {
		w.cfg.Service.WriteError(rw, r, err)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(http.StatusCreated)
	_, _ = rw.Write(cred)
}

func (w *Wallet) issue(ctx context.Context, rw http.ResponseWriter, r *http.Request) ([]byte, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return nil, wallet.Fail(wallet.ErrNotFound, "no issuance request %q", r.PathValue("id"))
	}
	if err := wallet.CheckJSONContentType(r); err != nil {
		return nil, err
	}
	body, err := wallet.ReadBody(rw, r, w.cfg.MaxBody)
	if err != nil {
		return nil, err
	}
	svc := w.cfg.Service
	rec, err := svc.Pending(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Wallet != w.cfg.ID {
		return nil, wallet.Fail(wallet.ErrNotFound, "no %s issuance request %s", w.cfg.ID, id)
	}
	holder, err := svc.AuthenticatePresentation(ctx, rec, body, "")
	if err != nil {
		return nil, err
	}
	issued, err := svc.Complete(ctx, wallet.CompleteRequest{ID: id, Challenge: rec.Challenge, HolderDID: holder, Format: vc.FormatLDP})
	if err != nil {
		return nil, err
	}
	return issued.Credential.Credential, nil
}
