package status

import (
	"time"

	"github.com/credshare/credshare/internal/clockcache"
)

// Defaults of the Checker's list cache (see WithCacheSize).
const (
	DefaultCacheLists = 1_000
	DefaultCacheBytes = 64 << 20
)

// listCache holds verified lists, bounded by entries and by (estimated)
// bytes, expired lists dropped (see internal/clockcache, whose hits take
// only a read lock, so cached checks do not serialise).
type listCache struct {
	*clockcache.Cache[*cachedList]
}

func newListCache(lists int, bytes int64) listCache {
	return listCache{clockcache.New[*cachedList](lists, bytes)}
}

// get returns the unexpired list cached for u, or nil.
func (c listCache) get(u string, now time.Time) *cachedList {
	l, _ := c.Get(u, now)
	return l
}

// put caches l for u until l.expires, counting its issuer, types,
// purposes and bits (the cache adds the URL and its own overhead).
func (c listCache) put(u string, l *cachedList, now time.Time) {
	size := int64(len(l.issuer) + len(l.raw))
	for _, s := range l.types {
		size += int64(len(s)) + 16
	}
	for _, s := range l.purposes {
		size += int64(len(s)) + 16
	}
	c.Put(u, l, size, l.expires, now)
}
