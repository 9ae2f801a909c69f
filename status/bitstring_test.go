package status_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/credshare/credshare/status"
)

// referenceBits lays out entries the straightforward way: entry i of
// size bits at bit i*size, bit 0 the top bit of byte 0.
func referenceBits(vals []int, size int) []byte {
	out := make([]byte, (len(vals)*size+7)/8)
	for i, v := range vals {
		for k := 0; k < size; k++ {
			if v&(1<<(size-1-k)) != 0 {
				pos := i*size + k
				out[pos/8] |= 1 << (7 - pos%8)
			}
		}
	}
	return out
}

// referenceDecode undoes the Bitstring encoding with nothing clever.
func referenceDecode(t *testing.T, enc string) []byte {
	t.Helper()
	if !strings.HasPrefix(enc, "u") || strings.Contains(enc, "=") {
		t.Fatalf("encodedList %q… lacks the u prefix or has padding", enc[:min(10, len(enc))])
	}
	gz, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestBitOrderIsMostSignificantFirst(t *testing.T) {
	b, err := status.NewBitstring(status.MinEntries, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 9, 131071} {
		if err := b.Set(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	raw := b.Bytes()
	if raw[0] != 0x80 || raw[1] != 0x40 || raw[len(raw)-1] != 0x01 {
		t.Fatalf("bytes 0, 1, last = %#x %#x %#x; want 0x80 0x40 0x01", raw[0], raw[1], raw[len(raw)-1])
	}
	if b.Count() != 3 {
		t.Fatalf("Count = %d", b.Count())
	}
	enc, _ := b.Encode()
	enc21, _ := b.EncodeStatusList2021()
	if enc != "u"+enc21 {
		t.Fatal("the StatusList2021 encoding differs from the Bitstring one by more than the prefix")
	}
}

func TestRoundTripAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 40 {
		size := []int{1, 1, 2, 3, 8}[round%5]
		n := []int{1, 7, 8, 1000, status.MinEntries}[r.IntN(5)]
		vals := make([]int, n)
		b, err := status.NewBitstring(n, size)
		if err != nil {
			t.Fatal(err)
		}
		density := r.Float64() * 0.2
		for i := range vals {
			if r.Float64() < density {
				vals[i] = r.IntN(1 << size)
				if err := b.Set(i, vals[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Overwrite some entries to exercise clearing.
		for range 10 {
			i := r.IntN(n)
			vals[i] = 0
			_ = b.Set(i, 0)
		}
		want := referenceBits(vals, size)
		if !bytes.Equal(b.Bytes(), want) {
			t.Fatalf("round %d: layout differs from the reference", round)
		}
		enc, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if got := referenceDecode(t, enc); !bytes.Equal(got, want) {
			t.Fatalf("round %d: the reference decoder reads other bits", round)
		}
		d, err := status.DecodeBitstring(enc, size, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if got, _ := d.Get(i); got != v {
				t.Fatalf("round %d: entry %d = %d, want %d", round, i, got, v)
			}
		}
	}
}

func TestDecodeIsLenientAboutPrefixPaddingAndAlphabet(t *testing.T) {
	b, _ := status.NewBitstring(status.MinEntries, 1)
	for i := 0; i < status.MinEntries; i += 97 {
		_ = b.Set(i, 1)
	}
	enc, _ := b.EncodeStatusList2021()
	gz, _ := base64.RawURLEncoding.DecodeString(enc)
	for name, s := range map[string]string{
		"bitstring": "u" + enc,
		"2021":      enc,
		"padded":    base64.URLEncoding.EncodeToString(gz),
		"standard":  base64.StdEncoding.EncodeToString(gz),
	} {
		d, err := status.DecodeBitstring(s, 1, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(d.Bytes(), b.Bytes()) {
			t.Fatalf("%s: other bits", name)
		}
	}
}

func TestDecodeRefusesGarbageAndBombs(t *testing.T) {
	for _, s := range []string{"", "u", "u!!!", "uAAAA", "not base64 at all"} {
		if _, err := status.DecodeBitstring(s, 1, 0); !errors.Is(err, status.ErrMalformed) {
			t.Errorf("DecodeBitstring(%q) = %v, want ErrMalformed", s, err)
		}
	}
	// 2 MiB of zeros compress to ~2 KiB: refused at a 1 MiB limit, not read.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(make([]byte, 2<<20))
	_ = zw.Close()
	bomb := "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if _, err := status.DecodeBitstring(bomb, 1, 1<<20); !errors.Is(err, status.ErrTooLarge) {
		t.Fatalf("gzip bomb: %v, want ErrTooLarge", err)
	}
	if _, err := status.DecodeBitstring(bomb, 9, 0); !errors.Is(err, status.ErrInvalid) {
		t.Fatalf("status size 9: %v, want ErrInvalid", err)
	}
}

func TestBitstringBounds(t *testing.T) {
	b, _ := status.NewBitstring(10, 2)
	for _, c := range []struct{ i, v int }{{-1, 1}, {10, 1}, {0, 4}, {0, -1}} {
		if err := b.Set(c.i, c.v); !errors.Is(err, status.ErrInvalid) {
			t.Errorf("Set(%d, %d) = %v", c.i, c.v, err)
		}
	}
	if _, err := b.Get(10); !errors.Is(err, status.ErrInvalid) {
		t.Error("Get out of range")
	}
	if _, err := status.NewBitstring(0, 1); !errors.Is(err, status.ErrInvalid) {
		t.Error("zero entries")
	}
}

// openEdXList encodes entries the way Open edX does: one 0x01 byte per
// revoked index, gzip, URL-safe base64 without padding (or standard).
func openEdXList(length int, revoked []int, std bool) string {
	raw := make([]byte, length)
	for _, i := range revoked {
		raw[i] = 1
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	if std {
		return base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	return strings.TrimRight(base64.URLEncoding.EncodeToString(buf.Bytes()), "=")
}

func TestDecodeOpenEdXMapsBytesToBits(t *testing.T) {
	revoked := []int{0, 3, 17, 9999}
	for _, std := range []bool{false, true} {
		enc := openEdXList(10000, revoked, std)
		// A conformant reader of the Open edX list sees other bits: the bug.
		naive, err := status.DecodeBitstring(enc, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := naive.Get(3); v != 0 {
			t.Fatal("expected the Open edX layout to hide index 3 from a bit reader")
		}
		b, err := status.DecodeOpenEdX(enc, 0)
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() != status.MinEntries {
			t.Fatalf("Len = %d, want the privacy minimum", b.Len())
		}
		for i := 0; i < 10000; i++ {
			want := 0
			for _, r := range revoked {
				if r == i {
					want = 1
				}
			}
			if got, _ := b.Get(i); got != want {
				t.Fatalf("entry %d = %d, want %d", i, got, want)
			}
		}
		if b.Count() != len(revoked) {
			t.Fatalf("Count = %d", b.Count())
		}
	}
}

func FuzzDecodeBitstring(f *testing.F) {
	b, _ := status.NewBitstring(status.MinEntries, 1)
	_ = b.Set(5, 1)
	enc, _ := b.Encode()
	f.Add(enc, 1)
	f.Add(enc[1:], 2)
	f.Add("uH4sIAAAAAAAA_2IAAAAAAP__AQAA__8BAAAAAAAA", 1)
	f.Add("", 1)
	f.Add("u====", 8)
	f.Fuzz(func(t *testing.T, s string, size int) {
		size = 1 + (size%8+8)%8
		d, err := status.DecodeBitstring(s, size, 1<<16)
		if err != nil {
			if !errors.Is(err, status.ErrMalformed) && !errors.Is(err, status.ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if d.Len()*size > len(d.Bytes())*8 || d.Len() == 0 {
			t.Fatalf("Len %d does not fit %d bytes", d.Len(), len(d.Bytes()))
		}
		// A decoded list re-encodes to the same bits.
		again, err := d.Encode()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := status.DecodeBitstring(again, size, 1<<16)
		if err != nil || !bytes.Equal(d2.Bytes(), d.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
	})
}

func FuzzDecodeOpenEdX(f *testing.F) {
	f.Add(openEdXList(10000, []int{1, 2}, false))
	f.Add(openEdXList(100, nil, true))
	f.Add("H4sI")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := status.DecodeOpenEdX(s, 16)
		if err != nil {
			if !errors.Is(err, status.ErrMalformed) && !errors.Is(err, status.ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if b.Len() < 16 {
			t.Fatalf("Len %d under the minimum", b.Len())
		}
	})
}
