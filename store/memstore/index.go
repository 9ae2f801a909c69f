package memstore

import (
	"cmp"
	"slices"
	"time"
)

// dueKey orders outbox items by a time, then by id.
type dueKey struct {
	at int64 // Unix nanoseconds
	id int64
}

func keyAt(t time.Time, id int64) dueKey { return dueKey{at: t.UnixNano(), id: id} }

func cmpKey(a, b dueKey) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// dueIndex is a sorted set of keys: the pending items by NotBefore, or the
// leased items by LeaseUntil. Claim reads only its due prefix, so claiming
// costs the same with ten or ten thousand items waiting.
type dueIndex struct{ keys []dueKey }

func (x *dueIndex) rawInsert(k dueKey) {
	i, found := slices.BinarySearchFunc(x.keys, k, cmpKey)
	if !found {
		x.keys = slices.Insert(x.keys, i, k)
	}
}

func (x *dueIndex) rawRemove(k dueKey) bool {
	i, found := slices.BinarySearchFunc(x.keys, k, cmpKey)
	if found {
		x.keys = slices.Delete(x.keys, i, i+1)
	}
	return found
}

// insert adds k, recording the undo in t.
func (x *dueIndex) insert(t *txn, k dueKey) {
	x.rawInsert(k)
	t.onUndo(func() { x.rawRemove(k) })
}

// remove deletes k, recording the undo in t.
func (x *dueIndex) remove(t *txn, k dueKey) {
	if x.rawRemove(k) {
		t.onUndo(func() { x.rawInsert(k) })
	}
}
