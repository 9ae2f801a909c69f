package bake

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Keyword is the keyword of the PNG iTXt chunk that holds an Open Badges
// 3.0 credential.
const Keyword = "openbadgecredential"

// legacyKeyword is the Open Badges 2.0 keyword, named in ErrNotBaked's
// message when only it is found.
const legacyKeyword = "openbadges"

// ctxEvery is how many chunks or tokens are read between checks of ctx.
const ctxEvery = 256

// chunk is one PNG chunk, its data aliasing the image.
type chunk struct {
	typ  string
	data []byte
	raw  []byte // the whole chunk: length, type, data and CRC
}

// readChunks splits a PNG datastream into chunks, checking the
// signature, every length against the remaining input, every CRC, that
// IHDR comes first, and that IEND ends the stream.
func (b Baker) readChunks(ctx context.Context, img []byte) ([]chunk, error) {
	if err := b.checkImage(img); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(img, pngSignature) {
		return nil, ErrNotPNG
	}
	var chunks []chunk
	rest, off := img[len(pngSignature):], len(pngSignature)
	for n := 0; ; n++ {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if len(rest) < 12 {
			return nil, malformed("png: truncated at byte %d: no IEND chunk", off)
		}
		length := binary.BigEndian.Uint32(rest)
		if length > 1<<31-1 {
			return nil, malformed("png: chunk at byte %d declares %d bytes, over the PNG maximum of 2^31-1", off, length)
		}
		if int64(length) > int64(len(rest)-12) {
			return nil, malformed("png: truncated: the chunk at byte %d declares %d bytes, %d remain", off, length, len(rest)-12)
		}
		end := 12 + int(length)
		typ := rest[4:8]
		for _, c := range typ {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return nil, malformed("png: chunk at byte %d has an invalid type %q", off, typ)
			}
		}
		want := binary.BigEndian.Uint32(rest[end-4:])
		if got := crc32.ChecksumIEEE(rest[4 : end-4]); got != want {
			return nil, malformed("png: bad CRC in the %s chunk at byte %d", typ, off)
		}
		c := chunk{typ: string(typ), data: rest[8 : end-4], raw: rest[:end]}
		if n == 0 && c.typ != "IHDR" {
			return nil, malformed("png: the first chunk is %s, not IHDR", c.typ)
		}
		chunks = append(chunks, c)
		rest, off = rest[end:], off+end
		if c.typ == "IEND" {
			if len(rest) > 0 {
				return nil, malformed("png: %d bytes after the IEND chunk", len(rest))
			}
			return chunks, nil
		}
	}
}

// itxt is a decoded iTXt chunk.
type itxt struct {
	keyword    string
	compressed bool
	method     byte
	text       []byte // as stored: compressed when compressed is set
}

// parseITXt splits iTXt chunk data: keyword, NUL, compression flag and
// method, language tag, NUL, translated keyword, NUL, text.
func parseITXt(data []byte) (itxt, error) {
	kw, rest, ok := bytes.Cut(data, []byte{0})
	if !ok || len(kw) == 0 || len(kw) > 79 {
		return itxt{}, malformed("png: iTXt chunk with a bad keyword")
	}
	if len(rest) < 2 {
		return itxt{}, malformed("png: iTXt chunk %q truncated", kw)
	}
	flag, method := rest[0], rest[1]
	if flag > 1 {
		return itxt{}, malformed("png: iTXt chunk %q has compression flag %d", kw, flag)
	}
	_, rest, ok = bytes.Cut(rest[2:], []byte{0}) // language tag
	if !ok {
		return itxt{}, malformed("png: iTXt chunk %q has no language tag terminator", kw)
	}
	_, rest, ok = bytes.Cut(rest, []byte{0}) // translated keyword
	if !ok {
		return itxt{}, malformed("png: iTXt chunk %q has no translated keyword terminator", kw)
	}
	return itxt{keyword: string(kw), compressed: flag == 1, method: method, text: rest}, nil
}

// isCredentialChunk reports whether c is an iTXt chunk whose keyword is
// Keyword, without decoding the rest.
func isCredentialChunk(c chunk) bool {
	return c.typ == "iTXt" && bytes.HasPrefix(c.data, []byte(Keyword+"\x00"))
}

// BakePNG returns a copy of the PNG image img with cred in an iTXt chunk
// of keyword "openbadgecredential", uncompressed, just before IEND. An
// existing credential chunk is replaced: the specification allows one.
//
// cred is a credential with an embedded proof (a JSON object, baked as it
// is) or a VC-JWT (the compact JWS, or a JSON string holding it, baked as
// the JWS). img is checked as UnbakePNG checks it.
func (b Baker) BakePNG(ctx context.Context, img, cred []byte) ([]byte, error) {
	text, _, err := b.normalize(cred)
	if err != nil {
		return nil, err
	}
	chunks, err := b.readChunks(ctx, img)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, len(Keyword)+5+len(text))
	data = append(data, Keyword...)
	data = append(data, 0, 0, 0, 0, 0) // NUL, flag 0, method 0, empty language tag, empty translated keyword
	data = append(data, text...)
	if len(data) > 1<<31-1 {
		return nil, &LimitError{What: "chunk", Size: int64(len(data)), Limit: 1<<31 - 1}
	}
	out := make([]byte, 0, len(img)+len(data)+12)
	out = append(out, pngSignature...)
	for _, c := range chunks {
		if isCredentialChunk(c) {
			continue
		}
		if c.typ == "IEND" {
			out = appendChunk(out, "iTXt", data)
		}
		out = append(out, c.raw...)
	}
	if len(out) > b.maxImage() {
		return nil, &LimitError{What: "baked image", Size: int64(len(out)), Limit: int64(b.maxImage())}
	}
	return out, nil
}

// appendChunk appends a chunk of type typ holding data to out.
func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// UnbakePNG returns the credential baked into the PNG image img: the text
// of its iTXt chunk of keyword "openbadgecredential" (a JSON object, or a
// compact JWS for a VC-JWT). The whole datastream is checked first: the
// signature, every chunk's length and CRC, IEND at the end, the Baker's
// limits. A compressed chunk (which the specification forbids writers to
// produce) is read too, its inflated size bounded by MaxCredential.
//
// An image without the chunk is ErrNotBaked; one with two is
// ErrMalformed, since readers that take the first and readers that take
// the last would disagree.
func (b Baker) UnbakePNG(ctx context.Context, img []byte) ([]byte, error) {
	chunks, err := b.readChunks(ctx, img)
	if err != nil {
		return nil, err
	}
	var found *itxt
	legacy := false
	for _, c := range chunks {
		if c.typ != "iTXt" && c.typ != "tEXt" {
			continue
		}
		if c.typ == "tEXt" || !isCredentialChunk(c) {
			legacy = legacy || bytes.HasPrefix(c.data, []byte(legacyKeyword+"\x00"))
			continue
		}
		t, err := parseITXt(c.data)
		if err != nil {
			return nil, err
		}
		if found != nil {
			return nil, malformed("png: more than one %s chunk", Keyword)
		}
		found = &t
	}
	if found == nil {
		if legacy {
			return nil, fmt.Errorf("%w (it has an Open Badges 2.0 %q chunk, which this package does not read)", ErrNotBaked, legacyKeyword)
		}
		return nil, ErrNotBaked
	}
	text := found.text
	if found.compressed {
		if text, err = b.inflate(found); err != nil {
			return nil, err
		}
	}
	return b.checkUnbaked(text)
}

// inflate decompresses a compressed iTXt text, at most MaxCredential
// bytes.
func (b Baker) inflate(t *itxt) ([]byte, error) {
	if t.method != 0 {
		return nil, malformed("png: %s chunk with compression method %d", Keyword, t.method)
	}
	zr, err := zlib.NewReader(bytes.NewReader(t.text))
	if err != nil {
		return nil, malformed("png: compressed %s chunk: %v", Keyword, err)
	}
	limit := int64(b.maxCredential())
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, malformed("png: compressed %s chunk: %v", Keyword, err)
	}
	if int64(len(out)) > limit {
		return nil, &LimitError{What: "credential", Size: int64(len(out)), Limit: limit}
	}
	return out, nil
}
