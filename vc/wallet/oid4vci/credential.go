package oid4vci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/wallet"
)

// CredentialRequest is a parsed credential request (OID4VCI 1.0 with
// credential_configuration_id, or draft 13 with format and
// credential_definition).
type CredentialRequest struct {
	ConfigurationID string
	Format          string
	Types           []string
	ProofJWT        string
}

func badRequest(format string, args ...any) error {
	return wallet.Fail(wallet.ErrMalformed, format, args...).WithCode("invalid_credential_request", 0)
}

// ParseCredentialRequest parses a credential request body with exactly one
// JWT proof. Errors carry OID4VCI error codes.
func ParseCredentialRequest(b []byte) (CredentialRequest, error) {
	var raw struct {
		Format               string `json:"format"`
		ConfigurationID      string `json:"credential_configuration_id"`
		CredentialIdentifier string `json:"credential_identifier"`
		Definition           *struct {
			Type []string `json:"type"`
		} `json:"credential_definition"`
		Proof *struct {
			ProofType string `json:"proof_type"`
			JWT       string `json:"jwt"`
		} `json:"proof"`
		Proofs map[string]json.RawMessage `json:"proofs"`
	}
	var cr CredentialRequest
	if err := wallet.DecodeJSON(b, &raw); err != nil {
		var we *wallet.Error
		errors.As(err, &we)
		return cr, we.WithCode("invalid_credential_request", 0)
	}
	if raw.CredentialIdentifier != "" {
		return cr, badRequest("credential_identifier is not used by this issuer; send credential_configuration_id")
	}
	cr.ConfigurationID, cr.Format = raw.ConfigurationID, raw.Format
	if cr.ConfigurationID == "" && cr.Format == "" {
		return cr, badRequest("credential_configuration_id (or format) is required")
	}
	if raw.Definition != nil {
		cr.Types = raw.Definition.Type
	}
	switch {
	case raw.Proof != nil && raw.Proofs != nil:
		return cr, badRequest("send proof or proofs, not both")
	case raw.Proof != nil:
		if raw.Proof.ProofType != "jwt" {
			return cr, invalidProof("proof_type %q is not supported; use jwt", clip(raw.Proof.ProofType))
		}
		cr.ProofJWT = raw.Proof.JWT
	case raw.Proofs != nil:
		if len(raw.Proofs) != 1 || raw.Proofs["jwt"] == nil {
			return cr, invalidProof("proofs must hold exactly one proof type, jwt")
		}
		var jwts []string
		if err := json.Unmarshal(raw.Proofs["jwt"], &jwts); err != nil || len(jwts) != 1 {
			return cr, invalidProof("proofs.jwt must be an array of exactly one JWT (one credential per offer)")
		}
		cr.ProofJWT = jwts[0]
	default:
		return cr, invalidProof("a proof of possession of the holder's key is required")
	}
	if cr.ProofJWT == "" {
		return cr, invalidProof("the proof JWT is empty")
	}
	return cr, nil
}

// CredentialResponse is the credential endpoint's answer: "credentials"
// (OID4VCI 1.0) and "credential" (earlier drafts) carry the same credential.
type CredentialResponse struct {
	Credentials []CredentialObject `json:"credentials"`
	Credential  json.RawMessage    `json:"credential"`
	Format      string             `json:"format,omitempty"`
}

// CredentialObject wraps one issued credential.
type CredentialObject struct {
	Credential json.RawMessage `json:"credential"`
}

func invalidToken(kind error, format string, args ...any) error {
	return wallet.Fail(kind, format, args...).WithCode("invalid_token", http.StatusUnauthorized)
}

func invalidNonce(kind error, format string, args ...any) error {
	return wallet.Fail(kind, format, args...).WithCode("invalid_nonce", http.StatusBadRequest)
}

func (w *Wallet) serveCredential(rw http.ResponseWriter, r *http.Request) {
	resp, err := w.credential(r.Context(), rw, r)
	if err != nil {
		w.cfg.Service.WriteError(rw, r, err)
		return
	}
	wallet.WriteJSON(rw, http.StatusOK, resp)
}

// bearer returns the offer exchange an access token belongs to.
func (w *Wallet) bearer(ctx context.Context, r *http.Request) (store.Exchange, offerData, error) {
	var d offerData
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return store.Exchange{}, d, invalidToken(wallet.ErrUnauthenticated, "a Bearer access token from the token endpoint is required")
	}
	offerID, _, ok := strings.Cut(token, ".")
	if !ok {
		return store.Exchange{}, d, invalidToken(wallet.ErrUnauthenticated, "unknown access token")
	}
	svc := w.cfg.Service
	now := svc.Now()
	ex, err := svc.Store().Exchanges().Get(ctx, offerID, now)
	if errors.Is(err, store.ErrNotFound) {
		return ex, d, invalidToken(wallet.ErrUnauthenticated, "unknown or expired access token")
	}
	if err != nil {
		return ex, d, fmt.Errorf("oid4vci: credential: %w", err)
	}
	if ex.Protocol != Protocol || json.Unmarshal(ex.Data, &d) != nil || d.TokenHash == "" ||
		!wallet.EqualToken(d.TokenHash, wallet.HashToken(token)) {
		return ex, d, invalidToken(wallet.ErrUnauthenticated, "unknown access token")
	}
	switch {
	case ex.State == StateIssued:
		return ex, d, invalidToken(wallet.ErrReplayed, "the access token was already used to obtain the credential")
	case ex.State != StateToken:
		return ex, d, invalidToken(wallet.ErrState, "the access token is not active")
	case d.TokenExpires.Before(now):
		return ex, d, invalidToken(wallet.ErrExpired, "the access token expired")
	}
	return ex, d, nil
}

func (w *Wallet) credential(ctx context.Context, rw http.ResponseWriter, r *http.Request) (CredentialResponse, error) {
	ex, d, err := w.bearer(ctx, r)
	if err != nil {
		return CredentialResponse{}, err
	}
	if err := wallet.CheckJSONContentType(r); err != nil {
		return CredentialResponse{}, err
	}
	body, err := wallet.ReadBody(rw, r, w.cfg.MaxBody)
	if err != nil {
		return CredentialResponse{}, err
	}
	cr, err := ParseCredentialRequest(body)
	if err != nil {
		return CredentialResponse{}, err
	}
	conf, err := w.pick(cr, d.Configs)
	if err != nil {
		return CredentialResponse{}, err
	}
	svc := w.cfg.Service
	now := svc.Now()
	proof, err := VerifyProofJWT(ctx, w.cfg.Keys, cr.ProofJWT, ProofExpect{Issuer: w.base, Now: now, MaxAge: w.cfg.ProofAge, MaxSkew: svc.MaxClockSkew()})
	if err != nil {
		return CredentialResponse{}, err
	}
	nid := nonceID(proof.Nonce)
	n, err := svc.Store().Exchanges().Get(ctx, nid, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return CredentialResponse{}, invalidNonce(wallet.ErrChallenge, "the proof's nonce is not a live c_nonce of this issuer; get a fresh one from the nonce endpoint")
	case err != nil:
		return CredentialResponse{}, fmt.Errorf("oid4vci: c_nonce: %w", err)
	case n.Protocol != NonceProtocol:
		return CredentialResponse{}, invalidNonce(wallet.ErrChallenge, "the proof's nonce is not a c_nonce")
	case n.State != nonceFresh:
		return CredentialResponse{}, invalidNonce(wallet.ErrReplayed, "the c_nonce was already used")
	case proof.IssuedAt.Before(n.ExpiresAt.Add(-w.cfg.NonceTTL - svc.MaxClockSkew())):
		// The proof claims to predate the nonce it signs.
		return CredentialResponse{}, invalidProof("proof JWT iat is before its c_nonce was issued (more than %s earlier)", svc.MaxClockSkew())
	}
	rec, err := svc.Pending(ctx, parseUUID(d.Issuance))
	if err != nil {
		return CredentialResponse{}, err
	}
	issued, err := svc.Complete(ctx, wallet.CompleteRequest{
		ID: rec.ID, Challenge: rec.Challenge, HolderDID: proof.Holder, Format: conf.Format,
		InTx: func(ctx context.Context, tx store.Repos, _ wallet.Issued) error {
			t := svc.Now()
			if _, err := tx.Exchanges().Transition(ctx, nid, nonceFresh, nonceUsed, nil, t); err != nil {
				if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
					return invalidNonce(wallet.ErrReplayed, "the c_nonce was used or expired meanwhile")
				}
				return err
			}
			if _, err := tx.Exchanges().Transition(ctx, ex.ID, StateToken, StateIssued, nil, t); err != nil {
				if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
					return invalidToken(wallet.ErrReplayed, "the access token was used meanwhile")
				}
				return err
			}
			return nil
		},
	})
	if err != nil {
		return CredentialResponse{}, err
	}
	c := issued.Credential.Credential
	return CredentialResponse{Credentials: []CredentialObject{{Credential: c}}, Credential: c, Format: conf.Format}, nil
}

// pick selects the configuration a request asks for among the offered ones.
func (w *Wallet) pick(cr CredentialRequest, offered []string) (Configuration, error) {
	if cr.ConfigurationID != "" {
		c, ok := w.configuration(cr.ConfigurationID)
		if !ok || !slices.Contains(offered, c.ID) {
			return c, wallet.Fail(wallet.ErrUnsupported, "credential configuration %q was not offered (offered: %v)", clip(cr.ConfigurationID), offered).
				WithCode("unsupported_credential_type", 0)
		}
		if cr.Format != "" && cr.Format != c.Format {
			return c, badRequest("format %q contradicts configuration %q", clip(cr.Format), c.ID)
		}
		return c, nil
	}
	for _, id := range offered {
		c, ok := w.configuration(id)
		if !ok || c.Format != cr.Format {
			continue
		}
		if len(cr.Types) > 0 && !subset(cr.Types, c.Types) {
			continue
		}
		return c, nil
	}
	return Configuration{}, wallet.Fail(wallet.ErrUnsupported, "no offered configuration has format %q and types %v", clip(cr.Format), cr.Types).
		WithCode("unsupported_credential_format", 0)
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
