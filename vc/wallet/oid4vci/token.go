package oid4vci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

func parseUUID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// TokenRequest is a token request with the pre-authorized code grant.
type TokenRequest struct {
	GrantType string
	Code      string
	TxCode    string
}

// ParseTokenRequest parses a token request body
// (application/x-www-form-urlencoded; JSON is accepted too, as some wallets
// send it). Errors are OAuth errors (invalid_request, unsupported_grant_type).
func ParseTokenRequest(contentType string, body []byte) (TokenRequest, error) {
	var tr TokenRequest
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json":
		var j map[string]any
		if err := wallet.DecodeJSON(body, &j); err != nil {
			return tr, err.(*wallet.Error).WithCode("invalid_request", 0)
		}
		str := func(k string) string { s, _ := j[k].(string); return s }
		tr = TokenRequest{GrantType: str("grant_type"), Code: str("pre-authorized_code"), TxCode: str("tx_code")}
	case "", "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return tr, wallet.Fail(wallet.ErrMalformed, "malformed form body").WithCause(err).WithCode("invalid_request", 0)
		}
		for k, v := range q {
			if len(v) > 1 {
				return tr, wallet.Fail(wallet.ErrMalformed, "parameter %q repeated", clip(k)).WithCode("invalid_request", 0)
			}
		}
		tr = TokenRequest{GrantType: q.Get("grant_type"), Code: q.Get("pre-authorized_code"), TxCode: q.Get("tx_code")}
		if tr.TxCode == "" {
			tr.TxCode = q.Get("user_pin")
		}
	default:
		return tr, wallet.Fail(wallet.ErrMalformed, "content type %q is not a form", contentType).WithCode("invalid_request", 0)
	}
	if tr.GrantType != GrantPreAuthorized {
		return tr, wallet.Fail(wallet.ErrUnsupported, "grant_type %q is not supported; use %s", clip(tr.GrantType), GrantPreAuthorized).WithCode("unsupported_grant_type", 0)
	}
	if tr.Code == "" {
		return tr, wallet.Fail(wallet.ErrMalformed, "pre-authorized_code is required").WithCode("invalid_request", 0)
	}
	return tr, nil
}

// TokenResponse is the token endpoint's answer. c_nonce is included for
// wallets written against drafts before the nonce endpoint.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	CNonce          string `json:"c_nonce,omitempty"`
	CNonceExpiresIn int64  `json:"c_nonce_expires_in,omitempty"`
}

func (w *Wallet) serveToken(rw http.ResponseWriter, r *http.Request) {
	resp, err := w.token(r.Context(), rw, r)
	if err != nil {
		w.cfg.Service.WriteError(rw, r, err)
		return
	}
	rw.Header().Set("Pragma", "no-cache")
	wallet.WriteJSON(rw, http.StatusOK, resp)
}

func invalidGrant(kind error, format string, args ...any) error {
	return wallet.Fail(kind, format, args...).WithCode("invalid_grant", http.StatusBadRequest)
}

func (w *Wallet) token(ctx context.Context, rw http.ResponseWriter, r *http.Request) (TokenResponse, error) {
	body, err := wallet.ReadBody(rw, r, w.cfg.MaxBody)
	if err != nil {
		return TokenResponse{}, err
	}
	tr, err := ParseTokenRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		return TokenResponse{}, err
	}
	offerID, _, ok := strings.Cut(tr.Code, ".")
	if !ok {
		return TokenResponse{}, invalidGrant(wallet.ErrNotFound, "unknown pre-authorized code")
	}
	svc := w.cfg.Service
	now := svc.Now()
	ex, err := svc.Store().Exchanges().Get(ctx, offerID, now)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			werr := w.offerErr(ctx, offerID, err)
			var we *wallet.Error
			if errors.As(werr, &we) {
				return TokenResponse{}, we.WithCode("invalid_grant", http.StatusBadRequest)
			}
		}
		return TokenResponse{}, fmt.Errorf("oid4vci: token: %w", err)
	}
	var d offerData
	if ex.Protocol != Protocol || json.Unmarshal(ex.Data, &d) != nil {
		return TokenResponse{}, invalidGrant(wallet.ErrNotFound, "unknown pre-authorized code")
	}
	if ex.State != StateOffered || d.Code == "" {
		return TokenResponse{}, invalidGrant(wallet.ErrReplayed, "the pre-authorized code was already redeemed")
	}
	if !wallet.EqualToken(d.Code, tr.Code) {
		return TokenResponse{}, invalidGrant(wallet.ErrNotFound, "unknown pre-authorized code")
	}
	token := offerID + "." + wallet.NewToken()
	exp := now.Add(w.cfg.TokenTTL)
	if exp.After(ex.ExpiresAt) {
		exp = ex.ExpiresAt
	}
	nd := d
	nd.Code, nd.TokenHash, nd.TokenExpires = "", wallet.HashToken(token), exp.UTC()
	data, _ := json.Marshal(nd)
	if _, err := svc.Store().Exchanges().Transition(ctx, offerID, StateOffered, StateToken, data, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return TokenResponse{}, invalidGrant(wallet.ErrReplayed, "the pre-authorized code was already redeemed")
		}
		if errors.Is(err, store.ErrNotFound) {
			return TokenResponse{}, invalidGrant(wallet.ErrExpired, "the credential offer expired")
		}
		return TokenResponse{}, fmt.Errorf("oid4vci: redeeming code: %w", err)
	}
	nonce, nexp, err := w.newNonce(ctx)
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{
		AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(now).Round(time.Second) / time.Second),
		CNonce: nonce, CNonceExpiresIn: int64(nexp / time.Second),
	}, nil
}

// newNonce stores a fresh one-time c_nonce.
func (w *Wallet) newNonce(ctx context.Context) (string, time.Duration, error) {
	svc := w.cfg.Service
	nonce := wallet.NewToken()
	err := svc.Store().Exchanges().Create(ctx, store.Exchange{
		ID: nonceID(nonce), Protocol: NonceProtocol, State: nonceFresh,
		ExpiresAt: svc.Now().Add(w.cfg.NonceTTL),
	})
	if err != nil {
		return "", 0, fmt.Errorf("oid4vci: storing c_nonce: %w", err)
	}
	return nonce, w.cfg.NonceTTL, nil
}

func nonceID(nonce string) string { return NonceProtocol + ":" + wallet.HashToken(nonce) }

func (w *Wallet) serveNonce(rw http.ResponseWriter, r *http.Request) {
	nonce, exp, err := w.newNonce(r.Context())
	if err != nil {
		w.cfg.Service.WriteError(rw, r, err)
		return
	}
	wallet.WriteJSON(rw, http.StatusOK, map[string]any{"c_nonce": nonce, "c_nonce_expires_in": int64(exp / time.Second)})
}
