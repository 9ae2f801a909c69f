package status

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// feistelRounds is the number of Feistel rounds; eight keep the
// permutation indistinguishable from random for the small half-widths a
// status list needs.
const feistelRounds = 8

// Permutation is a keyed pseudo-random permutation of [0, n): a balanced
// Feistel network over the smallest even number of bits covering n, with
// AES-128 as the round function and cycle walking to stay inside [0, n).
// Mapping ordinal k (the k-th entry handed out) to index P(k) gives
// indexes that are distinct, never reused, and reveal neither the order
// nor the number of issuances to anyone without the key. It is safe for
// concurrent use.
type Permutation struct {
	n     uint64
	half  uint
	mask  uint64
	block cipher.Block
}

// NewPermutation returns the permutation of [0, n) keyed by seed (at least
// 16 bytes of secret randomness; a list's Seed).
func NewPermutation(seed []byte, n int) (*Permutation, error) {
	if len(seed) < 16 {
		return nil, errorf(ErrInvalid, "a permutation seed needs at least 16 bytes, not %d", len(seed))
	}
	if n <= 0 {
		return nil, errorf(ErrInvalid, "a permutation needs a positive size, not %d", n)
	}
	h := sha256.New()
	h.Write([]byte("credshare/status permutation v1\x00"))
	h.Write(seed)
	key := h.Sum(nil)[:16]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	w := uint(bits.Len64(uint64(n - 1)))
	if w < 2 {
		w = 2
	}
	half := (w + 1) / 2
	return &Permutation{n: uint64(n), half: half, mask: 1<<half - 1, block: block}, nil
}

// Len returns n.
func (p *Permutation) Len() int { return int(p.n) }

// Index returns the image of ordinal in [0, n). ErrInvalid when ordinal
// is outside [0, n).
func (p *Permutation) Index(ordinal int64) (int, error) {
	if ordinal < 0 || uint64(ordinal) >= p.n {
		return 0, errorf(ErrInvalid, "ordinal %d is outside [0, %d)", ordinal, p.n)
	}
	x := uint64(ordinal)
	for {
		x = p.encrypt(x)
		if x < p.n {
			return int(x), nil
		}
	}
}

// encrypt is the Feistel network on 2*half bits.
func (p *Permutation) encrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	var in, out [16]byte
	for round := range feistelRounds {
		in[0] = byte(round)
		binary.BigEndian.PutUint64(in[8:], r)
		p.block.Encrypt(out[:], in[:])
		l, r = r, l^(binary.BigEndian.Uint64(out[:8])&p.mask)
	}
	return l<<p.half | r
}
