package status

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/netguard"
)

// ProofVerifier verifies the proof on a status list credential. The
// vc-backed implementation is status/statusproof.Verifier.
type ProofVerifier interface {
	// VerifyProof checks every proof on doc and returns the DIDs that
	// control the keys that made them. A document without a valid proof is
	// an error.
	VerifyProof(ctx context.Context, doc []byte) (signers []string, err error)
}

// State is what a status check found.
type State string

// States.
const (
	// StateValid: the entry was read and is clear.
	StateValid State = "valid"
	// StateRevoked: the revocation entry is set.
	StateRevoked State = "revoked"
	// StateSuspended: the suspension entry is set.
	StateSuspended State = "suspended"
	// StateUnknown: the entry could not be read (Result.Err says why). A
	// verifier must not treat it as valid.
	StateUnknown State = "unknown"
)

// Result is the outcome of one status check.
type Result struct {
	// State is the verdict.
	State State
	// Reason explains it to a person.
	Reason string
	// Err is the cause of StateUnknown; it matches this package's
	// sentinels (ErrFetch, ErrMismatch, ErrExpired, ErrUnsigned, …).
	Err error
	// Purpose is the entry's statusPurpose; Value the entry's value;
	// Message its statusMessage for message lists.
	Purpose string
	Value   int
	Message string
	// List is the status list credential's URL, Index the entry's index.
	List  string
	Index int
	// Cached reports whether the list came from the cache.
	Cached bool
}

// Checker defaults.
const (
	DefaultCheckTimeout = 10 * time.Second
	DefaultMaxCacheTTL  = 5 * time.Minute
	DefaultMaxRedirects = 3
)

// CheckerOption configures a Checker.
type CheckerOption func(*Checker)

// WithNetPolicy sets where list fetches may go. The default, the zero
// netguard.Policy, fetches over https from public unicast addresses only,
// checked on the address dialled, redirects included. netguard.Localhost()
// allows loopback and plain http (programs and tests on one machine);
// Policy.AllowHosts and AllowPrefixes name internal hosts and ranges a
// deployment trusts. NewChecker refuses an invalid policy.
func WithNetPolicy(p netguard.Policy) CheckerOption { return func(k *Checker) { k.policy = p } }

// WithTLSConfig sets the TLS configuration of list fetches (the root CAs
// of a private authority or of a test server); default the system roots.
func WithTLSConfig(c *tls.Config) CheckerOption { return func(k *Checker) { k.tls = c } }

// WithHTTPClient replaces the guarded client built from WithNetPolicy:
// lists are fetched with a copy of c (the Checker installs its own
// redirect rule and timeout), which then decides which addresses a fetch
// may reach — pass a client made by netguard.New, never one without its
// policy. The policy's AllowHTTP still decides whether http list URLs are
// accepted.
func WithHTTPClient(c *http.Client) CheckerOption { return func(k *Checker) { k.base = c } }

// WithTimeout bounds one fetch, redirects included; default
// DefaultCheckTimeout.
func WithTimeout(d time.Duration) CheckerOption { return func(k *Checker) { k.timeout = d } }

// WithMaxDocumentSize bounds a fetched list credential in bytes; default
// vc.MaxDocumentSize.
func WithMaxDocumentSize(n int64) CheckerOption { return func(k *Checker) { k.maxDoc = n } }

// WithMaxListBytes bounds a decompressed list; default DefaultMaxListBytes.
func WithMaxListBytes(n int) CheckerOption { return func(k *Checker) { k.maxList = n } }

// WithMaxCacheTTL caps how long a verified list is kept; 0 turns the cache
// off (every check fetches). Within the cap, a list is kept no longer
// than its response's Cache-Control max-age (no-store and no-cache mean
// not at all) and its validUntil. Default DefaultMaxCacheTTL.
func WithMaxCacheTTL(d time.Duration) CheckerOption { return func(k *Checker) { k.maxTTL = d } }

// WithCacheSize bounds the list cache to lists verified lists and about
// bytes bytes of memory (their bits, URL, issuer and a fixed overhead per
// list); the least recently used go first, expired ones before them.
// Zero keeps the defaults, DefaultCacheLists and DefaultCacheBytes;
// NewChecker refuses negative values. WithMaxCacheTTL(0) turns the cache
// off.
func WithCacheSize(lists int, bytes int64) CheckerOption {
	return func(k *Checker) { k.cacheN, k.cacheBytes = lists, bytes }
}

// WithAllowHTTP accepts http:// list URLs and loopback addresses (tests
// and local development): it adds netguard.Localhost()'s exceptions to
// the policy.
//
// Deprecated: use WithNetPolicy(netguard.Localhost()).
func WithAllowHTTP() CheckerOption { return func(k *Checker) { k.legacyHTTP = true } }

// WithClock sets the clock used for validity and cache expiry.
func WithClock(now func() time.Time) CheckerOption { return func(k *Checker) { k.now = now } }

// Checker reads credentials' status entries: it fetches the status list
// credential an entry names (https only, bounded in time and size, no
// redirect to anything but https), verifies its proof and that it was
// issued — and signed — by the credential's issuer, checks its type,
// purpose and validity period, and reads the entry. Verified lists are
// cached within what Cache-Control, validUntil and WithMaxCacheTTL allow.
// It implements vc.StatusChecker and is safe for concurrent use.
//
// Lists are fetched through a vc/netguard client: by default https only,
// from public unicast addresses only (loopback, private, link-local,
// CGNAT, multicast, unspecified, broadcast, documentation and IPv4-mapped
// addresses are refused on the address dialled, redirects included);
// WithNetPolicy widens that for internal hosts or local development. The
// cache is bounded by WithCacheSize.
type Checker struct {
	proofs     ProofVerifier
	base       *http.Client
	client     *http.Client
	policy     netguard.Policy
	tls        *tls.Config
	legacyHTTP bool
	timeout    time.Duration
	maxDoc     int64
	maxList    int
	maxTTL     time.Duration
	cacheN     int
	cacheBytes int64
	allowHTTP  bool
	now        func() time.Time

	cache    listCache
	mu       sync.Mutex
	inflight map[string]*fetchCall
}

var _ vc.StatusChecker = (*Checker)(nil)

// cachedList is a verified list.
type cachedList struct {
	issuer   string
	types    []string
	purposes []string
	raw      []byte // the decoded bits
	expires  time.Time
}

type fetchCall struct {
	done chan struct{}
	list *cachedList
	err  error
}

// NewChecker returns a Checker verifying list proofs with proofs.
func NewChecker(proofs ProofVerifier, opts ...CheckerOption) (*Checker, error) {
	if proofs == nil {
		return nil, errorf(ErrInvalid, "NewChecker: a ProofVerifier is required")
	}
	k := &Checker{
		proofs: proofs, timeout: DefaultCheckTimeout, maxDoc: vc.MaxDocumentSize,
		maxList: DefaultMaxListBytes, maxTTL: DefaultMaxCacheTTL, now: time.Now,
		inflight: map[string]*fetchCall{},
	}
	for _, o := range opts {
		o(k)
	}
	if k.timeout <= 0 || k.maxDoc <= 0 || k.maxList <= 0 || k.maxTTL < 0 || k.now == nil || k.cacheN < 0 || k.cacheBytes < 0 {
		return nil, errorf(ErrInvalid, "NewChecker: timeout, sizes must be positive and the cache TTL and size not negative")
	}
	if k.cacheN == 0 {
		k.cacheN = DefaultCacheLists
	}
	if k.cacheBytes == 0 {
		k.cacheBytes = DefaultCacheBytes
	}
	k.cache = newListCache(k.cacheN, k.cacheBytes)
	if k.legacyHTTP {
		lh := netguard.Localhost()
		k.policy.AllowHTTP = true
		k.policy.AllowPrefixes = append(append([]netip.Prefix(nil), k.policy.AllowPrefixes...), lh.AllowPrefixes...)
	}
	k.allowHTTP = k.policy.AllowHTTP
	base := k.base
	if base == nil {
		// One byte over the limit passes the client, so that the size
		// check in fetch reports it.
		g, err := netguard.New(netguard.Config{Policy: k.policy, Timeout: k.timeout, MaxBytes: k.maxDoc + 1,
			MaxRedirects: DefaultMaxRedirects, TLS: k.tls})
		if err != nil {
			return nil, wrap(ErrInvalid, err, "NewChecker: the network policy")
		}
		base = g
	}
	c := *base
	c.Timeout = k.timeout
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > DefaultMaxRedirects {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" && !(k.allowHTTP && req.URL.Scheme == "http") {
			return fmt.Errorf("refusing a redirect to %s URL", req.URL.Scheme)
		}
		return nil
	}
	k.client = &c
	return k, nil
}

// CheckStatus implements vc.StatusChecker: StateUnknown is an error, any
// other state a StatusResult.
func (k *Checker) CheckStatus(ctx context.Context, issuerID string, entry vc.StatusEntry) (vc.StatusResult, error) {
	r := k.Check(ctx, issuerID, entry)
	if r.State == StateUnknown {
		return vc.StatusResult{Purpose: entry.StatusPurpose}, r.Err
	}
	return vc.StatusResult{Set: r.Value != 0, Purpose: r.Purpose, Message: r.Message}, nil
}

// Check reads one status entry of a credential issued by issuerID.
func (k *Checker) Check(ctx context.Context, issuerID string, entry vc.StatusEntry) Result {
	r := Result{Purpose: entry.StatusPurpose, List: entry.StatusListCredential}
	var wantCred string
	switch entry.Type {
	case TypeBitstringEntry:
		wantCred = TypeBitstringCredential
	case Type2021Entry:
		wantCred = Type2021Credential
	default:
		return unknown(r, errorf(ErrMalformed, "status entry type %q is not supported", clip(entry.Type)))
	}
	if issuerID == "" {
		return unknown(r, errorf(ErrInvalid, "no issuer to compare the status list's issuer with"))
	}
	idx, err := strconv.Atoi(entry.StatusListIndex)
	if err != nil || idx < 0 || strings.TrimSpace(entry.StatusListIndex) != entry.StatusListIndex {
		return unknown(r, errorf(ErrMalformed, "statusListIndex %q is not a non-negative integer", clip(entry.StatusListIndex)))
	}
	r.Index = idx
	size, msgs, err := entryMessages(entry)
	if err != nil {
		return unknown(r, err)
	}
	if entry.StatusPurpose == "" {
		return unknown(r, errorf(ErrMalformed, "the status entry has no statusPurpose"))
	}
	l, cached, err := k.list(ctx, entry.StatusListCredential)
	if err != nil {
		return unknown(r, err)
	}
	r.Cached = cached
	switch {
	case l.issuer != issuerID:
		return unknown(r, errorf(ErrMismatch, "the status list was issued by %s, the credential by %s", l.issuer, issuerID))
	case !contains(l.types, wantCred):
		return unknown(r, errorf(ErrMismatch, "a %s needs a %s", entry.Type, wantCred))
	case !contains(l.purposes, entry.StatusPurpose):
		return unknown(r, errorf(ErrMismatch, "the status list's purpose is %v, the entry's %q", l.purposes, entry.StatusPurpose))
	}
	if (idx+1)*size > len(l.raw)*8 || idx > len(l.raw)*8 {
		return unknown(r, errorf(ErrMismatch, "index %d is beyond the list's %d entries", idx, len(l.raw)*8/size))
	}
	r.Value = readBits(l.raw, idx*size, size)
	// Reasons are concatenated, not formatted: this is the hot path of a
	// cached check.
	switch {
	case r.Value == 0 && entry.StatusPurpose != PurposeMessage:
		r.State, r.Reason = StateValid, entry.StatusPurpose+" entry "+entry.StatusListIndex+" is clear"
	case entry.StatusPurpose == PurposeRevocation:
		r.State, r.Reason = StateRevoked, "revoked: entry "+entry.StatusListIndex+" of "+entry.StatusListCredential+" is set"
	case entry.StatusPurpose == PurposeSuspension:
		r.State, r.Reason = StateSuspended, "suspended: entry "+entry.StatusListIndex+" of "+entry.StatusListCredential+" is set"
	default:
		r.State = StateValid
		r.Message = msgs["0x"+strconv.FormatInt(int64(r.Value), 16)]
		r.Reason = fmt.Sprintf("%s entry %d is 0x%x (%s)", entry.StatusPurpose, idx, r.Value, r.Message)
	}
	return r
}

func unknown(r Result, err error) Result {
	r.State, r.Err, r.Reason = StateUnknown, err, err.Error()
	return r
}

// entryMessages reads statusSize and statusMessage of an entry.
func entryMessages(e vc.StatusEntry) (int, map[string]string, error) {
	size := 1
	if raw, ok := e.Extra["statusSize"]; ok {
		n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
		if size = n; err != nil || size < 1 || size > MaxStatusSize {
			return 0, nil, errorf(ErrMalformed, "statusSize %s is not between 1 and %d", clip(string(raw)), MaxStatusSize)
		}
	}
	var msgs map[string]string
	if raw, ok := e.Extra["statusMessage"]; ok {
		var list []struct{ Status, Message string }
		if err := json.Unmarshal(raw, &list); err != nil {
			return 0, nil, errorf(ErrMalformed, "statusMessage is not a list of {status, message}")
		}
		msgs = make(map[string]string, len(list))
		for _, m := range list {
			msgs[strings.ToLower(m.Status)] = m.Message
		}
	}
	return size, msgs, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// list returns the verified list at u, from the cache or fetched; one
// fetch per URL at a time.
func (k *Checker) list(ctx context.Context, u string) (*cachedList, bool, error) {
	now := k.now()
	if l := k.cache.get(u, now); l != nil {
		return l, true, nil // only checked URLs are ever cached
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" || (pu.Scheme != "https" && !(k.allowHTTP && pu.Scheme == "http")) {
		return nil, false, errorf(ErrMalformed, "statusListCredential %q is not an https URL", clip(u))
	}
	k.mu.Lock()
	if l := k.cache.get(u, now); l != nil {
		k.mu.Unlock()
		return l, true, nil
	}
	call := k.inflight[u]
	if call == nil {
		call = &fetchCall{done: make(chan struct{})}
		k.inflight[u] = call
		k.mu.Unlock()
		call.list, call.err = k.fetch(context.WithoutCancel(ctx), u)
		k.mu.Lock()
		delete(k.inflight, u)
		if now := k.now(); call.err == nil && call.list.expires.After(now) {
			k.cache.put(u, call.list, now)
		} else {
			k.cache.Drop(u)
		}
		k.mu.Unlock()
		close(call.done)
	} else {
		k.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, false, wrap(ErrFetch, ctx.Err(), "waiting for %s", clip(u))
		}
	}
	return call.list, false, call.err
}

// listDoc is the part of a list credential the checker reads.
type listDoc struct {
	ID                string          `json:"id"`
	CredentialSubject json.RawMessage `json:"credentialSubject"`
}

type listSubject struct {
	ID            string          `json:"id"`
	Type          vc.Types        `json:"type"`
	StatusPurpose json.RawMessage `json:"statusPurpose"`
	EncodedList   string          `json:"encodedList"`
}

// fetch downloads, verifies and decodes the list at u.
func (k *Checker) fetch(ctx context.Context, u string) (*cachedList, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, wrap(ErrMalformed, err, "list URL %q", clip(u))
	}
	req.Header.Set("Accept", "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.8")
	fail := func(err error) error {
		kind := ErrFetch
		if errors.Is(err, netguard.ErrTooLarge) {
			kind = ErrTooLarge
		}
		return &FetchError{URL: u, Kind: kind, Err: err}
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fail(fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, k.maxDoc+1))
	if err != nil {
		return nil, fail(err)
	}
	if int64(len(body)) > k.maxDoc {
		return nil, &FetchError{URL: u, Kind: ErrTooLarge, Err: fmt.Errorf("the document is over %d bytes", k.maxDoc)}
	}
	now := k.now()
	ttl := cacheTTL(resp.Header.Get("Cache-Control"), k.maxTTL)
	l, err := k.parse(ctx, u, body, now)
	if err != nil {
		return nil, err
	}
	if l.expires.IsZero() || now.Add(ttl).Before(l.expires) {
		l.expires = now.Add(ttl)
	}
	return l, nil
}

// parse verifies and decodes a list credential fetched from u at now.
// The returned list's expires is its validUntil (zero when absent).
func (k *Checker) parse(ctx context.Context, u string, body []byte, now time.Time) (*cachedList, error) {
	c, err := vc.ParseCredential(body)
	if err != nil {
		if errors.Is(err, vc.ErrTooLarge) || errors.Is(err, vc.ErrTooDeep) {
			return nil, wrap(ErrTooLarge, err, "status list credential at %s", clip(u))
		}
		return nil, wrap(ErrMalformed, err, "status list credential at %s", clip(u))
	}
	var d listDoc
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, wrap(ErrMalformed, err, "status list credential at %s", clip(u))
	}
	if d.ID != u {
		return nil, errorf(ErrMismatch, "the status list credential fetched from %s has id %q", clip(u), clip(d.ID))
	}
	var subj listSubject
	if err := json.Unmarshal(bytes.TrimSpace(d.CredentialSubject), &subj); err != nil {
		return nil, wrap(ErrMalformed, err, "credentialSubject of %s (one object expected)", clip(u))
	}
	purposes, err := purposesOf(subj.StatusPurpose)
	if err != nil {
		return nil, err
	}
	if !subj.Type.Has(TypeBitstringList) && !subj.Type.Has(Type2021List) {
		return nil, errorf(ErrMismatch, "the list's credentialSubject type %v is neither %s nor %s", subj.Type, TypeBitstringList, Type2021List)
	}
	if c.Type.Has(TypeBitstringCredential) != subj.Type.Has(TypeBitstringList) {
		return nil, errorf(ErrMismatch, "credential type %v and list type %v disagree", c.Type, subj.Type)
	}
	from, until := c.Validity()
	if !from.IsZero() && now.Before(from) {
		return nil, errorf(ErrExpired, "the status list credential is valid from %s", from.Format(time.RFC3339))
	}
	if !until.IsZero() && !now.Before(until) {
		return nil, errorf(ErrExpired, "the status list credential expired at %s", until.Format(time.RFC3339))
	}
	signers, err := k.proofs.VerifyProof(ctx, body)
	if err != nil {
		return nil, wrap(ErrUnsigned, err, "status list credential at %s", clip(u))
	}
	if len(signers) == 0 {
		return nil, errorf(ErrUnsigned, "the status list credential at %s has no proof", clip(u))
	}
	for _, s := range signers {
		if s != c.Issuer.ID {
			return nil, errorf(ErrUnsigned, "the status list credential of %s was signed by %s", c.Issuer.ID, s)
		}
	}
	raw, err := gunzipBase64(subj.EncodedList, k.maxList)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errorf(ErrMalformed, "the status list at %s is empty", clip(u))
	}
	return &cachedList{issuer: c.Issuer.ID, types: c.Type, purposes: purposes, raw: raw, expires: until}, nil
}

func purposesOf(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, nil
	}
	return nil, errorf(ErrMalformed, "the list's statusPurpose is missing or not a string")
}

// cacheTTL reads Cache-Control and caps the lifetime it allows by max.
func cacheTTL(header string, max time.Duration) time.Duration {
	ttl := max
	for _, d := range strings.Split(header, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			if err != nil || n <= 0 {
				return 0
			}
			if s := time.Duration(min(n, int64(max/time.Second)+1)) * time.Second; s < ttl {
				ttl = s
			}
		}
	}
	return ttl
}

// Flush empties the cache.
func (k *Checker) Flush() {
	k.cache.Flush()
}
