package status

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/store"
)

// ListSigner signs the status list credentials of one issuer. The
// vc-backed implementation is status/statusproof.Signer (Data Integrity
// eddsa-rdfc-2022 on VC 2.0, Ed25519Signature2020 on VC 1.1).
type ListSigner interface {
	// Issuer returns the DID whose lists it signs.
	Issuer() string
	// SignList adds a proof to doc, an unsigned list credential as JSON
	// (ListCredential.Document), and returns the signed document. Safe for
	// concurrent use.
	SignList(ctx context.Context, doc []byte) ([]byte, error)
}

// Publisher defaults.
const (
	DefaultValidity    = 24 * time.Hour
	DefaultMaxAge      = 5 * time.Minute
	DefaultBatchWindow = time.Second
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Store holds the lists; required.
	Store store.Store
	// BaseURL is the Service's BaseURL; required. The Publisher serves
	// requests whose path is BaseURL's path + "/<id>" or "/<id>/2021".
	BaseURL string
	// Signers sign the lists of their issuers; at least one is required.
	// A list whose issuer has no signer answers 404.
	Signers []ListSigner
	// Validity is how long a signed document is valid (validUntil -
	// validFrom); default DefaultValidity.
	Validity time.Duration
	// RefreshBefore re-signs an unchanged document when less than this
	// remains of its validity; default Validity/4.
	RefreshBefore time.Duration
	// MaxAge caps Cache-Control max-age, which never exceeds the time left
	// until validUntil; default DefaultMaxAge. Verifiers may see a change
	// that late.
	MaxAge time.Duration
	// BatchWindow is how long a signed document is served without asking
	// the store whether the list changed: changes within one window cost
	// one signature. Default DefaultBatchWindow; verifiers see a change at
	// most BatchWindow + MaxAge late.
	BatchWindow time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per signature and per failure; default
	// slog.Default().
	Logger *slog.Logger
}

// Publisher is the http.Handler that serves signed status list
// credentials. It keeps the signed document of every list it served and
// re-signs it only when the list's Version changed (checked at most once
// per BatchWindow) or its validity is running out, so a burst of
// revocations costs one signature. Responses carry an ETag (answering
// If-None-Match with 304) and a Cache-Control max-age that never outlives
// the document's validUntil. Unknown lists answer 404, malformed paths 400
// and other methods than GET and HEAD 405; store and signing failures
// answer 503 (never 500). Several replicas may serve the same lists: each
// signs its own copy. It is safe for concurrent use.
type Publisher struct {
	cfg     PublisherConfig
	base    string
	prefix  string
	signers map[string]ListSigner

	mu    sync.Mutex
	cache map[cacheKey]*published
	signs int64
}

type cacheKey struct {
	id string
	f  Format
}

// published is the signed document of one list in one format.
type published struct {
	mu sync.Mutex // held while refreshing

	// The fields below are written under mu and read under Publisher.mu
	// through snapshot.
	state pubState
}

type pubState struct {
	doc        []byte
	etag       string
	version    int64
	validUntil time.Time
	checked    time.Time // last time the store's Version was compared
	ok         bool
}

// NewPublisher validates cfg and returns a Publisher.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if cfg.Store == nil {
		return nil, errorf(ErrInvalid, "PublisherConfig.Store is required")
	}
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	if len(cfg.Signers) == 0 {
		return nil, errorf(ErrInvalid, "PublisherConfig.Signers needs at least one signer")
	}
	signers := map[string]ListSigner{}
	for _, s := range cfg.Signers {
		if s == nil || s.Issuer() == "" {
			return nil, errorf(ErrInvalid, "PublisherConfig.Signers holds a nil signer or one without issuer")
		}
		if _, dup := signers[s.Issuer()]; dup {
			return nil, errorf(ErrInvalid, "two signers for issuer %s", s.Issuer())
		}
		signers[s.Issuer()] = s
	}
	if cfg.Validity == 0 {
		cfg.Validity = DefaultValidity
	}
	if cfg.RefreshBefore == 0 {
		cfg.RefreshBefore = cfg.Validity / 4
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.BatchWindow == 0 {
		cfg.BatchWindow = DefaultBatchWindow
	}
	switch {
	case cfg.Validity < time.Minute:
		return nil, errorf(ErrInvalid, "Validity %v is under a minute", cfg.Validity)
	case cfg.RefreshBefore < 0 || cfg.RefreshBefore >= cfg.Validity:
		return nil, errorf(ErrInvalid, "RefreshBefore %v must be between 0 and Validity", cfg.RefreshBefore)
	case cfg.MaxAge < 0 || cfg.BatchWindow < 0:
		return nil, errorf(ErrInvalid, "MaxAge and BatchWindow must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Publisher{
		cfg: cfg, base: base, prefix: strings.TrimRight(u.EscapedPath(), "/") + "/",
		signers: signers, cache: map[cacheKey]*published{},
	}, nil
}

// Signatures returns how many documents the Publisher has signed (a metric).
func (p *Publisher) Signatures() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signs
}

// ServeHTTP implements http.Handler.
func (p *Publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, p.prefix) {
		http.NotFound(w, r)
		return
	}
	id, f, err := parseListPath(path[len(p.prefix):])
	if err != nil {
		http.Error(w, "malformed status list URL", http.StatusBadRequest)
		return
	}
	st, err := p.Document(r.Context(), id, f)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, ErrInvalid):
		http.Error(w, "no such status list", http.StatusNotFound)
		return
	case err != nil:
		p.cfg.Logger.ErrorContext(r.Context(), "status list unavailable", "list", id, "format", string(f), "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "status list temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("ETag", st.ETag)
	left := st.ValidUntil.Sub(p.cfg.Now())
	maxAge := min(p.cfg.MaxAge, left)
	if maxAge >= time.Second {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge/time.Second)))
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if etagMatch(r.Header.Get("If-None-Match"), st.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if f == FormatStatusList2021 {
		h.Set("Content-Type", "application/ld+json")
	} else {
		h.Set("Content-Type", "application/vc+ld+json")
	}
	h.Set("Content-Length", strconv.Itoa(len(st.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(st.Body)
	}
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// Signed is a signed list credential as served.
type Signed struct {
	// Body is the signed document.
	Body []byte
	// ETag is its strong entity tag (quoted).
	ETag string
	// Version is the list Version it reflects.
	Version int64
	// ValidUntil is the document's validUntil.
	ValidUntil time.Time
}

// Document returns the signed credential of list id in format f, from the
// cache when it is still current. Errors match store.ErrNotFound (no such
// list), ErrInvalid (no signer for its issuer, or a format the list cannot
// have) or are store and signing failures.
func (p *Publisher) Document(ctx context.Context, id string, f Format) (Signed, error) {
	k := cacheKey{id, f}
	p.mu.Lock()
	e := p.cache[k]
	if e == nil {
		e = &published{}
		p.cache[k] = e
	}
	st := e.state
	p.mu.Unlock()
	if p.fresh(st, p.cfg.Now()) {
		return signed(st), nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p.mu.Lock()
	st = e.state
	p.mu.Unlock()
	now := p.cfg.Now()
	if p.fresh(st, now) {
		return signed(st), nil // refreshed by the request we waited for
	}
	next, err := p.refresh(ctx, id, f, st, now)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if !e.state.ok && p.cache[k] == e {
			delete(p.cache, k) // keep no entries for unknown lists
		}
		return Signed{}, err
	}
	e.state = next
	return signed(next), nil
}

func signed(st pubState) Signed {
	return Signed{Body: st.doc, ETag: st.etag, Version: st.version, ValidUntil: st.validUntil}
}

// fresh reports whether st may be served at now without asking the store.
func (p *Publisher) fresh(st pubState, now time.Time) bool {
	return st.ok && now.Sub(st.checked) < p.cfg.BatchWindow && now.Before(st.validUntil.Add(-p.cfg.RefreshBefore))
}

// refresh compares st with the store and re-signs when the list changed
// or the validity runs out.
func (p *Publisher) refresh(ctx context.Context, id string, f Format, st pubState, now time.Time) (pubState, error) {
	l, err := p.cfg.Store.StatusLists().Get(ctx, id)
	if err != nil {
		return st, err
	}
	if st.ok && l.Version == st.version && now.Before(st.validUntil.Add(-p.cfg.RefreshBefore)) {
		st.checked = now
		return st, nil
	}
	signer := p.signers[l.Issuer]
	if signer == nil {
		return st, errorf(ErrInvalid, "no signer for issuer %s of list %s", l.Issuer, id)
	}
	if f == FormatStatusList2021 && (l.Purpose == PurposeMessage || l.StatusSize > 1) {
		return st, errorf(ErrInvalid, "list %s is a message list, which StatusList2021 cannot carry", id)
	}
	bits, version, err := Bits(ctx, p.cfg.Store, l)
	if err != nil {
		return st, err
	}
	lc := ListCredential{
		URL: listURL(p.base, id, f), Issuer: l.Issuer, Purpose: l.Purpose, Format: f,
		ValidFrom: now, ValidUntil: now.Add(p.cfg.Validity), List: bits,
	}
	doc, err := lc.Document()
	if err != nil {
		return st, err
	}
	start := time.Now()
	body, err := signer.SignList(ctx, doc)
	if err != nil {
		return st, fmt.Errorf("status: signing list %s: %w", id, err)
	}
	p.mu.Lock()
	p.signs++
	p.mu.Unlock()
	p.cfg.Logger.InfoContext(ctx, "status list signed", "list", id, "format", string(f), "version", version, "took", time.Since(start))
	sum := sha256.Sum256(body)
	return pubState{
		doc: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, version: version,
		validUntil: lc.ValidUntil.UTC().Truncate(time.Second), checked: now, ok: true,
	}, nil
}
