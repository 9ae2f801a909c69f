package verifypage

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limit defaults.
const (
	// DefaultRate is the sustained number of requests per second one
	// client may make.
	DefaultRate = 2
	// DefaultBurst is how many requests one client may make at once.
	DefaultBurst = 60
	// DefaultClients bounds the number of clients whose budget is kept.
	DefaultClients = 10000
)

// RateLimit configures the per-client request limit of a Handler. Every
// request counts, whatever it answers (an unknown id costs a store read).
// A client over its budget gets 429 with Retry-After and a generic body.
type RateLimit struct {
	// Rate is the sustained number of requests per second one client may
	// make: 0 means DefaultRate, a negative value turns the limit off.
	Rate float64
	// Burst is how many requests one client may make at once; 0 means
	// DefaultBurst.
	Burst int
	// Clients bounds the number of clients whose budget is kept (least
	// recently seen dropped first, so memory stays bounded however many
	// addresses call); 0 means DefaultClients. A dropped client starts
	// again with a full burst.
	Clients int
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the handler. Only a request whose peer address is in one of them has
	// its X-Forwarded-For read: the client is the rightmost address in it
	// that is not itself a trusted proxy. Empty (the default): the peer
	// address is the client and X-Forwarded-For is ignored, since anyone
	// can send one.
	TrustedProxies []netip.Prefix
}

// limiter keeps one token bucket per client key.
type limiter struct {
	cfg RateLimit

	mu      sync.Mutex
	clients *lru[string, *rate.Limiter]
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.Rate < 0 {
		return nil
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Clients <= 0 {
		cfg.Clients = DefaultClients
	}
	return &limiter{cfg: cfg, clients: newLRU[string, *rate.Limiter](cfg.Clients)}
}

// allow takes one token of key's bucket at now; when there is none it
// reports how long until there is one.
func (l *limiter) allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, found := l.clients.get(key)
	if !found {
		lim = rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)
		l.clients.put(key, lim)
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// size is the number of clients whose budget is kept.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clients.len()
}

// clientKey names the client of r: its address (an IPv6 address by its
// /64, which one subscriber usually holds whole), read from
// X-Forwarded-For only when the peer is a trusted proxy.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return "peer:" + r.RemoteAddr
	}
	client := peer
	if len(trusted) > 0 && inAny(peer, trusted) {
		client = forwardedClient(r.Header.Values("X-Forwarded-For"), trusted, peer)
	}
	return addrKey(client)
}

// forwardedClient walks X-Forwarded-For from the right (the hop nearest to
// us first) past the trusted proxies; the first other address is the
// client. A malformed entry stops the walk at the last trusted hop, since
// what lies left of it was written by someone we do not trust.
func forwardedClient(values []string, trusted []netip.Prefix, peer netip.Addr) netip.Addr {
	client := peer
	hops := strings.Split(strings.Join(values, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client
		}
		client = a.Unmap()
		if !inAny(client, trusted) {
			return client
		}
	}
	return client
}

func parseAddr(hostport string) (netip.Addr, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func addrKey(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// retryAfterSeconds is d rounded up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// lru is a map of at most max entries that drops the least recently used
// one when full. It is not safe for concurrent use.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // front: most recently used; elements hold *entry[K, V]
	items map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), items: make(map[K]*list.Element)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry[K, V]).val, true
}

func (c *lru[K, V]) put(k K, v V) {
	if e, ok := c.items[k]; ok {
		e.Value.(*entry[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	for c.order.Len() >= c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry[K, V]).key)
	}
	c.items[k] = c.order.PushFront(&entry[K, V]{key: k, val: v})
}

func (c *lru[K, V]) len() int { return c.order.Len() }

func (c *lru[K, V]) clear() {
	c.order.Init()
	clear(c.items)
}
