// Command custom-provider shows how to write a badge provider for
// credshare: a small "webhook" provider that POSTs each badge to an HTTP
// endpoint (a company intranet, a Slack bridge, a home-grown badge wall)
// and lets that endpoint keep the badge. The provider:
//
//   - implements badge.Provider (Issue, Revoke) and badge.StateGetter;
//   - sends the outbox's idempotency key as an Idempotency-Key header, so
//     the endpoint can answer a repeated call with the badge it already made;
//   - turns HTTP answers into *badge.Error with badge.HTTPError, so the
//     outbox knows what to retry (5xx, 429 with Retry-After, timeouts) and
//     what to dead-letter (4xx), and the token never appears in errors;
//   - makes its calls with credshare's guarded client (vc/netguard), which
//     reaches the configured endpoint only and follows no redirect;
//   - is checked by the conformance kit badge/badgetest (see main_test.go).
//
// Run it with `go run ./examples/custom-provider`: it starts a receiving
// endpoint on 127.0.0.1, issues a badge twice with one key, revokes it and
// prints what happened.
package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/vc/netguard"
)

// ProviderID is the id of the webhook provider.
const ProviderID = "webhook"

// WebhookProvider posts badges to an HTTP endpoint.
type WebhookProvider struct {
	base   *url.URL
	token  string
	client *http.Client
}

// NewWebhookProvider returns a provider posting to endpoint with a bearer
// token: an https URL, or http to a loopback host (a test endpoint) — the
// token is not sent in the clear over a network. timeout bounds each call.
//
// The provider's client is credshare's guarded one (vc/netguard): it
// reaches the endpoint's host wherever that resolves (an intranet address
// is fine: the operator configured it), refuses every other internal
// address, follows no redirects (the token goes to the endpoint only), and
// bounds each call by timeout and the answer's size.
func NewWebhookProvider(endpoint, token string, timeout time.Duration) (*WebhookProvider, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("webhook provider: endpoint %q is not an absolute http(s) URL", endpoint)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("webhook provider: endpoint %q: plain http only to a loopback host; the token needs TLS", endpoint)
	}
	if token == "" {
		return nil, errors.New("webhook provider: token is required")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	client, err := netguard.New(netguard.Config{
		Policy:       netguard.Policy{AllowHosts: []string{u.Hostname()}, AllowHTTP: u.Scheme == "http"},
		Timeout:      timeout,
		MaxBytes:     1 << 20,
		MaxRedirects: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("webhook provider: %w", err)
	}
	return &WebhookProvider{base: u, token: token, client: client}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

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

// call sends one request and decodes a wireBadge.
func (p *WebhookProvider) call(ctx context.Context, op, method, path, key string, in any) (wireBadge, error) {
	if err := ctx.Err(); err != nil {
		return wireBadge{}, badge.TransportError(ProviderID, op, err)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return wireBadge{}, &badge.Error{Provider: ProviderID, Op: op, Message: err.Error(), Kind: badge.ErrInvalid}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base.JoinPath(path).String(), body)
	if err != nil {
		return wireBadge{}, &badge.Error{Provider: ProviderID, Op: op, Message: err.Error(), Kind: badge.ErrInvalid}
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return wireBadge{}, badge.TransportError(ProviderID, op, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is not secret, but keep errors short
		}
		e := badge.TransportError(ProviderID, op, err, p.token)
		if errors.Is(err, netguard.ErrDenied) {
			e.Temporary = false // a redirect or a refused address: trying again changes nothing
		}
		return wireBadge{}, e
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return wireBadge{}, badge.TransportError(ProviderID, op, err, p.token)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return wireBadge{}, badge.HTTPError(ProviderID, op, resp.StatusCode, resp.Header, raw, "", e.Error, p.token)
	}
	var out wireBadge
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return wireBadge{}, &badge.Error{Provider: ProviderID, Op: op, StatusCode: resp.StatusCode,
			Message: "unreadable answer", Body: badge.Truncate(string(raw), badge.MaxErrorBody), Kind: badge.ErrUnavailable, Temporary: true}
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

	p, err := NewWebhookProvider("http://"+ln.Addr().String()+"/", token, 5*time.Second)
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
	bad, _ := NewWebhookProvider("http://"+ln.Addr().String()+"/", "wrong-token", 5*time.Second)
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
