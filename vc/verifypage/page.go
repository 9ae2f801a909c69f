package verifypage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
)

// Verifier verifies one stored credential (a JSON-LD document, or a JSON
// string holding a VC-JWT). *vc/verify.Verifier implements it; build it
// with a status checker, or every credential with a status entry is
// reported as Unknown.
type Verifier interface {
	VerifyCredential(ctx context.Context, credential []byte) vc.Result
}

// Defaults.
const (
	// DefaultCacheTTL is how long a verification outcome is reused.
	DefaultCacheTTL = 10 * time.Second
	// DefaultCacheEntries bounds the number of outcomes kept.
	DefaultCacheEntries = 4096
	// DefaultTimeout bounds one verification (status lists and DID
	// documents may be fetched).
	DefaultTimeout = 15 * time.Second
)

// Config configures a Handler.
type Config struct {
	// Store holds the issuance records (store.IssuanceRecord) whose
	// credentials the page shows. Required.
	Store store.Store
	// Verifier verifies the credential on each request (a cached outcome
	// aside). Required.
	Verifier Verifier
	// Status, when set, reads each credentialStatus entry on its own, so
	// the page lists every entry with its purpose and state (and a status
	// message). The verdict is the Verifier's either way.
	Status vc.StatusChecker
	// BaseURL is the public URL the handler is mounted at, e.g.
	// "https://credentials.example.edu/credentials"; the page of id is
	// BaseURL + "/" + id. Required; absolute http(s).
	BaseURL string
	// Template replaces the page template. It is executed with a *Page and
	// must put Page.Nonce on its style elements (the Content-Security-Policy
	// allows no other style). Default: the built-in page.
	Template *template.Template
	// CacheTTL is how long a verification outcome is reused; 0 means
	// DefaultCacheTTL, a negative value verifies on every request.
	CacheTTL time.Duration
	// Timeout bounds one verification; default DefaultTimeout.
	Timeout time.Duration
	// Logger receives store failures and the reasons of non-valid
	// outcomes; default slog.Default().
	Logger *slog.Logger
	// RateLimit limits the requests of each client (DefaultRate per
	// second, DefaultBurst at once, by default); Rate < 0 turns it off.
	RateLimit RateLimit
	// Public, when set, reports whether the page of a record may be
	// served; a record it refuses gets the same 404 as an unknown id, so
	// the answer tells nothing about which ids exist. The native OBv3
	// provider's obv3.PublicRecord refuses the records whose ids were
	// derived from award ids, which anyone can compute.
	Public func(store.IssuanceRecord) bool
	// Now is the clock of CheckedAt, the cache and the rate limit; default
	// time.Now. The Verifier keeps its own clock.
	Now func() time.Time
}

// Handler serves the verification pages. It is safe for concurrent use.
type Handler struct {
	cfg  Config
	base string
	tpl  *template.Template

	limit *limiter // nil: no rate limit

	mu    sync.Mutex
	cache *lru[uuid.UUID, cached]
}

type cached struct {
	view    View
	expires time.Time
}

// New validates cfg and returns the Handler.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Store == nil:
		return nil, vc.Errorf(vc.ErrInvalid, "verifypage: Config.Store is required")
	case cfg.Verifier == nil:
		return nil, vc.Errorf(vc.ErrInvalid, "verifypage: Config.Verifier is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, vc.Errorf(vc.ErrInvalid, "verifypage: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tpl := cfg.Template
	if tpl == nil {
		tpl = defaultTemplate
	}
	if rl := cfg.RateLimit; math.IsNaN(rl.Rate) || math.IsInf(rl.Rate, 0) || rl.Burst < 0 || rl.Clients < 0 {
		return nil, vc.Errorf(vc.ErrInvalid, "verifypage: Config.RateLimit %+v is out of range", rl)
	}
	for _, p := range cfg.RateLimit.TrustedProxies {
		if !p.IsValid() {
			return nil, vc.Errorf(vc.ErrInvalid, "verifypage: Config.RateLimit.TrustedProxies holds an invalid prefix")
		}
	}
	return &Handler{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), tpl: tpl, limit: newLimiter(cfg.RateLimit),
		cache: newLRU[uuid.UUID, cached](DefaultCacheEntries)}, nil
}

// URL returns the public URL of the page of the credential of issuance
// record id.
func (h *Handler) URL(id uuid.UUID) string { return h.base + "/" + id.String() }

// ParseID reads the last path segment of a page URL: a canonical
// lowercase UUID, optionally followed by ".json". It reports whether the
// segment asked for JSON explicitly; ok is false for anything else.
func ParseID(segment string) (id uuid.UUID, asJSON, ok bool) {
	s, asJSON := strings.CutSuffix(segment, ".json")
	// uuid.Parse also accepts braces, urn:uuid: and missing hyphens; a page
	// has one URL only.
	if len(s) != 36 {
		return uuid.Nil, false, false
	}
	id, err := uuid.Parse(s)
	if err != nil || id.String() != s || id == uuid.Nil {
		return uuid.Nil, false, false
	}
	return id, asJSON, true
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if h.limit != nil {
		key := clientKey(r, h.cfg.RateLimit.TrustedProxies)
		if ok, wait := h.limit.allow(key, h.cfg.Now()); !ok {
			hdr.Set("Retry-After", retryAfterSeconds(wait))
			plain(w, http.StatusTooManyRequests, "too many requests; try again later")
			return
		}
	}
	seg, ok := strings.CutPrefix(r.URL.Path, "/")
	if !ok || strings.Contains(seg, "/") {
		plain(w, http.StatusNotFound, "credential not found")
		return
	}
	id, asJSON, ok := ParseID(seg)
	if !ok {
		plain(w, http.StatusNotFound, "credential not found")
		return
	}
	if !asJSON {
		hdr.Add("Vary", "Accept")
		asJSON = r.URL.Query().Get("format") == "json" || PrefersJSON(r.Header.Values("Accept"))
	}
	view, err := h.view(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		plain(w, http.StatusNotFound, "credential not found")
		return
	case err != nil:
		h.cfg.Logger.ErrorContext(r.Context(), "verifypage: reading the issuance record failed", "record", id.String(), "err", err)
		plain(w, http.StatusServiceUnavailable, "the credential cannot be shown right now; try again later")
		return
	}
	if asJSON {
		b, err := json.MarshalIndent(view, "", "  ")
		if err != nil {
			h.cfg.Logger.ErrorContext(r.Context(), "verifypage: encoding the result failed", "record", id.String(), "err", err)
			plain(w, http.StatusInternalServerError, "internal error")
			return
		}
		hdr.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(append(b, '\n'))
		return
	}
	nonce, err := newNonce()
	if err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "verifypage: no randomness for the style nonce", "err", err)
		plain(w, http.StatusInternalServerError, "internal error")
		return
	}
	var buf bytes.Buffer
	if err := h.tpl.Execute(&buf, &Page{View: view, Nonce: nonce, Style: template.CSS(defaultStyle)}); err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "verifypage: rendering the page failed", "record", id.String(), "err", err)
		plain(w, http.StatusInternalServerError, "internal error")
		return
	}
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; img-src https: data:; "+
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

func newNonce() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// view returns the page of record id: a cached outcome while it is fresh,
// otherwise a new verification. store.ErrNotFound for an unknown record or
// one without an issued credential.
func (h *Handler) view(ctx context.Context, id uuid.UUID) (View, error) {
	now := h.cfg.Now()
	if h.cfg.CacheTTL > 0 {
		h.mu.Lock()
		c, ok := h.cache.get(id)
		h.mu.Unlock()
		if ok && now.Before(c.expires) {
			return c.view, nil
		}
	}
	rec, err := h.cfg.Store.Issuance().Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if rec.State != store.IssuanceIssued || len(rec.Credential) == 0 || (h.cfg.Public != nil && !h.cfg.Public(rec)) {
		return View{}, store.ErrNotFound
	}
	vctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	res := h.cfg.Verifier.VerifyCredential(vctx, rec.Credential)
	v := h.build(vctx, rec, res, now)
	if v.Result.State != StateValid {
		reasons := make([]string, 0, len(res.Reasons))
		for _, x := range res.Reasons {
			reasons = append(reasons, x.Code+": "+x.Message)
		}
		h.cfg.Logger.InfoContext(ctx, "verifypage: credential does not verify as valid", "record", id.String(),
			"state", string(v.Result.State), "reasons", reasons)
	}
	if h.cfg.CacheTTL > 0 && ctx.Err() == nil {
		h.store(id, cached{view: v, expires: now.Add(h.cfg.CacheTTL)})
	}
	return v, nil
}

// store keeps an outcome; the cache holds at most DefaultCacheEntries,
// the least recently used dropped first.
func (h *Handler) store(id uuid.UUID, c cached) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cache.put(id, c)
}

// Flush forgets the cached outcomes, so the next request of every page
// verifies again (after a revocation, say).
func (h *Handler) Flush() {
	h.mu.Lock()
	h.cache.clear()
	h.mu.Unlock()
}
