package bake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Default limits of a zero Baker.
const (
	// DefaultMaxImage is the largest image, PNG or SVG, read or baked:
	// 10 MiB.
	DefaultMaxImage = 10 << 20
	// DefaultMaxCredential is the largest credential baked or unbaked
	// (after decompression, for a compressed PNG chunk): 1 MiB, the limit
	// vc.MaxDocumentSize puts on a credential.
	DefaultMaxCredential = 1 << 20
)

// Sentinel errors. Every error of this package matches one of them with
// errors.Is.
var (
	// ErrNotBaked reports a well-formed image that holds no Open Badges 3.0
	// credential.
	ErrNotBaked = errors.New("bake: the image holds no Open Badges 3.0 credential")
	// ErrNotPNG reports input to BakePNG or UnbakePNG without the PNG
	// signature.
	ErrNotPNG = errors.New("bake: not a PNG image")
	// ErrNotSVG reports input to BakeSVG or UnbakeSVG whose root element
	// is not an SVG svg element.
	ErrNotSVG = errors.New("bake: not an SVG image")
	// ErrUnknownFormat reports input to Bake or Unbake that is neither a
	// PNG nor an SVG image.
	ErrUnknownFormat = errors.New("bake: not a PNG or SVG image")
	// ErrMalformed reports a broken image: a bad chunk CRC, a truncated
	// stream, XML that is not well-formed, a DOCTYPE with declarations,
	// more than one credential.
	ErrMalformed = errors.New("bake: malformed image")
	// ErrCredential reports a credential to bake that is neither a JSON
	// object (a credential with an embedded proof) nor a compact JWS (a
	// VC-JWT).
	ErrCredential = errors.New("bake: not a credential")
	// ErrTooLarge reports an image, chunk or credential over a limit; the
	// error is a *LimitError.
	ErrTooLarge = errors.New("bake: over a size limit")
)

// LimitError reports input over one of the Baker's limits. It matches
// ErrTooLarge.
type LimitError struct {
	// What names what is too large: "image" (the input), "baked image"
	// (the output of a bake), "chunk" or "credential".
	What string
	// Size is its size in bytes, or at least this much when the reading
	// stopped at the limit.
	Size int64
	// Limit is the limit in bytes.
	Limit int64
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("bake: %s of %d bytes is over the limit of %d bytes", e.What, e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// malformed returns an error matching ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Format is an image format that can carry a baked credential.
type Format string

// The formats Bake and Unbake handle.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// pngSignature starts every PNG datastream.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Sniff tells the format of img from its first bytes: the PNG signature,
// or markup (after an optional UTF-8 byte order mark and white space)
// for SVG. It does not check the rest; BakePNG, UnbakeSVG and the others
// do. Anything else is ErrUnknownFormat.
func Sniff(img []byte) (Format, error) {
	if bytes.HasPrefix(img, pngSignature) {
		return PNG, nil
	}
	rest := bytes.TrimLeft(bytes.TrimPrefix(img, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(rest) > 0 && rest[0] == '<' {
		return SVG, nil
	}
	return "", ErrUnknownFormat
}

// Baker bakes credentials into images and reads them back, within its
// limits. The zero value uses the defaults; a Baker is a value and safe
// for concurrent use.
type Baker struct {
	// MaxImage bounds the image read or baked, in bytes; 0 means
	// DefaultMaxImage.
	MaxImage int
	// MaxCredential bounds the credential baked or read, in bytes; 0 means
	// DefaultMaxCredential.
	MaxCredential int
}

func (b Baker) maxImage() int {
	if b.MaxImage > 0 {
		return b.MaxImage
	}
	return DefaultMaxImage
}

func (b Baker) maxCredential() int {
	if b.MaxCredential > 0 {
		return b.MaxCredential
	}
	return DefaultMaxCredential
}

// checkImage refuses an image over the limit.
func (b Baker) checkImage(img []byte) error {
	if len(img) > b.maxImage() {
		return &LimitError{What: "image", Size: int64(len(img)), Limit: int64(b.maxImage())}
	}
	return nil
}

// Bake bakes cred into img, a PNG or SVG image told by Sniff.
func (b Baker) Bake(ctx context.Context, img, cred []byte) ([]byte, error) {
	f, err := Sniff(img)
	if err != nil {
		return nil, err
	}
	if f == PNG {
		return b.BakePNG(ctx, img, cred)
	}
	return b.BakeSVG(ctx, img, cred)
}

// Unbake returns the credential baked into img, a PNG or SVG image told
// by Sniff.
func (b Baker) Unbake(ctx context.Context, img []byte) ([]byte, error) {
	f, err := Sniff(img)
	if err != nil {
		return nil, err
	}
	if f == PNG {
		return b.UnbakePNG(ctx, img)
	}
	return b.UnbakeSVG(ctx, img)
}

// Bake bakes cred into img with the default limits (Baker.Bake).
func Bake(ctx context.Context, img, cred []byte) ([]byte, error) {
	return Baker{}.Bake(ctx, img, cred)
}

// Unbake reads the credential of img with the default limits
// (Baker.Unbake).
func Unbake(ctx context.Context, img []byte) ([]byte, error) { return Baker{}.Unbake(ctx, img) }

// BakePNG bakes cred into a PNG image with the default limits
// (Baker.BakePNG).
func BakePNG(ctx context.Context, img, cred []byte) ([]byte, error) {
	return Baker{}.BakePNG(ctx, img, cred)
}

// UnbakePNG reads the credential of a PNG image with the default limits
// (Baker.UnbakePNG).
func UnbakePNG(ctx context.Context, img []byte) ([]byte, error) {
	return Baker{}.UnbakePNG(ctx, img)
}

// BakeSVG bakes cred into an SVG image with the default limits
// (Baker.BakeSVG).
func BakeSVG(ctx context.Context, img, cred []byte) ([]byte, error) {
	return Baker{}.BakeSVG(ctx, img, cred)
}

// UnbakeSVG reads the credential of an SVG image with the default limits
// (Baker.UnbakeSVG).
func UnbakeSVG(ctx context.Context, img []byte) ([]byte, error) {
	return Baker{}.UnbakeSVG(ctx, img)
}

// credKind is what a credential to bake is.
type credKind int

const (
	credJSON credKind = iota + 1 // a JSON object: an embedded proof
	credJWT                      // a compact JWS: a VC-JWT
)

// normalize returns the text to bake for cred and its kind: a JSON object
// as it is (white space trimmed), a compact JWS as it is, and a JSON
// string holding a compact JWS (what issuer.Issue returns for a VC-JWT)
// as the JWS.
func (b Baker) normalize(cred []byte) ([]byte, credKind, error) {
	if len(cred) > b.maxCredential() {
		return nil, 0, &LimitError{What: "credential", Size: int64(len(cred)), Limit: int64(b.maxCredential())}
	}
	c := bytes.TrimSpace(cred)
	if len(c) > 0 && c[0] == '"' {
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, 0, fmt.Errorf("%w: a JSON string that does not decode: %v", ErrCredential, err)
		}
		c = []byte(s)
	}
	switch {
	case len(c) == 0:
		return nil, 0, fmt.Errorf("%w: empty", ErrCredential)
	case c[0] == '{':
		if !json.Valid(c) {
			return nil, 0, fmt.Errorf("%w: not valid JSON", ErrCredential)
		}
		return c, credJSON, nil
	case isCompactJWS(c):
		return c, credJWT, nil
	}
	return nil, 0, fmt.Errorf("%w: neither a JSON object (embedded proof) nor a compact JWS (VC-JWT)", ErrCredential)
}

// isCompactJWS reports whether s is three non-empty-header base64url
// segments joined by dots (the payload and signature of a JWS may not be
// empty either for a VC-JWT).
func isCompactJWS(s []byte) bool {
	parts := bytes.Split(s, []byte("."))
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 {
			return false
		}
		for _, c := range p {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// checkUnbaked applies the credential checks to text read from an image:
// the size limit and the shape (a JSON object or a compact JWS).
func (b Baker) checkUnbaked(text []byte) ([]byte, error) {
	if len(text) > b.maxCredential() {
		return nil, &LimitError{What: "credential", Size: int64(len(text)), Limit: int64(b.maxCredential())}
	}
	c, _, err := b.normalize(text)
	if err != nil {
		return nil, malformed("the baked credential: %v", err)
	}
	return c, nil
}
