// Package bake bakes Open Badges 3.0 credentials into badge images and
// reads them back ("unbakes" them), as the Open Badges 3.0 specification's
// section on baked badges describes.
//
// # Formats
//
// PNG. The credential is the text of an iTXt chunk of keyword
// "openbadgecredential" (Keyword), written uncompressed just before IEND.
// The chunk codec is written here, not taken from image/png (which
// writes no iTXt): every chunk's length is checked against the input
// left and its CRC-32 against its content, the stream must start with
// the PNG signature and IHDR and end with IEND. A compressed chunk,
// which writers must not produce, is read with its inflated size
// bounded.
//
// SVG. The credential is an openbadges:credential element, in the
// namespace https://purl.imsglobal.org/ob/v3p0 (Namespace) that the root
// svg element declares, as the root's first child: a VC-JWT in its
// verify attribute, a credential with an embedded proof as JSON in a
// CDATA section. The image is read with encoding/xml, strictly: a DOCTYPE
// with an internal subset (entity declarations) is refused, so only the
// predefined entities are expanded, and nothing is fetched.
//
// The specification allows one credential per image: baking replaces an
// existing one, and reading an image with two is an error rather than a
// choice between them.
//
// An independent reader finds what Bake writes: the interop tests extract
// baked credentials with npm packages (png-chunks-extract, sax) that share
// no code with this one and verify them with Digital Bazaar
// (interop TestPeersUnbakeOurs).
//
// # What is baked
//
// A credential with an embedded proof (Data Integrity, a JSON object) is
// baked as the bytes given, white space trimmed; a VC-JWT as its compact
// JWS (a JSON string holding the JWS, as issuer.Issue returns it, is
// unquoted first). Unbaking returns the same bytes, which vc/verify's
// VerifyCredential accepts as they are. Baking does not verify the
// credential, and unbaking does not either: a baked image is only a
// carrier.
//
// # Limits
//
// A Baker holds the limits: the image (MaxImage, 10 MiB by default) and
// the credential (MaxCredential, 1 MiB, the size vc allows a credential).
// Input over a limit is a *LimitError, matching ErrTooLarge, before
// anything is decoded; baking refuses to write an image over MaxImage,
// which its reader would refuse. The package-level functions use a zero
// Baker.
// Loops over chunks and XML tokens check the context.
//
// Errors match the sentinels of this package (ErrNotBaked, ErrNotPNG,
// ErrNotSVG, ErrUnknownFormat, ErrMalformed, ErrCredential, ErrTooLarge)
// with errors.Is. The package imports only the standard library, so
// that its errors are not vc's.
package bake
