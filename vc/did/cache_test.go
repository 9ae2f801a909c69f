package did

import (
	"crypto/ed25519"
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestDocCacheBoundedOver100kKeys inserts 100,000 distinct documents into
// a cache of the default size: it keeps at most DefaultCacheEntries
// entries and DefaultCacheBytes estimated bytes, and the heap it holds
// stays near that bound.
func TestDocCacheBoundedOver100kKeys(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newDocCache(DefaultCacheEntries, DefaultCacheBytes)
	// The JSON of one document, to size the others (which differ only by
	// their DID) as the resolver does: twice their JSON.
	first, _ := NewDocument(WebDID("example.edu"), []ed25519.PublicKey{pub})
	b, _ := json.Marshal(first)
	base := len(b) - 4*len(first.ID)
	const keys = 100_000
	for i := range keys {
		id := WebDID("issuer-"+strconv.Itoa(i)+".example.edu", "issuers", strconv.Itoa(i))
		doc, err := NewDocument(id, []ed25519.PublicKey{pub})
		if err != nil {
			t.Fatal(err)
		}
		c.Put(id, doc, 2*int64(base+4*len(id)), now.Add(time.Hour), now)
		if i%1000 == 0 {
			if n, size := c.Stats(); n > DefaultCacheEntries || size > DefaultCacheBytes {
				t.Fatalf("after %d insertions: %d entries, %d bytes", i+1, n, size)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, size := c.Stats()
	if n > DefaultCacheEntries || size > DefaultCacheBytes {
		t.Fatalf("%d entries, %d bytes; bounds %d, %d", n, size, DefaultCacheEntries, DefaultCacheBytes)
	}
	if idx, ring := c.Lens(); n != idx || n != ring {
		t.Fatalf("%d entries, map %d, ring %d", n, idx, ring)
	}
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d keys inserted: %d entries kept, %d estimated bytes, heap growth %.1f MiB", keys, n, size, float64(heap)/(1<<20))
	// Not a timing threshold: memory, with room for the runtime's slack.
	if heap > 4*DefaultCacheBytes {
		t.Errorf("heap grew by %d bytes, over 4× the byte bound", heap)
	}
	runtime.KeepAlive(c)
}

func TestDocCacheByteBound(t *testing.T) {
	now := time.Unix(0, 0)
	c := newDocCache(1000, 10*(1000+entryOverhead+3))
	for i := range 100 {
		c.Put("k"+strconv.Itoa(i%10)+strconv.Itoa(i), &Document{}, 1000, now.Add(time.Hour), now)
	}
	if n, size := c.Stats(); size > c.MaxBytes() || n > 10 {
		t.Fatalf("%d entries, %d bytes over %d", n, size, c.MaxBytes())
	}
	// A document larger than the whole bound is not cached.
	c.Put("huge", &Document{}, c.MaxBytes(), now.Add(time.Hour), now)
	if _, ok := c.Get("huge", now); ok {
		t.Fatal("a document over the byte bound was cached")
	}
}

func TestDocCacheEvictsTheUnusedFirst(t *testing.T) {
	now := time.Unix(0, 0)
	c := newDocCache(3, DefaultCacheBytes)
	exp := now.Add(time.Hour)
	for _, k := range []string{"a", "b", "c"} {
		c.Put(k, &Document{ID: k}, 10, exp, now)
	}
	c.Get("a", now)
	c.Get("c", now)
	c.Put("d", &Document{ID: "d"}, 10, exp, now)
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok := c.Get(k, now); ok != want {
			t.Errorf("%s cached = %v, want %v", k, ok, want)
		}
	}
	c.Flush()
	if n, size := c.Stats(); n != 0 || size != 0 || ringLen(c.Lens()) != 0 {
		t.Fatalf("after flush: %d entries, %d bytes", n, size)
	}
}

// TestDocCacheEvictsExpiredEntries: expired entries are dropped when
// looked up, before live ones when room is needed, and all at once by the
// periodic sweep, so they do not hold memory until the bounds are reached.
func TestDocCacheEvictsExpiredEntries(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newDocCache(100, DefaultCacheBytes)
	for i := range 50 {
		c.Put("old"+strconv.Itoa(i), &Document{}, 10, now.Add(time.Minute), now)
	}
	// Looked up after expiry: gone.
	later := now.Add(2 * time.Minute)
	if _, ok := c.Get("old0", later); ok {
		t.Fatal("an expired entry was returned")
	}
	if n, _ := c.Stats(); n != 49 {
		t.Fatalf("%d entries after looking up an expired one, want 49", n)
	}
	// One insertion past the sweep interval drops all the others.
	c.Put("new", &Document{}, 10, later.Add(time.Hour), later)
	if n, size := c.Stats(); n != 1 || size != 10+3+entryOverhead {
		t.Fatalf("after the sweep: %d entries, %d bytes; want only the new one", n, size)
	}
	// Under pressure an expired entry goes before a live one, even when
	// both were used since they were cached.
	c2 := newDocCache(2, DefaultCacheBytes)
	c2.Put("live", &Document{}, 10, now.Add(time.Hour), now)
	c2.Put("dying", &Document{}, 10, now.Add(time.Second), now)
	c2.Get("dying", now)
	c2.Get("live", now)
	soon := now.Add(2 * time.Second) // before the next sweep
	c2.Put("third", &Document{}, 10, soon.Add(time.Hour), soon)
	if _, ok := c2.Get("live", soon); !ok {
		t.Error("the live entry was evicted before the expired one")
	}
	if _, ok := c2.Get("third", soon); !ok {
		t.Error("the new entry is missing")
	}
}

func ringLen(_, ring int) int { return ring }
