// Command custom-provider shows how to write a badge provider for
// credshare: a small "webhook" provider that POSTs each badge to an HTTP
// endpoint (a company intranet, a Slack bridge, a home-grown badge wall)
// and lets that endpoint keep the badge. The provider:
//
//   - implements badge.Provider (Issue, Revoke) and badge.StateGetter;
//   - sends the outbox's idempotency key as an Idempotency-Key header, so
//     the endpoint can answer a repeated call with the badge it already made;
//   - makes its calls with badge/httpapi, the HTTP plumbing of the Credly
//     and Accredible adapters: retries with backoff and Retry-After, answers
//     turned into *badge.Error so the outbox knows what to retry (5xx, 429,
//     timeouts) and what to dead-letter (4xx), the token kept out of errors,
//     and credshare's guarded client (vc/netguard), which reaches the
//     configured endpoint's host only;
//   - is checked by the conformance kit badge/badgetest (see main_test.go).
//
// Run it with `go run ./examples/custom-provider`: it starts a receiving
// endpoint on 127.0.0.1, issues a badge twice with one key, revokes it and
// prints what happened.
package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

// ProviderID is the id of the webhook provider.
const ProviderID = "webhook"

// WebhookProvider posts badges to an HTTP endpoint.
type WebhookProvider struct {
	api   *httpapi.API
	token string
}

// NewWebhookProvider returns a provider posting to endpoint with a bearer
// token: an https URL, or http to a loopback host (a test endpoint) — the
// token is not sent in the clear over a network. cfg sets the HTTP
// behaviour (timeout per attempt, retries, Retry-After, pacing, logger,
// tracing; zero fields take httpapi's defaults); its Provider and BaseURL
// are set here.
//
// The provider's client is badge/httpapi's default, built on credshare's
// guarded client (vc/netguard): it reaches the endpoint's host wherever
// that resolves (an intranet address is fine: the operator configured
// it), refuses every other internal address, follows redirects only
// within the endpoint's host (the token goes nowhere else), and bounds
// each attempt by cfg.Timeout and the answer's size.
func NewWebhookProvider(endpoint, token string, cfg httpapi.Config) (*WebhookProvider, error) {
	if token == "" {
		return nil, errors.New("webhook provider: token is required")
	}
	cfg.Provider, cfg.BaseURL = ProviderID, endpoint
	if cfg.UserAgent == "" {
		cfg.UserAgent = "credshare-webhook-example/1"
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("webhook provider: %w", err)
	}
	return &WebhookProvider{api: api, token: token}, nil
}

// The capabilities the provider implements, checked at compile time.
var (
	_ badge.Provider    = (*WebhookProvider)(nil)
	_ badge.StateGetter = (*WebhookProvider)(nil)
)

// ID implements badge.Provider.
func (p *WebhookProvider) ID() string { return ProviderID }

type wireBadge struct {
	ID       string            `json:"id"`
	State    string            `json:"state"`
	Template string            `json:"template"`
	Email    string            `json:"email"`
	Name     string            `json:"name,omitempty"`
	IssuedAt time.Time         `json:"issued_at"`
	Evidence map[string]string `json:"evidence,omitempty"`
	Reason   string            `json:"reason,omitempty"`
}

// call sends one request and decodes a wireBadge. httpapi retries what
// is worth retrying (the endpoint deduplicates by Idempotency-Key, so a
// repeated POST is safe) and returns a *badge.Error otherwise.
func (p *WebhookProvider) call(ctx context.Context, op, method, path, key string, in any) (wireBadge, error) {
	c := httpapi.Call{Op: op, Method: method, Path: path, Body: in, Auth: httpapi.BearerAuth(p.token), Secret: p.token}
	if key != "" {
		c.Header = http.Header{"Idempotency-Key": {key}}
	}
	var out wireBadge
	c.Out = &out
	status, err := p.api.Do(ctx, c)
	if err != nil {
		return wireBadge{}, err
	}
	if out.ID == "" {
		return wireBadge{}, &badge.Error{Provider: ProviderID, Op: op, StatusCode: status,
			Message: "answer carries no badge id", Kind: badge.ErrUnavailable, Temporary: true}
	}
	return out, nil
}

// Issue implements badge.Provider.
func (p *WebhookProvider) Issue(ctx context.Context, req badge.IssueRequest) (badge.Result, error) {
	if err := req.Validate(); err != nil {
		return badge.Result{}, err
	}
	b, err := p.call(ctx, "issue", http.MethodPost, "badges", req.IdempotencyKey, wireBadge{
		Template: req.Template.ExternalID, Email: req.Recipient.Email, Name: req.Recipient.FullName,
		IssuedAt: req.IssuedAt, Evidence: req.Evidence,
	})
	return badge.Result{ExternalID: b.ID, State: b.State}, err
}

// Revoke implements badge.Provider.
func (p *WebhookProvider) Revoke(ctx context.Context, req badge.RevokeRequest) (badge.Result, error) {
	if err := req.Validate(); err != nil {
		return badge.Result{}, err
	}
	path := "badges/" + url.PathEscape(req.ExternalID) + "/revoke"
	if req.ExternalID == "" {
		path = "badges/revoke"
	}
	b, err := p.call(ctx, "revoke", http.MethodPost, path, req.IdempotencyKey, wireBadge{
		Template: req.Template.ExternalID, Email: req.Recipient.Email, Reason: req.Reason})
	return badge.Result{ExternalID: b.ID, State: b.State}, err
}

// BadgeState implements badge.StateGetter.
func (p *WebhookProvider) BadgeState(ctx context.Context, ref badge.BadgeRef) (badge.Result, error) {
	if ref.ExternalID == "" {
		return badge.Result{}, &badge.Error{Provider: ProviderID, Op: "get", Message: "external_id is required", Kind: badge.ErrInvalid}
	}
	b, err := p.call(ctx, "get", http.MethodGet, "badges/"+url.PathEscape(ref.ExternalID), "", nil)
	return badge.Result{ExternalID: b.ID, State: b.State}, err
}

// Receiver is the endpoint side: it keeps badges in memory, answers a
// repeated Idempotency-Key with the badge it made, and knows a fixed set of
// templates.
type Receiver struct {
	token     string
	templates map[string]bool

	mu     sync.Mutex
	badges map[string]*wireBadge
	byKey  map[string]string
}

// NewReceiver returns a receiver accepting token and the given templates.
func NewReceiver(token string, templates ...string) *Receiver {
	r := &Receiver{token: token, templates: map[string]bool{}, badges: map[string]*wireBadge{}, byKey: map[string]string{}}
	for _, t := range templates {
		r.templates[t] = true
	}
	return r
}

// Count returns how many badges of template the receiver holds for email.
func (rc *Receiver) Count(template, email string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, b := range rc.badges {
		if b.Template == template && strings.EqualFold(b.Email, email) {
			n++
		}
	}
	return n
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+rc.token)) != 1 {
		reply(w, http.StatusUnauthorized, map[string]string{"error": "invalid token"})
		return
	}
	var in wireBadge
	if r.Method == http.MethodPost && json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in) != nil {
		reply(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON"})
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "badges":
		if id, ok := rc.byKey[r.Header.Get("Idempotency-Key")]; ok {
			reply(w, http.StatusOK, rc.badges[id])
			return
		}
		if !rc.templates[in.Template] || in.Email == "" {
			reply(w, http.StatusUnprocessableEntity, map[string]string{"error": "unknown template or no e-mail"})
			return
		}
		in.ID, in.State = uuid.NewString(), "issued"
		rc.badges[in.ID] = &in
		rc.byKey[r.Header.Get("Idempotency-Key")] = in.ID
		reply(w, http.StatusCreated, in)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "revoke":
		for _, b := range rc.badges {
			if b.Template == in.Template && strings.EqualFold(b.Email, in.Email) {
				b.State = "revoked"
				reply(w, http.StatusOK, b)
				return
			}
		}
		reply(w, http.StatusNotFound, map[string]string{"error": "no such badge"})
	case len(parts) == 3 && parts[2] == "revoke" && r.Method == http.MethodPost:
		b := rc.badges[parts[1]]
		if b == nil {
			reply(w, http.StatusNotFound, map[string]string{"error": "no such badge"})
			return
		}
		b.State = "revoked"
		reply(w, http.StatusOK, b)
	case len(parts) == 2 && r.Method == http.MethodGet:
		if b := rc.badges[parts[1]]; b != nil {
			reply(w, http.StatusOK, b)
			return
		}
		reply(w, http.StatusNotFound, map[string]string{"error": "no such badge"})
	default:
		reply(w, http.StatusNotFound, map[string]string{"error": "no route"})
	}
}

func run(ctx context.Context, out io.Writer) error {
	const token = "example-token-0001"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: NewReceiver(token, "python-basics"), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	p, err := NewWebhookProvider("http://"+ln.Addr().String()+"/", token, httpapi.Config{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	var _ badge.Provider = p
	award := uuid.New()
	req := badge.IssueRequest{
		IdempotencyKey: "issue:" + award.String(),
		AwardUUID:      award,
		Template:       badge.TemplateRef{ExternalID: "python-basics", Name: "Python Basics"},
		Recipient:      credential.Learner{UserID: 7, Username: "grace", Email: "grace@example.org", FullName: "Grace Hopper"},
		IssuedAt:       time.Now().UTC(),
	}
	first, err := p.Issue(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "issued badge %s (state %s)\n", first.ExternalID, first.State)
	again, err := p.Issue(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "same idempotency key again -> badge %s (same badge: %v)\n", again.ExternalID, again.ExternalID == first.ExternalID)
	rv, err := p.Revoke(ctx, badge.RevokeRequest{IdempotencyKey: "revoke:" + award.String(), Template: req.Template,
		Recipient: req.Recipient, ExternalID: first.ExternalID, Reason: "course certificate revoked"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "revoked badge %s (state %s)\n", rv.ExternalID, rv.State)
	_, err = p.Revoke(ctx, badge.RevokeRequest{IdempotencyKey: "x", ExternalID: "no-such-badge"})
	fmt.Fprintf(out, "revoking an unknown badge: %v (not found: %v, retryable: %v)\n", err, errors.Is(err, badge.ErrNotFound), !retry.IsPermanent(err))
	bad, _ := NewWebhookProvider("http://"+ln.Addr().String()+"/", "wrong-token", httpapi.Config{Timeout: 5 * time.Second})
	_, err = bad.Issue(ctx, req)
	fmt.Fprintf(out, "with a wrong token: %v (retryable: %v)\n", err, !retry.IsPermanent(err))
	return nil
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-provider:", err)
		os.Exit(1)
	}
}
