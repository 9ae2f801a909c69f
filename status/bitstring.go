package status

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"strings"
)

// Sizes.
const (
	// MinEntries is the smallest list this package creates: 131,072 entries
	// (16 KiB of bits), the herd-privacy minimum of Bitstring Status List
	// v1.0 and StatusList2021.
	MinEntries = 131072
	// MaxStatusSize is the widest entry, in bits (message lists).
	MaxStatusSize = 8
	// DefaultMaxListBytes bounds a decompressed list when decoding one read
	// from outside: 16 MiB, i.e. 134,217,728 one-bit entries.
	DefaultMaxListBytes = 16 << 20
)

// Bitstring is the bit array of a status list: Len entries of StatusSize
// bits each. Entry i occupies bits i*StatusSize … (i+1)*StatusSize-1,
// and bit 0 is the most significant bit of byte 0, as both Bitstring
// Status List v1.0 and StatusList2021 require; a multi-bit entry is read
// most significant bit first. The zero value is not usable; NewBitstring
// or DecodeBitstring make one. Not safe for concurrent mutation.
type Bitstring struct {
	bits       []byte
	entries    int
	statusSize int
}

// NewBitstring returns an all-zero bitstring of entries entries of
// statusSize bits (1 … MaxStatusSize). It refuses fewer than one entry;
// the privacy minimum (MinEntries) is enforced where lists are created,
// not here, so that smaller lists read from elsewhere can be handled.
func NewBitstring(entries, statusSize int) (*Bitstring, error) {
	if entries <= 0 {
		return nil, errorf(ErrInvalid, "a bitstring needs at least one entry, not %d", entries)
	}
	if statusSize < 1 || statusSize > MaxStatusSize {
		return nil, errorf(ErrInvalid, "status size %d is not between 1 and %d", statusSize, MaxStatusSize)
	}
	nbits := entries * statusSize
	return &Bitstring{bits: make([]byte, (nbits+7)/8), entries: entries, statusSize: statusSize}, nil
}

// Len returns the number of entries.
func (b *Bitstring) Len() int { return b.entries }

// StatusSize returns the number of bits per entry.
func (b *Bitstring) StatusSize() int { return b.statusSize }

// Bytes returns the underlying bytes (not a copy).
func (b *Bitstring) Bytes() []byte { return b.bits }

// Get returns entry i. ErrInvalid when i is out of range.
func (b *Bitstring) Get(i int) (int, error) {
	if i < 0 || i >= b.entries {
		return 0, errorf(ErrInvalid, "index %d is outside the list's %d entries", i, b.entries)
	}
	return readBits(b.bits, i*b.statusSize, b.statusSize), nil
}

// Set sets entry i to v. ErrInvalid when i is out of range or v does not
// fit StatusSize bits.
func (b *Bitstring) Set(i, v int) error {
	if i < 0 || i >= b.entries {
		return errorf(ErrInvalid, "index %d is outside the list's %d entries", i, b.entries)
	}
	if v < 0 || v >= 1<<b.statusSize {
		return errorf(ErrInvalid, "value %d does not fit %d bits", v, b.statusSize)
	}
	start := i * b.statusSize
	for k := range b.statusSize {
		pos := start + k
		mask := byte(0x80) >> (pos % 8)
		if v>>(b.statusSize-1-k)&1 == 1 {
			b.bits[pos/8] |= mask
		} else {
			b.bits[pos/8] &^= mask
		}
	}
	return nil
}

// Count returns the number of non-zero entries.
func (b *Bitstring) Count() int {
	n := 0
	if b.statusSize == 1 {
		for _, x := range b.bits {
			for ; x != 0; x &= x - 1 {
				n++
			}
		}
		return n
	}
	for i := range b.entries {
		if readBits(b.bits, i*b.statusSize, b.statusSize) != 0 {
			n++
		}
	}
	return n
}

// readBits reads n bits (n <= 8) at bit offset pos, most significant first.
func readBits(bits []byte, pos, n int) int {
	v := 0
	for k := range n {
		p := pos + k
		v = v<<1 | int(bits[p/8]>>(7-p%8)&1)
	}
	return v
}

// Encode returns the Bitstring Status List v1.0 encodedList: "u" (the
// multibase prefix of base64url) followed by the unpadded base64url of
// the gzip (default level) of the bits.
func (b *Bitstring) Encode() (string, error) {
	s, err := b.encode()
	if err != nil {
		return "", err
	}
	return "u" + s, nil
}

// EncodeStatusList2021 returns the StatusList2021 encodedList: the
// unpadded base64url of the gzip of the bits, with no multibase prefix.
func (b *Bitstring) EncodeStatusList2021() (string, error) { return b.encode() }

func (b *Bitstring) encode() (string, error) {
	var buf bytes.Buffer
	buf.Grow(len(b.bits)/16 + 64)
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b.bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeBitstring reads an encodedList of either format: with or without
// the multibase "u" prefix, padded or not, in the URL-safe or (leniently)
// the standard base64 alphabet, gzip-compressed. The list holds
// len(bits)*8/statusSize entries. It refuses a decompressed list over
// maxBytes (DefaultMaxListBytes when maxBytes <= 0) with ErrTooLarge, and
// anything it cannot read with ErrMalformed.
func DecodeBitstring(encoded string, statusSize, maxBytes int) (*Bitstring, error) {
	if statusSize < 1 || statusSize > MaxStatusSize {
		return nil, errorf(ErrInvalid, "status size %d is not between 1 and %d", statusSize, MaxStatusSize)
	}
	raw, err := gunzipBase64(encoded, maxBytes)
	if err != nil {
		return nil, err
	}
	entries := len(raw) * 8 / statusSize
	if entries == 0 {
		return nil, errorf(ErrMalformed, "the encoded list is empty")
	}
	return &Bitstring{bits: raw, entries: entries, statusSize: statusSize}, nil
}

// gunzipBase64 undoes base64 (either alphabet, optional "u" prefix and
// padding) and gzip, bounded by maxBytes of output.
func gunzipBase64(encoded string, maxBytes int) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxListBytes
	}
	s := strings.TrimSpace(encoded)
	s = strings.TrimPrefix(s, "u")
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errorf(ErrMalformed, "the encoded list is empty")
	}
	// The compressed form of a list is never larger than the list plus a
	// small overhead; refuse absurd inputs before decoding them.
	if len(s) > (maxBytes+maxBytes/8+1024)*4/3+4 {
		return nil, errorf(ErrTooLarge, "the encoded list is %d characters long", len(s))
	}
	if strings.ContainsAny(s, "+/") {
		s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	}
	gz, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, wrap(ErrMalformed, err, "the encoded list is not base64url")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, wrap(ErrMalformed, err, "the encoded list is not gzip")
	}
	zr.Multistream(false)
	raw, err := io.ReadAll(io.LimitReader(zr, int64(maxBytes)+1))
	if err != nil {
		return nil, wrap(ErrMalformed, err, "the encoded list does not decompress")
	}
	if len(raw) > maxBytes {
		return nil, errorf(ErrTooLarge, "the decompressed list is over %d bytes", maxBytes)
	}
	return raw, nil
}
