package status_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/credshare/credshare/status"
)

func TestPermutationIsABijection(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	for _, n := range []int{1, 2, 3, 5, 100, 1000, 4097, 65537} {
		p, err := status.NewPermutation(seed, n)
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]bool, n)
		for k := range n {
			i, err := p.Index(int64(k))
			if err != nil {
				t.Fatal(err)
			}
			if i < 0 || i >= n || seen[i] {
				t.Fatalf("n=%d: ordinal %d maps to %d (out of range or repeated)", n, k, i)
			}
			seen[i] = true
		}
		if _, err := p.Index(int64(n)); !errors.Is(err, status.ErrInvalid) {
			t.Fatalf("n=%d: ordinal n accepted", n)
		}
	}
}

func TestPermutationHidesOrderAndDependsOnTheSeed(t *testing.T) {
	a, _ := status.NewPermutation(bytes.Repeat([]byte{1}, 32), status.MinEntries)
	b, _ := status.NewPermutation(bytes.Repeat([]byte{2}, 32), status.MinEntries)
	same, ascending, prev := 0, 0, -1
	for k := range 1000 {
		x, _ := a.Index(int64(k))
		y, _ := b.Index(int64(k))
		if x == y {
			same++
		}
		if x > prev {
			ascending++
		}
		prev = x
	}
	if same > 5 {
		t.Fatalf("%d of 1000 indexes agree between two seeds", same)
	}
	// A random sequence rises about half the time; a sequential one always.
	if ascending < 400 || ascending > 600 {
		t.Fatalf("%d of 1000 steps ascend: the order shows", ascending)
	}
	if _, err := status.NewPermutation([]byte("short"), 10); !errors.Is(err, status.ErrInvalid) {
		t.Fatal("short seed accepted")
	}
}
