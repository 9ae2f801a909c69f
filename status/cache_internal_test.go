package status

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

func testList(bits int, exp time.Time) *cachedList {
	return &cachedList{issuer: "did:web:issuer.example.edu", types: []string{"VerifiableCredential", TypeBitstringCredential},
		purposes: []string{PurposeRevocation}, raw: make([]byte, bits/8), expires: exp}
}

// TestListCacheBoundedOver100kURLs inserts 100,000 distinct lists of the
// minimum size (131,072 entries, 16 KiB of bits) into a cache of the
// default size: it keeps at most DefaultCacheLists lists and
// DefaultCacheBytes estimated bytes, and the heap it holds stays near
// that.
func TestListCacheBoundedOver100kURLs(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newListCache(DefaultCacheLists, DefaultCacheBytes)
	const urls = 100_000
	for i := range urls {
		u := "https://status-" + strconv.Itoa(i%977) + ".example.edu/status/" + strconv.Itoa(i)
		c.put(u, testList(MinEntries, now.Add(time.Hour)), now)
		if i%1000 == 0 {
			if n, size := c.Stats(); n > DefaultCacheLists || size > DefaultCacheBytes {
				t.Fatalf("after %d insertions: %d lists, %d bytes", i+1, n, size)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, size := c.Stats()
	if n > DefaultCacheLists || size > DefaultCacheBytes {
		t.Fatalf("%d lists, %d bytes; bounds %d, %d", n, size, DefaultCacheLists, DefaultCacheBytes)
	}
	if idx, ring := c.Lens(); n != idx || n != ring {
		t.Fatalf("%d lists, map %d, ring %d", n, idx, ring)
	}
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d URLs inserted: %d lists kept, %d estimated bytes, heap growth %.1f MiB", urls, n, size, float64(heap)/(1<<20))
	// Memory, not time: room for the runtime's slack.
	if heap > 2*DefaultCacheBytes {
		t.Errorf("heap grew by %d bytes, over twice the byte bound", heap)
	}
	runtime.KeepAlive(c)
}

// TestListCacheByteBound: large lists are held to the byte bound before
// the count bound, and a list over the whole bound is not cached.
func TestListCacheByteBound(t *testing.T) {
	now := time.Unix(0, 0)
	c := newListCache(DefaultCacheLists, 4<<20)
	for i := range 100 {
		c.put("https://x.example/"+strconv.Itoa(i), testList(8<<20, now.Add(time.Hour)), now) // 1 MiB of bits
	}
	if n, size := c.Stats(); size > 4<<20 || n > 3 {
		t.Fatalf("%d lists, %d bytes over %d", n, size, 4<<20)
	}
	c.put("https://x.example/huge", testList(64<<20, now.Add(time.Hour)), now)
	if c.get("https://x.example/huge", now) != nil {
		t.Fatal("a list over the byte bound was cached")
	}
}

func TestListCacheEvictsTheUnusedFirst(t *testing.T) {
	now := time.Unix(0, 0)
	c := newListCache(3, DefaultCacheBytes)
	exp := now.Add(time.Hour)
	for _, u := range []string{"a", "b", "c"} {
		c.put(u, testList(64, exp), now)
	}
	c.get("a", now)
	c.get("c", now)
	c.put("d", testList(64, exp), now)
	for u, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := c.get(u, now) != nil; got != want {
			t.Errorf("%s cached = %v, want %v", u, got, want)
		}
	}
	c.Drop("a")
	c.Flush()
	if n, size := c.Stats(); n != 0 || size != 0 || ringLen(c.Lens()) != 0 {
		t.Fatalf("after flush: %d lists, %d bytes", n, size)
	}
}

// TestListCacheEvictsExpiredEntries: expired lists are dropped when looked
// up, before live ones when room is needed, and all at once by the
// periodic sweep, so they do not hold memory until a bound is reached.
func TestListCacheEvictsExpiredEntries(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newListCache(100, DefaultCacheBytes)
	for i := range 50 {
		c.put("old"+strconv.Itoa(i), testList(64, now.Add(time.Minute)), now)
	}
	later := now.Add(2 * time.Minute)
	if c.get("old0", later) != nil {
		t.Fatal("an expired list was returned")
	}
	if n, _ := c.Stats(); n != 49 {
		t.Fatalf("%d lists after looking up an expired one, want 49", n)
	}
	c.put("new", testList(64, later.Add(time.Hour)), later)
	if n, _ := c.Stats(); n != 1 || c.get("new", later) == nil {
		t.Fatalf("after the sweep: %d lists; want only the new one", n)
	}
	// Under pressure an expired list goes before a live one, even when
	// both were used since they were cached.
	c2 := newListCache(2, DefaultCacheBytes)
	c2.put("live", testList(64, now.Add(time.Hour)), now)
	c2.put("dying", testList(64, now.Add(time.Second)), now)
	c2.get("dying", now)
	c2.get("live", now)
	soon := now.Add(2 * time.Second) // before the next sweep
	c2.put("third", testList(64, soon.Add(time.Hour)), soon)
	if c2.get("live", soon) == nil || c2.get("third", soon) == nil {
		t.Error("the live or the new list was evicted instead of the expired one")
	}
}
func ringLen(_, ring int) int { return ring }
