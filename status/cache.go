package status

import (
	"container/list"
	"sync"
	"time"
)

// Defaults of the Checker's list cache (see WithCacheSize).
const (
	DefaultCacheLists = 1_000
	DefaultCacheBytes = 64 << 20
)

// sweepEvery is how often, on the Checker's clock, an insertion also
// drops every expired list.
const sweepEvery = time.Minute

// listOverhead approximates the memory of one cached list besides its
// URL, issuer, types, purposes and bits: the map slot, the list element
// and the struct.
const listOverhead = 256

// listCache holds verified lists, bounded by entries and by (estimated)
// bytes. Eviction is the second-chance ("clock") approximation of
// least-recently-used: a hit only marks its list, under the read lock, so
// cached checks do not serialise; an insertion over a bound walks the
// ring from the hand, dropping expired and unmarked lists and unmarking
// the others. Expired lists are also dropped when looked up and, at most
// once per sweepEvery, all at once.
type listCache struct {
	maxN     int
	maxBytes int64

	mu        sync.RWMutex
	bytes     int64
	m         map[string]*cachedList
	ring      *list.List // of *cachedList
	hand      *list.Element
	nextSweep time.Time
}

func newListCache(lists int, bytes int64) *listCache {
	return &listCache{maxN: lists, maxBytes: bytes, m: map[string]*cachedList{}, ring: list.New()}
}

// get returns the unexpired list cached for u.
func (c *listCache) get(u string, now time.Time) *cachedList {
	c.mu.RLock()
	l := c.m[u]
	c.mu.RUnlock()
	if l == nil {
		return nil
	}
	if !now.Before(l.expires) {
		c.mu.Lock()
		if c.m[u] == l {
			c.remove(l)
		}
		c.mu.Unlock()
		return nil
	}
	if !l.used.Load() {
		l.used.Store(true)
	}
	return l
}

// put caches l for u until l.expires.
func (c *listCache) put(u string, l *cachedList, now time.Time) {
	size := int64(len(u)+len(l.issuer)+len(l.raw)) + listOverhead
	for _, s := range l.types {
		size += int64(len(s)) + 16
	}
	for _, s := range l.purposes {
		size += int64(len(s)) + 16
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[u]; old != nil {
		c.remove(old)
	}
	if !now.Before(c.nextSweep) {
		c.sweep(now)
		c.nextSweep = now.Add(sweepEvery)
	}
	if size > c.maxBytes || !now.Before(l.expires) {
		return
	}
	for len(c.m) > 0 && (len(c.m) >= c.maxN || c.bytes+size > c.maxBytes) {
		c.evictOne(now)
	}
	l.key, l.size = u, size
	if c.hand != nil {
		l.elem = c.ring.InsertBefore(l, c.hand) // examined last
	} else {
		l.elem = c.ring.PushBack(l)
	}
	c.m[u] = l
	c.bytes += size
}

// evictOne drops one list: the first expired or unmarked one from the
// hand on, unmarking the marked ones it passes. Called with mu held and a
// non-empty ring; it ends within two turns of the ring.
func (c *listCache) evictOne(now time.Time) {
	el := c.hand
	for {
		if el == nil {
			el = c.ring.Front()
		}
		l := el.Value.(*cachedList)
		if !now.Before(l.expires) || !l.used.Load() {
			c.hand = el
			c.remove(l)
			return
		}
		l.used.Store(false)
		el = el.Next()
	}
}

// sweep drops every expired list. Called with mu held.
func (c *listCache) sweep(now time.Time) {
	for el := c.ring.Front(); el != nil; {
		next := el.Next()
		if l := el.Value.(*cachedList); !now.Before(l.expires) {
			c.remove(l)
		}
		el = next
	}
}

// remove drops l, moving the hand past it. Called with mu held.
func (c *listCache) remove(l *cachedList) {
	if c.hand == l.elem {
		c.hand = l.elem.Next()
	}
	c.ring.Remove(l.elem)
	delete(c.m, l.key)
	c.bytes -= l.size
}

// drop removes the list cached for u, if any.
func (c *listCache) drop(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.m[u]; l != nil {
		c.remove(l)
	}
}

// stats returns the lists and estimated bytes held.
func (c *listCache) stats() (int, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

// flush empties the cache.
func (c *listCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.ring.Init()
	c.hand, c.bytes = nil, 0
}
