// Package clockcache is the bounded cache of the documents credshare fetches
// because of input — did:web documents (vc/did), status lists (status) —
// where a stream of distinct URLs must not grow memory without bound.
//
// A Cache is bounded by entries and by (estimated) bytes. Eviction is the
// second-chance ("clock") approximation of least-recently-used: a hit only
// marks its entry, under the read lock, so cached lookups on a hot path do
// not serialise (a strict LRU list would take the write lock on every hit);
// an insertion over a bound walks the ring from the hand, dropping expired
// and unmarked entries and unmarking the others. Expired entries are also
// dropped when looked up and, at most once per SweepEvery, all at once.
package clockcache

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// SweepEvery is how often, on the caller's clock, an insertion also drops
// every expired entry.
const SweepEvery = time.Minute

// Overhead approximates the memory of one entry besides its key and
// value: the map slot, the list element and the entry itself. Put adds it,
// and the key's length, to the size it is given.
const Overhead = 256

// Cache maps keys to values of type V; it is safe for concurrent use.
type Cache[V any] struct {
	maxN     int
	maxBytes int64

	mu        sync.RWMutex
	bytes     int64
	m         map[string]*entry[V]
	ring      *list.List // of *entry[V]
	hand      *list.Element
	nextSweep time.Time
}

type entry[V any] struct {
	key  string
	val  V
	size int64
	exp  time.Time
	used atomic.Bool
	elem *list.Element
}

// New returns a cache holding at most entries values and bytes (estimated)
// bytes.
func New[V any](entries int, bytes int64) *Cache[V] {
	return &Cache[V]{maxN: entries, maxBytes: bytes, m: map[string]*entry[V]{}, ring: list.New()}
}

// Get returns the value cached for key unless it expired by now.
func (c *Cache[V]) Get(key string, now time.Time) (v V, ok bool) {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil {
		return v, false
	}
	if !now.Before(e.exp) {
		c.mu.Lock()
		if cur := c.m[key]; cur == e {
			c.remove(e)
		}
		c.mu.Unlock()
		return v, false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e.val, true
}

// Put caches v for key until exp; size estimates its memory. A value larger
// than the byte bound, or already expired, is not cached.
func (c *Cache[V]) Put(key string, v V, size int64, exp, now time.Time) {
	size += int64(len(key)) + Overhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.remove(old)
	}
	if !now.Before(c.nextSweep) {
		c.sweep(now)
		c.nextSweep = now.Add(SweepEvery)
	}
	if size > c.maxBytes || !now.Before(exp) {
		return
	}
	for len(c.m) > 0 && (len(c.m) >= c.maxN || c.bytes+size > c.maxBytes) {
		c.evictOne(now)
	}
	e := &entry[V]{key: key, val: v, size: size, exp: exp}
	if c.hand != nil {
		e.elem = c.ring.InsertBefore(e, c.hand) // examined last
	} else {
		e.elem = c.ring.PushBack(e)
	}
	c.m[key] = e
	c.bytes += size
}

// evictOne drops one entry: the first expired or unmarked one from the
// hand on, unmarking the marked ones it passes. Called with mu held and a
// non-empty ring; it ends within two turns of the ring.
func (c *Cache[V]) evictOne(now time.Time) {
	el := c.hand
	for {
		if el == nil {
			el = c.ring.Front()
		}
		e := el.Value.(*entry[V])
		if !now.Before(e.exp) || !e.used.Load() {
			c.hand = el
			c.remove(e)
			return
		}
		e.used.Store(false)
		el = el.Next()
	}
}

// sweep drops every expired entry. Called with mu held.
func (c *Cache[V]) sweep(now time.Time) {
	for el := c.ring.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry[V]); !now.Before(e.exp) {
			c.remove(e)
		}
		el = next
	}
}

// remove drops e, moving the hand past it. Called with mu held.
func (c *Cache[V]) remove(e *entry[V]) {
	if c.hand == e.elem {
		c.hand = e.elem.Next()
	}
	c.ring.Remove(e.elem)
	delete(c.m, e.key)
	c.bytes -= e.size
}

// Drop removes the value cached for key, if any.
func (c *Cache[V]) Drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[key]; e != nil {
		c.remove(e)
	}
}

// Stats returns the entries and estimated bytes held.
func (c *Cache[V]) Stats() (int, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

// Flush empties the cache.
func (c *Cache[V]) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.ring.Init()
	c.hand, c.bytes = nil, 0
}

// MaxBytes returns the byte bound.
func (c *Cache[V]) MaxBytes() int64 { return c.maxBytes }

// Lens returns the sizes of the index and of the ring, which are equal in a
// consistent cache (for tests).
func (c *Cache[V]) Lens() (index, ring int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.ring.Len()
}
