package netguard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Sentinel errors.
var (
	// ErrDenied: the policy refuses the destination (its address, its
	// scheme, or a redirect).
	ErrDenied = errors.New("netguard: destination not allowed")
	// ErrTooLarge: a response body is larger than Config.MaxBytes.
	ErrTooLarge = errors.New("netguard: response too large")
)

// DeniedError is a destination the policy refuses. It matches ErrDenied.
// Its text names the address or URL: log it, do not send it to a remote
// caller.
type DeniedError struct {
	// Target is the address dialled (ip:port) or the URL requested.
	Target string
	// Reason says which rule refused it.
	Reason string
}

// Error implements error.
func (e *DeniedError) Error() string {
	return "netguard: refusing " + e.Target + ": " + e.Reason
}

// Is reports whether target is ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Policy says which destinations a fetch may reach. The zero value is the
// safe default: https only, public unicast addresses only.
type Policy struct {
	// AllowHosts names hosts (exact names, case-insensitive; "*.example.edu"
	// for every subdomain of example.edu) that may be reached whatever
	// address they resolve to — for a deployment whose did:web documents or
	// status lists live inside its own network. An IP literal here is the
	// same as a one-address prefix in AllowPrefixes.
	AllowHosts []string
	// AllowPrefixes names address ranges that may be dialled although the
	// default policy refuses them (for example 10.20.0.0/16).
	AllowPrefixes []netip.Prefix
	// AllowHTTP permits plain http URLs (local development). A redirect from
	// https to http is refused even so.
	AllowHTTP bool
}

// Localhost returns the policy for programs and tests on one machine:
// loopback addresses (127.0.0.0/8, ::1) and plain http allowed, every
// other rule as by default.
func Localhost() Policy {
	return Policy{
		AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		AllowHTTP:     true,
	}
}

// Defaults of Config.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBytes     = 16 << 20
	DefaultMaxRedirects = 3
)

// Config configures a client made by New.
type Config struct {
	// Policy says where the client may connect.
	Policy Policy
	// Timeout bounds a whole request, redirects and body included; default
	// DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds a response body (after content decoding); default
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxRedirects bounds the redirects followed; default
	// DefaultMaxRedirects; negative follows none.
	MaxRedirects int
	// TLS configures TLS (root CAs of a test server, client certificates);
	// default the system roots. Its minimum version is raised to TLS 1.2.
	TLS *tls.Config
}

// compiled is a Policy ready to check addresses.
type compiled struct {
	hosts    map[string]bool
	suffixes []string
	guardian *ssrf.Guardian
	http     bool
}

func compile(p Policy) (*compiled, error) {
	c := &compiled{hosts: map[string]bool{}, http: p.AllowHTTP}
	var v4, v6 []netip.Prefix
	add := func(pr netip.Prefix) {
		pr = pr.Masked()
		if pr.Addr().Is4() {
			v4 = append(v4, pr)
		} else {
			v6 = append(v6, pr)
		}
	}
	for _, pr := range p.AllowPrefixes {
		if !pr.IsValid() {
			return nil, fmt.Errorf("netguard: Policy.AllowPrefixes: %v is not a valid prefix", pr)
		}
		add(pr)
	}
	for _, h := range p.AllowHosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			add(netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		switch {
		case strings.HasPrefix(h, "*.") && validHost(h[2:]):
			c.suffixes = append(c.suffixes, h[1:])
		case validHost(h):
			c.hosts[h] = true
		default:
			return nil, fmt.Errorf("netguard: Policy.AllowHosts: %q is not a host name", h)
		}
	}
	c.guardian = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...))
	return c, nil
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return !strings.HasPrefix(h, ".") && !strings.Contains(h, "..")
}

func (c *compiled) hostAllowed(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if c.hosts[host] {
		return true
	}
	for _, s := range c.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// check refuses a dialled address the policy denies.
func (c *compiled) check(network, address string) error {
	if err := c.guardian.Safe(network, address, nil); err != nil {
		reason := err.Error()
		switch {
		case errors.Is(err, ssrf.ErrProhibitedIP):
			reason = "the address is not a public unicast address (" + classify(address) + ")"
		case errors.Is(err, ssrf.ErrProhibitedNetwork):
			reason = "network " + network + " is not tcp"
		}
		return &DeniedError{Target: address, Reason: reason}
	}
	return nil
}

// Check reports whether the policy lets a fetch dial addr (a *DeniedError
// when not). Host names in AllowHosts are not considered: they are
// matched before resolution, at dial time.
func (p Policy) Check(addr netip.Addr) error {
	c, err := compile(p)
	if err != nil {
		return err
	}
	return c.check(network(addr), netip.AddrPortFrom(addr, 443).String())
}

func network(a netip.Addr) string {
	if a.Is4() {
		return "tcp4"
	}
	return "tcp6"
}

// classify names the kind of a refused address for the error text.
func classify(address string) string {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return "unparsable"
	}
	a := ap.Addr()
	switch {
	case a.Is4In6():
		return "IPv4-mapped IPv6"
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.IsPrivate():
		return "private"
	}
	return "special-purpose"
}

// New returns an *http.Client that applies cfg. Errors report an invalid
// Policy.
func New(cfg Config) (*http.Client, error) {
	pol, err := compile(cfg.Policy)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 || cfg.MaxBytes < 0 {
		return nil, errors.New("netguard: Config: negative Timeout or MaxBytes")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	switch {
	case cfg.MaxRedirects == 0:
		cfg.MaxRedirects = DefaultMaxRedirects
	case cfg.MaxRedirects < 0:
		cfg.MaxRedirects = 0
	}
	var tc *tls.Config
	if cfg.TLS != nil {
		tc = cfg.TLS.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	dialTimeout := min(cfg.Timeout, 5*time.Second)
	guarded := &net.Dialer{Timeout: dialTimeout, Control: func(network, address string, _ syscall.RawConn) error {
		return pol.check(network, address)
	}}
	trusted := &net.Dialer{Timeout: dialTimeout}
	base := &http.Transport{
		Proxy: nil, // a proxy would be the address dialled, defeating the check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err == nil && pol.hostAllowed(host) {
				return trusted.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        tc,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dialTimeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	t := &transport{base: base, pol: pol, max: cfg.MaxBytes, redirects: cfg.MaxRedirects, timeout: cfg.Timeout}
	return &http.Client{
		Transport: t,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// The transport enforces the same; failing here gives the
			// clearer error and skips a doomed request.
			return t.checkRequest(req)
		},
	}, nil
}

// Default returns a client with the default policy and limits.
func Default() *http.Client {
	c, err := New(Config{})
	if err != nil {
		panic(err) // the zero Config is valid
	}
	return c
}

// MustNew is New for configurations known to be valid (tests, examples).
func MustNew(cfg Config) *http.Client {
	c, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// transport enforces the scheme, redirect, size and time limits on every
// request, whichever CheckRedirect and Timeout the client ends up with.
type transport struct {
	base      *http.Transport
	pol       *compiled
	max       int64
	redirects int
	timeout   time.Duration
}

func (t *transport) checkRequest(req *http.Request) error {
	u := req.URL
	switch {
	case u == nil || u.Host == "":
		return &DeniedError{Target: "(no host)", Reason: "the URL has no host"}
	case u.Scheme == "https":
	case u.Scheme == "http" && t.pol.http:
	default:
		return &DeniedError{Target: redact(u), Reason: "scheme " + u.Scheme + " is not allowed (https only)"}
	}
	hops := 0
	for r := req.Response; r != nil && r.Request != nil; r = r.Request.Response {
		if hops == 0 && r.Request.URL != nil && r.Request.URL.Scheme == "https" && u.Scheme != "https" {
			return &DeniedError{Target: redact(u), Reason: "a redirect from https to " + u.Scheme}
		}
		hops++
	}
	if hops > t.redirects {
		return &DeniedError{Target: redact(u), Reason: fmt.Sprintf("more than %d redirects", t.redirects)}
	}
	return nil
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.checkRequest(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.ContentLength > t.max {
		_ = resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w: %s declares %d bytes, over the limit of %d", ErrTooLarge, redact(req.URL), resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, max: t.max, cancel: cancel}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// base transport.
func (t *transport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// limitedBody fails a Read past max bytes with ErrTooLarge and releases
// the request's deadline when closed.
type limitedBody struct {
	rc     io.ReadCloser
	left   int64
	max    int64
	cancel context.CancelFunc
	err    error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// At the limit: anything more is too much.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			b.err = fmt.Errorf("%w: the body is over %d bytes", ErrTooLarge, b.max)
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// redact drops the user information and query of u for error texts.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	s := c.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
