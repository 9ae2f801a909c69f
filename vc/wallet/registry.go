package wallet

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Registry holds the wallet protocols a host offers, selected by id like
// Open edX's storages. It is immutable after NewRegistry and safe for
// concurrent use.
type Registry struct {
	order   []string
	wallets map[string]Protocol
	aliases map[string]string
	maxBody int64
	timeout time.Duration
	log     *slog.Logger
}

// RegistryOption configures a Registry.
type RegistryOption func(*Registry) error

// WithAlias lets requests name wallet id by another id too, e.g. Open edX's
// "lc_wallet" for "lcw", so an existing Learner Record front end keeps
// working.
func WithAlias(alias, id string) RegistryOption {
	return func(r *Registry) error {
		if alias == "" || id == "" {
			return errors.New("wallet: WithAlias needs an alias and an id")
		}
		r.aliases[alias] = id
		return nil
	}
}

// WithMaxBody sets the limit on the init request body (default DefaultMaxBody).
func WithMaxBody(n int64) RegistryOption {
	return func(r *Registry) error {
		if n <= 0 {
			return errors.New("wallet: WithMaxBody needs a positive limit")
		}
		r.maxBody = n
		return nil
	}
}

// WithRequestTimeout sets the deadline of an init request (default
// DefaultRequestTimeout); the wallets' own endpoints have their Service's
// Config.RequestTimeout.
func WithRequestTimeout(d time.Duration) RegistryOption {
	return func(r *Registry) error {
		if d <= 0 {
			return errors.New("wallet: WithRequestTimeout needs a positive duration")
		}
		r.timeout = d
		return nil
	}
}

// WithLogger sets the logger of refused and failed init requests (default
// slog.Default()).
func WithLogger(l *slog.Logger) RegistryOption {
	return func(r *Registry) error {
		if l == nil {
			return errors.New("wallet: WithLogger needs a logger")
		}
		r.log = l
		return nil
	}
}

// NewRegistry returns a registry of ws. Ids must be unique, non-empty and
// usable as a path segment.
func NewRegistry(ws []Protocol, opts ...RegistryOption) (*Registry, error) {
	r := &Registry{wallets: map[string]Protocol{}, aliases: map[string]string{}, maxBody: DefaultMaxBody,
		timeout: DefaultRequestTimeout, log: slog.Default()}
	for _, w := range ws {
		if w == nil {
			return nil, errors.New("wallet: nil wallet")
		}
		id := w.Info().ID
		if id == "" || strings.ContainsAny(id, "/?#% ") {
			return nil, fmt.Errorf("wallet: wallet id %q is not a path segment", id)
		}
		if _, dup := r.wallets[id]; dup {
			return nil, fmt.Errorf("wallet: two wallets with id %q", id)
		}
		r.wallets[id] = w
		r.order = append(r.order, id)
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	r.log = r.log.With("component", "credshare/vc/wallet")
	for a, id := range r.aliases {
		if _, ok := r.wallets[id]; !ok {
			return nil, fmt.Errorf("wallet: alias %q names unknown wallet %q", a, id)
		}
	}
	return r, nil
}

// Get returns the wallet with id (or an alias of it).
func (r *Registry) Get(id string) (Protocol, bool) {
	if real, ok := r.aliases[id]; ok {
		id = real
	}
	w, ok := r.wallets[id]
	return w, ok
}

// Wallets returns the wallets' descriptions in registration order.
func (r *Registry) Wallets() []Info {
	out := make([]Info, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.wallets[id].Info())
	}
	return out
}

// InitRequest is the body of POST credentials/init/. The member names are
// Open edX's, so its Learner Record front end can call credshare unchanged.
type InitRequest struct {
	// CredentialUUID is the award's UUID.
	CredentialUUID string `json:"credential_uuid"`
	// StorageID selects the wallet.
	StorageID string `json:"storage_id"`
	// Format and DataModel are optional (see OfferRequest).
	Format    string `json:"format,omitempty"`
	DataModel string `json:"data_model,omitempty"`
}

// ParseInitRequest parses and validates an init body. Errors match
// ErrMalformed.
func ParseInitRequest(b []byte) (InitRequest, uuid.UUID, error) {
	var req InitRequest
	if err := DecodeJSON(b, &req); err != nil {
		return req, uuid.Nil, err
	}
	if req.StorageID == "" {
		return req, uuid.Nil, Fail(ErrMalformed, `"storage_id" is required`)
	}
	id, err := uuid.Parse(req.CredentialUUID)
	if err != nil || id == uuid.Nil {
		return req, uuid.Nil, Fail(ErrMalformed, `"credential_uuid" is not a UUID`)
	}
	return req, id, nil
}

// InitResponse is the answer to POST credentials/init/: Open edX's members
// (deeplink, qrcode as base64 PNG, app links) plus the full offer.
type InitResponse struct {
	DeepLink       string `json:"deeplink"`
	QRCode         string `json:"qrcode,omitempty"`
	AppLinkAndroid string `json:"app_link_android,omitempty"`
	AppLinkIOS     string `json:"app_link_ios,omitempty"`
	// Redirect is true for web wallets: the front end navigates to DeepLink.
	Redirect bool  `json:"redirect,omitempty"`
	Offer    Offer `json:"offer"`
}

// NewInitResponse builds the init answer from an offer.
func NewInitResponse(info Info, o Offer) InitResponse {
	resp := InitResponse{DeepLink: o.DeepLink, Offer: o}
	if len(o.QRCodePNG) > 0 {
		resp.QRCode = base64.StdEncoding.EncodeToString(o.QRCodePNG)
		resp.Offer.QRCodePNG = nil // sent once, as "qrcode"
	}
	if info.Kind == Web {
		resp.Redirect = true
	} else {
		resp.AppLinkAndroid, resp.AppLinkIOS = o.AppLinks["android"], o.AppLinks["ios"]
	}
	return resp
}

// Handler serves, relative to where the host mounts it:
//
//	GET  storages/            the wallets: [{"id","name"}] (public)
//	POST credentials/init/    {"credential_uuid","storage_id"} → InitResponse (learner session)
//	     /{walletID}/…        each wallet's own endpoints (wallet-authenticated)
//
// auth says who the learner is; init refuses an award of anyone else.
// Trailing slashes are optional. Every request gets a request id
// (RequestIDHeader), which the wallets' handlers keep; init runs with the
// deadline of WithRequestTimeout, and its refusals are logged with the id.
func (r *Registry) Handler(auth LearnerAuth) http.Handler {
	mux := http.NewServeMux()
	storages := func(w http.ResponseWriter, _ *http.Request) {
		type storage struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		out := make([]storage, 0, len(r.order))
		for _, info := range r.Wallets() {
			out = append(out, storage{ID: info.ID, Name: info.Name})
		}
		WriteJSON(w, http.StatusOK, out)
	}
	mux.HandleFunc("GET /storages/{$}", storages)
	mux.HandleFunc("GET /storages", storages)
	initH := func(w http.ResponseWriter, req *http.Request) {
		withDeadline(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.serveInit(w, req, auth) }), w, req, r.timeout)
	}
	mux.HandleFunc("POST /credentials/init/{$}", initH)
	mux.HandleFunc("POST /credentials/init", initH)
	for _, id := range r.order {
		mux.Handle("/"+id+"/", http.StripPrefix("/"+id, r.wallets[id].Handler()))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { mux.ServeHTTP(w, withRequestID(w, req)) })
}

func (r *Registry) serveInit(w http.ResponseWriter, req *http.Request, auth LearnerAuth) {
	if auth == nil {
		r.fail(w, req, Fail(ErrUnauthenticated, "the host configured no learner authentication"))
		return
	}
	learner, err := auth.Learner(req)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			r.fail(w, req, Fail(ErrUnauthenticated, "sign in to add a credential to a wallet"))
			return
		}
		r.fail(w, req, err)
		return
	}
	if learner <= 0 {
		r.fail(w, req, Fail(ErrUnauthenticated, "sign in to add a credential to a wallet"))
		return
	}
	if err := CheckJSONContentType(req); err != nil {
		r.fail(w, req, err)
		return
	}
	b, err := ReadBody(w, req, r.maxBody)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	in, award, err := ParseInitRequest(b)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	wal, ok := r.Get(in.StorageID)
	if !ok {
		r.fail(w, req, Fail(ErrNotFound, "no wallet %q (known: %s)", clip(in.StorageID), strings.Join(slices.Clone(r.order), ", ")))
		return
	}
	offer, err := wal.Offer(req.Context(), OfferRequest{LearnerID: learner, AwardUUID: award, Format: in.Format, DataModel: in.DataModel})
	if err != nil {
		r.fail(w, req, err)
		return
	}
	WriteJSON(w, http.StatusOK, NewInitResponse(wal.Info(), offer))
}

func (r *Registry) fail(w http.ResponseWriter, req *http.Request, err error) {
	writeLogged(r.log, w, req, err)
}
