package httpapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/go-resty/resty/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// SpanRequest is the name of the client span recorded for each HTTP
// request (each attempt) when Config.TracerProvider is set. Its attributes
// are http.request.method, url.path (no query, the call's secret removed),
// server.address, http.response.status_code, http.request.resend_count,
// credshare.provider and credshare.provider.op.
const SpanRequest = "credshare.provider.request"

// Config configures an API. Zero fields take the defaults given; New
// refuses negative values.
type Config struct {
	// Provider is the provider id errors and spans carry ("credly", …).
	Provider string
	// BaseURL is the API root: an absolute https URL, or http to a
	// loopback host (a test server). A trailing "/" is added. Required.
	BaseURL string
	// HTTPClient is the client to use, as given (it is copied, never
	// modified). Default: a vc/netguard client that reaches the base URL's
	// host only and follows redirects only to it.
	HTTPClient *http.Client
	// Timeout bounds each attempt; default 10s.
	Timeout time.Duration
	// MaxAttempts is the most attempts per call (1 disables retries);
	// default 4.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff with jitter
	// between attempts; defaults 250ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After a call waits for itself; a
	// longer one ends the call with the error (carrying RetryAfter) so
	// the caller (the outbox) can reschedule. Default 5s; negative means
	// never wait.
	MaxRetryAfter time.Duration
	// Logger receives one debug line per retry (no body, no header);
	// default discards.
	Logger *slog.Logger
	// UserAgent is sent with every request when set.
	UserAgent string
	// Limits is the rate the API allows. With Limits.Rate > 0 every
	// attempt (first tries and retries alike, across all goroutines using
	// the API) is paced to at most Rate per second with bursts of Burst;
	// each 429 also pushes the schedule back by one interval, and the call
	// that got it still waits its Retry-After. Concurrency is not enforced
	// here: a provider reports Limits through badge.RateLimited and the
	// outbox dispatcher bounds concurrent calls. Default: no pacing.
	Limits badge.Limits
	// TracerProvider records a SpanRequest span per HTTP request; default
	// none (the global provider is never used).
	TracerProvider trace.TracerProvider
	// Now is the provider's clock, for the dates it writes into requests
	// (a revocation date, …); nil means time.Now. The API itself does not
	// read it.
	Now func() time.Time
}

// ValidateBaseURL checks that u is an absolute https URL (or http to a
// loopback host, for tests) and returns it with a trailing slash.
func ValidateBaseURL(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("base URL %q: %w", u, err)
	}
	if p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
		return "", fmt.Errorf("base URL %q: want an absolute https URL", u)
	}
	if p.User != nil || p.RawQuery != "" || p.Fragment != "" {
		return "", fmt.Errorf("base URL %q: must not carry user info, query or fragment", u)
	}
	if p.Scheme == "http" && !isLoopback(p.Hostname()) {
		return "", fmt.Errorf("base URL %q: plain http is allowed only to a loopback host; API tokens need TLS", u)
	}
	if !strings.HasSuffix(p.Path, "/") {
		p.Path += "/"
	}
	return p.String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiClient is the default client of an API: a guarded client
// (vc/netguard) whose policy allows exactly the base URL's host, wherever
// it resolves (an operator's configuration, not input), plain http only
// when the base URL is http (which ValidateBaseURL allows to loopback
// hosts only), and redirects only to the base URL's scheme and host — the
// API token goes nowhere else. Every other destination gets the default
// policy: public https addresses only.
func apiClient(base *url.URL, timeout time.Duration) (*http.Client, error) {
	hc, err := netguard.New(netguard.Config{
		Policy:  netguard.Policy{AllowHosts: []string{base.Hostname()}, AllowHTTP: base.Scheme == "http"},
		Timeout: timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", base.Redacted(), err)
	}
	own := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != base.Scheme || !strings.EqualFold(req.URL.Host, base.Host) {
			return &netguard.DeniedError{Target: req.URL.Scheme + "://" + req.URL.Host, Reason: "a redirect away from the API's host " + base.Host}
		}
		return own(req, via)
	}
	return hc, nil
}

// API makes calls to one provider API. It is safe for concurrent use.
type API struct {
	cfg    Config
	base   *url.URL
	r      *resty.Client
	pacer  *pacer
	tracer trace.Tracer
}

// pacer is a GCRA token bucket: tat is the theoretical arrival time of the
// next call.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	slack    time.Duration // (burst-1) intervals
	tat      time.Time
}

func newPacer(rate float64, burst int) *pacer {
	iv := time.Duration(float64(time.Second) / rate)
	return &pacer{interval: iv, slack: time.Duration(max(burst, 1)-1) * iv}
}

// reserve books a slot and returns how long to wait for it.
func (p *pacer) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tat.Before(now) {
		p.tat = now
	}
	wait := p.tat.Sub(now) - p.slack
	p.tat = p.tat.Add(p.interval)
	return max(wait, 0)
}

// penalise pushes the schedule back by one interval: a 429 means calls
// arrived faster than the server counts them, so everyone slows a little.
func (p *pacer) penalise() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tat = p.tat.Add(p.interval)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// New validates cfg, applies its defaults and returns an API.
func New(cfg Config) (*API, error) {
	b, err := ValidateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = b
	switch {
	case cfg.Timeout < 0:
		return nil, errors.New("timeout must be positive")
	case cfg.MaxAttempts < 0:
		return nil, errors.New("max attempts must be at least 1")
	case cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 || (cfg.MaxBackoff > 0 && cfg.MaxBackoff < cfg.MinBackoff):
		return nil, errors.New("backoff bounds must satisfy 0 <= min <= max")
	case cfg.Limits.Rate < 0 || cfg.Limits.Burst < 0 || cfg.Limits.Concurrency < 0:
		return nil, errors.New("limits must not be negative")
	}
	cfg.Timeout = cmp.Or(cfg.Timeout, 10*time.Second)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 4)
	cfg.MinBackoff = cmp.Or(cfg.MinBackoff, min(250*time.Millisecond, cmp.Or(cfg.MaxBackoff, 250*time.Millisecond)))
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, max(5*time.Second, cfg.MinBackoff))
	cfg.MaxRetryAfter = cmp.Or(cfg.MaxRetryAfter, 5*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = noop.NewTracerProvider()
	}
	base, _ := url.Parse(cfg.BaseURL)
	hc := cfg.HTTPClient
	if hc == nil {
		if hc, err = apiClient(base, cfg.Timeout); err != nil {
			return nil, err
		}
	} else {
		cp := *hc // resty may set fields; never touch the caller's client
		hc = &cp
	}
	r := resty.NewWithClient(hc).
		SetLogger(quiet{}).
		SetDisableWarn(true).
		SetDebug(false).
		SetHeader("Accept", "application/json").
		SetResponseBodyLimit(8 << 20)
	if cfg.UserAgent != "" {
		r.SetHeader("User-Agent", cfg.UserAgent)
	}
	a := &API{cfg: cfg, base: base, r: r, tracer: cfg.TracerProvider.Tracer("github.com/credshare/credshare/badge/httpapi")}
	if cfg.Limits.Rate > 0 {
		a.pacer = newPacer(cfg.Limits.Rate, cfg.Limits.Burst)
	}
	return a, nil
}

// Config returns the API's configuration with defaults applied.
func (a *API) Config() Config { return a.cfg }

// BearerAuth returns a Call.Auth sending token as an OAuth 2 bearer token
// (Authorization: Bearer token).
func BearerAuth(token string) func(http.Header) {
	return func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
}

// BasicAuth returns a Call.Auth sending HTTP Basic credentials (Credly
// takes its token as the user name, with an empty password).
func BasicAuth(user, password string) func(http.Header) {
	return func(h http.Header) {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
}

// Call is one API call.
type Call struct {
	// Op names the call in errors ("issue", …).
	Op string
	// Method is the HTTP method.
	Method string
	// Path is relative to the base URL, or an absolute URL (a next-page
	// link), which must have the base URL's scheme and host so the token
	// never goes elsewhere.
	Path string
	// Query holds query parameters.
	Query url.Values
	// Header holds extra request headers (an Idempotency-Key, say).
	Header http.Header
	// Body is marshalled as JSON when non-nil.
	Body any
	// Auth adds the credentials to the request's header (BearerAuth,
	// BasicAuth, or a function of the provider's own); it runs for every
	// attempt.
	Auth func(http.Header)
	// Secret is removed from anything that ends up in an error or a span:
	// the token Auth sends, and anything derived from it.
	Secret string
	// Out receives the decoded JSON response when non-nil.
	Out any
	// OK, when set, decides which statuses count as success (default 2xx).
	OK func(status int) bool
	// Unsafe marks a call that must not be repeated after an ambiguous
	// failure (a timeout, a 5xx, an unreadable answer), because the server
	// may have acted on it and does not deduplicate (Accredible's create).
	// Such calls are retried only after a 429 or when the request was
	// never sent (connection refused); otherwise the error is returned for
	// the caller to check the server's state before trying again.
	Unsafe bool
	// Errors, when set, extracts the API's error code and message from an
	// error body (default: ErrorMessage).
	Errors func(body []byte) (code, message string)
}

// Do runs c, retrying retryable failures (5xx, 408, 429, timeouts,
// connection errors, unreadable 2xx bodies) up to MaxAttempts with capped
// exponential backoff and jitter, waiting at least a Retry-After that is
// no longer than MaxRetryAfter. It returns the final status and nil, or a
// *badge.Error. When ctx ends, the error matches ctx.Err().
func (a *API) Do(ctx context.Context, c Call) (int, error) {
	target, err := a.resolve(c.Path)
	if err != nil {
		return 0, &badge.Error{Provider: a.cfg.Provider, Op: c.Op, Message: err.Error(), Kind: badge.ErrInvalid}
	}
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(a.cfg.MinBackoff),
		backoff.WithMaxInterval(a.cfg.MaxBackoff),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0),
	)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, badge.TransportError(a.cfg.Provider, c.Op, err)
		}
		if a.pacer != nil {
			if err := sleepCtx(ctx, a.pacer.reserve(time.Now())); err != nil {
				return 0, badge.TransportError(a.cfg.Provider, c.Op, err)
			}
		}
		status, e := a.traced(ctx, c, target, attempt)
		if e != nil && a.pacer != nil && errors.Is(e, badge.ErrRateLimited) {
			a.pacer.penalise()
		}
		if e == nil {
			return status, nil
		}
		if ctx.Err() != nil {
			if e.Err == nil || !errors.Is(e.Err, ctx.Err()) {
				e = badge.TransportError(a.cfg.Provider, c.Op, ctx.Err())
			}
			return status, e
		}
		if !e.Temporary || attempt >= a.cfg.MaxAttempts {
			return status, e
		}
		if c.Unsafe && !errors.Is(e, badge.ErrRateLimited) && !notSent(e) {
			return status, e
		}
		wait := bo.NextBackOff()
		if e.RetryDelay > 0 {
			if e.RetryDelay > a.cfg.MaxRetryAfter {
				return status, e
			}
			wait = max(wait, e.RetryDelay)
		}
		a.cfg.Logger.DebugContext(ctx, "provider call failed; retrying", "provider", a.cfg.Provider,
			"op", c.Op, "status", e.StatusCode, "attempt", attempt, "wait", wait, "err", e.Message)
		if err := sleepCtx(ctx, wait); err != nil {
			return status, badge.TransportError(a.cfg.Provider, c.Op, err)
		}
	}
}

// traced runs one attempt in a SpanRequest span.
func (a *API) traced(ctx context.Context, c Call, target string, attempt int) (int, *badge.Error) {
	path := target
	if u, err := url.Parse(target); err == nil {
		path = u.Path
	}
	if c.Secret != "" {
		path = strings.ReplaceAll(path, c.Secret, "REDACTED")
	}
	ctx, span := a.tracer.Start(ctx, SpanRequest, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", c.Method),
		attribute.String("url.path", path),
		attribute.String("server.address", a.base.Hostname()),
		attribute.Int("http.request.resend_count", attempt-1),
		attribute.String("credshare.provider", a.cfg.Provider),
		attribute.String("credshare.provider.op", c.Op)))
	defer span.End()
	status, e := a.once(ctx, c, target)
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if e != nil {
		et := errorType(status, e)
		span.SetAttributes(attribute.String("error.type", et))
		span.SetStatus(codes.Error, et)
	}
	return status, e
}

// errorType names a failed request's class for the error.type attribute:
// the status code, or "transport".
func errorType(status int, e *badge.Error) string {
	if status != 0 {
		return fmt.Sprint(status)
	}
	if errors.Is(e, context.DeadlineExceeded) {
		return "timeout"
	}
	return "transport"
}

func (a *API) once(ctx context.Context, c Call, target string) (int, *badge.Error) {
	actx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req := a.r.R().SetContext(actx)
	if c.Header != nil {
		req.SetHeaderMultiValues(c.Header)
	}
	if c.Auth != nil {
		h := http.Header{}
		c.Auth(h)
		req.SetHeaderMultiValues(h)
	}
	if c.Query != nil {
		req.SetQueryParamsFromValues(c.Query)
	}
	if c.Body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(c.Body)
	}
	resp, err := req.Execute(c.Method, target)
	if err != nil {
		if ctx.Err() != nil {
			return 0, badge.TransportError(a.cfg.Provider, c.Op, ctx.Err())
		}
		e := badge.TransportError(a.cfg.Provider, c.Op, scrub(err), c.Secret)
		if actx.Err() != nil {
			e.Message = fmt.Sprintf("request timed out after %s", a.cfg.Timeout)
		}
		if errors.Is(err, netguard.ErrDenied) {
			e.Temporary = false // a refused destination stays refused
		}
		return 0, e
	}
	status := resp.StatusCode()
	ok := c.OK
	if ok == nil {
		ok = func(s int) bool { return s >= 200 && s < 300 }
	}
	body := resp.Body()
	if !ok(status) {
		parse := c.Errors
		if parse == nil {
			parse = ErrorMessage
		}
		code, msg := parse(body)
		return status, badge.HTTPError(a.cfg.Provider, c.Op, status, resp.Header(), body, code, msg, c.Secret)
	}
	if c.Out != nil {
		if err := json.Unmarshal(body, c.Out); err != nil {
			return status, &badge.Error{
				Provider: a.cfg.Provider, Op: c.Op, StatusCode: status,
				Message:   "unreadable response (not the expected JSON): " + err.Error(),
				Body:      badge.Redact(badge.Truncate(string(body), badge.MaxErrorBody), c.Secret),
				Kind:      badge.ErrUnavailable,
				Temporary: true,
			}
		}
	}
	return status, nil
}

// resolve turns a relative path or a same-origin absolute URL into a URL.
func (a *API) resolve(p string) (string, error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", fmt.Errorf("bad path %q: %w", p, err)
	}
	if u.IsAbs() || u.Host != "" {
		if u.Scheme != a.base.Scheme || u.Host != a.base.Host {
			return "", fmt.Errorf("refusing to send credentials to %s://%s (API is %s://%s)", u.Scheme, u.Host, a.base.Scheme, a.base.Host)
		}
		return u.String(), nil
	}
	return a.base.ResolveReference(u).String(), nil
}

// notSent reports whether the request never reached the server.
func notSent(e *badge.Error) bool {
	var op *net.OpError
	return e.Err != nil && errors.As(e.Err, &op) && op.Op == "dial"
}

// scrub drops the URL from *url.Error (it holds no token, but query
// strings may hold e-mail addresses) and keeps the cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// ErrorMessage extracts an error code and message from the JSON error
// bodies Credly and Accredible send: {"data": {"message", "code"}},
// {"message"}, {"error"}, {"errors": "..."} or {"errors": {field: [msgs]}},
// {"data": "text"}. A body that is not JSON gives its first line.
func ErrorMessage(body []byte) (code, message string) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		return "", badge.Truncate(line, 200)
	}
	if d, ok := m["data"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(d, &inner) == nil {
			c, msg := ErrorMessage(d)
			if v, ok := inner["errors"]; ok && msg != "" {
				if extra := text(v); extra != "" && extra != msg {
					msg += ": " + extra
				}
			}
			return c, msg
		}
		if s := text(d); s != "" {
			return "", s
		}
	}
	if v, ok := m["code"]; ok {
		code = text(v)
	}
	for _, k := range []string{"message", "error", "errors", "status"} {
		if v, ok := m[k]; ok {
			if s := text(v); s != "" {
				return code, s
			}
		}
	}
	return code, ""
}

// text renders a JSON value as short text: strings as is, numbers as
// written, arrays and objects as "k: v; …".
func text(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return badge.Truncate(s, 500)
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String()
	}
	var arr []json.RawMessage
	if json.Unmarshal(v, &arr) == nil {
		parts := make([]string, 0, len(arr))
		for _, x := range arr {
			if t := text(x); t != "" {
				parts = append(parts, t)
			}
		}
		return badge.Truncate(strings.Join(parts, "; "), 500)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil {
		if msg, ok := obj["message"]; ok {
			return text(msg)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+text(obj[k]))
		}
		return badge.Truncate(strings.Join(parts, "; "), 500)
	}
	return ""
}

// quiet is a resty logger that drops everything: resty must never log
// requests (they carry tokens).
type quiet struct{}

func (quiet) Errorf(string, ...any) {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Debugf(string, ...any) {}
