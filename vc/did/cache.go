package did

import "github.com/credshare/credshare/internal/clockcache"

// Defaults of the did:web document cache (see WithCacheSize).
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 16 << 20
)

// entryOverhead is what the cache counts for one entry besides its key and
// document.
const entryOverhead = clockcache.Overhead

// docCache holds fetched did:web documents, bounded by entries and by
// (estimated) bytes, expired entries dropped (see internal/clockcache).
type docCache = clockcache.Cache[*Document]

func newDocCache(entries int, bytes int64) *docCache {
	return clockcache.New[*Document](entries, bytes)
}
