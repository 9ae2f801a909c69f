package did

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the did:web document cache (see WithCacheSize).
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 16 << 20
)

// sweepEvery is how often, on the clock of the resolver, an insertion
// also drops every expired entry.
const sweepEvery = time.Minute

// entryOverhead approximates the memory of one entry besides its key and
// document: the map slot, the list element and the entry itself.
const entryOverhead = 256

// docCache holds fetched did:web documents, bounded by entries and by
// (estimated) bytes. Eviction is the second-chance ("clock") approximation
// of least-recently-used: a hit only marks its entry, under the read lock;
// an insertion over a bound walks the ring from the hand, dropping expired
// and unmarked entries and unmarking the others. Expired entries are also
// dropped when looked up and, at most once per sweepEvery, all at once.
type docCache struct {
	maxN     int
	maxBytes int64

	mu        sync.RWMutex
	bytes     int64
	m         map[string]*docEntry
	ring      *list.List // of *docEntry
	hand      *list.Element
	nextSweep time.Time
}

type docEntry struct {
	key  string
	doc  *Document
	size int64
	exp  time.Time
	used atomic.Bool
	elem *list.Element
}

func newDocCache(entries int, bytes int64) *docCache {
	return &docCache{maxN: entries, maxBytes: bytes, m: map[string]*docEntry{}, ring: list.New()}
}

// get returns the unexpired document cached for key.
func (c *docCache) get(key string, now time.Time) (*Document, bool) {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	if !now.Before(e.exp) {
		c.mu.Lock()
		if cur := c.m[key]; cur == e {
			c.remove(e)
		}
		c.mu.Unlock()
		return nil, false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e.doc, true
}

// put caches doc for key until exp; size estimates its memory.
func (c *docCache) put(key string, doc *Document, size int64, exp, now time.Time) {
	size += int64(len(key)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.remove(old)
	}
	if !now.Before(c.nextSweep) {
		c.sweep(now)
		c.nextSweep = now.Add(sweepEvery)
	}
	if size > c.maxBytes || !now.Before(exp) {
		return
	}
	for len(c.m) > 0 && (len(c.m) >= c.maxN || c.bytes+size > c.maxBytes) {
		c.evictOne(now)
	}
	e := &docEntry{key: key, doc: doc, size: size, exp: exp}
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
func (c *docCache) evictOne(now time.Time) {
	el := c.hand
	for {
		if el == nil {
			el = c.ring.Front()
		}
		e := el.Value.(*docEntry)
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
func (c *docCache) sweep(now time.Time) {
	for el := c.ring.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*docEntry); !now.Before(e.exp) {
			c.remove(e)
		}
		el = next
	}
}

// remove drops e, moving the hand past it. Called with mu held.
func (c *docCache) remove(e *docEntry) {
	if c.hand == e.elem {
		c.hand = e.elem.Next()
	}
	c.ring.Remove(e.elem)
	delete(c.m, e.key)
	c.bytes -= e.size
}

// stats returns the entries and estimated bytes held.
func (c *docCache) stats() (int, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

// flush empties the cache.
func (c *docCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.ring.Init()
	c.hand, c.bytes = nil, 0
}
