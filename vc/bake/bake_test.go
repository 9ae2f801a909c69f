package bake_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/credshare/credshare/vc/bake"
)

const (
	jsonCred = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","OpenBadgeCredential"],"proof":[{"type":"DataIntegrityProof","proofValue":"z3Ab]]>c"}]}`
	jwtCred  = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5OnoifQ.c2lnbmF0dXJl"
)

// testPNG encodes a small image with image/png.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		img.Set(x, x, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chunkBytes builds one PNG chunk.
func chunkBytes(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// insertBeforeIEND puts chunks just before the IEND chunk of img.
func insertBeforeIEND(img []byte, chunks ...[]byte) []byte {
	i := len(img) - 12
	out := append([]byte(nil), img[:i]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, img[i:]...)
}

func itxtData(keyword string, compressed bool, text []byte) []byte {
	d := append([]byte(keyword), 0)
	if compressed {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(text)
		w.Close()
		return append(append(d, 1, 0, 0, 0), z.Bytes()...)
	}
	return append(append(d, 0, 0, 0, 0), text...)
}

// countChunks counts the iTXt chunks of keyword in a valid PNG.
func countChunks(t *testing.T, img []byte, keyword string) int {
	t.Helper()
	n := 0
	for rest := img[8:]; len(rest) >= 12; {
		l := int(binary.BigEndian.Uint32(rest))
		if string(rest[4:8]) == "iTXt" && bytes.HasPrefix(rest[8:], []byte(keyword+"\x00")) {
			n++
		}
		rest = rest[12+l:]
	}
	return n
}

func wantErr(t *testing.T, err, target error, contains string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("err %q does not say %q", err, contains)
	}
}

func TestPNGRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct{ in, want string }{
		"data integrity":   {jsonCred, jsonCred},
		"padded JSON":      {"\n  " + jsonCred + "\n", jsonCred},
		"VC-JWT":           {jwtCred, jwtCred},
		"VC-JWT as string": {`"` + jwtCred + `"` + "\n", jwtCred},
	} {
		t.Run(name, func(t *testing.T) {
			img := testPNG(t)
			baked, err := bake.BakePNG(ctx, img, []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := bake.UnbakePNG(ctx, baked)
			if err != nil || string(got) != c.want {
				t.Fatalf("UnbakePNG = %q, %v; want %q", got, err, c.want)
			}
			if got, err := bake.Unbake(ctx, baked); err != nil || string(got) != c.want {
				t.Fatalf("Unbake = %q, %v", got, err)
			}
			// Still an image, identical pixels; the chunk sits before IEND,
			// uncompressed, with empty language tag and translated keyword.
			a, _ := png.Decode(bytes.NewReader(img))
			b, err := png.Decode(bytes.NewReader(baked))
			if err != nil {
				t.Fatalf("image/png cannot decode the baked image: %v", err)
			}
			if a.At(3, 3) != b.At(3, 3) || a.Bounds() != b.Bounds() {
				t.Error("the baked image differs")
			}
			want := chunkBytes("iTXt", itxtData("openbadgecredential", false, []byte(c.want)))
			if !bytes.HasSuffix(baked, append(want, img[len(img)-12:]...)) {
				t.Error("the credential chunk is not the uncompressed iTXt chunk just before IEND")
			}
		})
	}
}

func TestPNGRebakeReplaces(t *testing.T) {
	ctx := context.Background()
	once, err := bake.BakePNG(ctx, testPNG(t), []byte(jsonCred))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := bake.BakePNG(ctx, once, []byte(jwtCred))
	if err != nil {
		t.Fatal(err)
	}
	if n := countChunks(t, twice, "openbadgecredential"); n != 1 {
		t.Fatalf("%d credential chunks after re-baking, want 1", n)
	}
	if got, _ := bake.UnbakePNG(ctx, twice); string(got) != jwtCred {
		t.Fatalf("re-baked image holds %q", got)
	}
	again, _ := bake.BakePNG(ctx, twice, []byte(jwtCred))
	if !bytes.Equal(again, twice) {
		t.Error("baking the same credential again changed the image")
	}
}

func TestPNGCorruptedCRC(t *testing.T) {
	ctx := context.Background()
	baked, _ := bake.BakePNG(ctx, testPNG(t), []byte(jsonCred))
	for _, at := range []int{8 + 8, len(baked) - 12 - 20, len(baked) - 2} { // IHDR data, credential text, IEND CRC
		bad := bytes.Clone(baked)
		bad[at] ^= 0x40
		_, err := bake.UnbakePNG(ctx, bad)
		wantErr(t, err, bake.ErrMalformed, "bad CRC")
		_, err = bake.BakePNG(ctx, bad, []byte(jsonCred))
		wantErr(t, err, bake.ErrMalformed, "bad CRC")
	}
}

func TestPNGTruncated(t *testing.T) {
	ctx := context.Background()
	baked, _ := bake.BakePNG(ctx, testPNG(t), []byte(jsonCred))
	for _, n := range []int{8, 20, 33, len(baked) / 2, len(baked) - 12, len(baked) - 1} {
		_, err := bake.UnbakePNG(ctx, baked[:n])
		wantErr(t, err, bake.ErrMalformed, "truncated")
	}
	_, err := bake.UnbakePNG(ctx, baked[:5])
	wantErr(t, err, bake.ErrNotPNG, "PNG")
}

// A chunk declaring more bytes than the input holds is refused before
// anything is allocated for it.
func TestPNGChunkLengthOverRemainingInput(t *testing.T) {
	img := testPNG(t)
	for _, l := range []uint32{1 << 20, 1<<31 - 1, 1 << 31, 0xffffffff} {
		bad := insertBeforeIEND(img, binary.BigEndian.AppendUint32(nil, l))
		bad = append(bad[:len(bad)-16], append(binary.BigEndian.AppendUint32(nil, l), "iTXtxxxx"...)...)
		_, err := bake.UnbakePNG(context.Background(), bad)
		if !errors.Is(err, bake.ErrMalformed) {
			t.Fatalf("length %d: err = %v", l, err)
		}
		t.Logf("length %d: %v", l, err)
	}
}

func TestPNGOversized(t *testing.T) {
	ctx := context.Background()
	img := testPNG(t)
	b := bake.Baker{MaxImage: len(img) - 1}
	_, err := b.UnbakePNG(ctx, img)
	var le *bake.LimitError
	if !errors.As(err, &le) || !errors.Is(err, bake.ErrTooLarge) || le.What != "image" || le.Limit != int64(len(img)-1) {
		t.Fatalf("err = %v, want a *LimitError on the image", err)
	}
	if _, err := b.BakePNG(ctx, img, []byte(jsonCred)); !errors.As(err, &le) {
		t.Fatalf("BakePNG: err = %v", err)
	}
	// Baking never writes an image its reader would refuse.
	for name, in := range map[string][]byte{"png": img, "svg": []byte(testSVG)} {
		_, err := bake.Baker{MaxImage: len(in) + 10}.Bake(ctx, in, []byte(jsonCred))
		if !errors.As(err, &le) || le.What != "baked image" {
			t.Fatalf("%s: a baked image over MaxImage: err = %v", name, err)
		}
	}
	// The default: 10 MiB.
	huge := append(bytes.Clone(img), make([]byte, bake.DefaultMaxImage)...)
	if _, err := bake.Unbake(ctx, huge); !errors.As(err, &le) || le.What != "image" {
		t.Fatalf("an 10 MiB image: err = %v", err)
	}
	// The credential, baking and unbaking.
	small := bake.Baker{MaxCredential: 64}
	if _, err := small.BakePNG(ctx, img, []byte(jsonCred)); !errors.As(err, &le) || le.What != "credential" {
		t.Fatalf("baking a large credential: err = %v", err)
	}
	baked, _ := bake.BakePNG(ctx, img, []byte(jsonCred))
	if _, err := small.UnbakePNG(ctx, baked); !errors.As(err, &le) || le.What != "credential" {
		t.Fatalf("unbaking a large credential: err = %v", err)
	}
}

func TestPNGNotPNG(t *testing.T) {
	ctx := context.Background()
	for _, in := range [][]byte{nil, []byte("GIF89a........"), []byte("\x89PNG\r\n\x1a"), []byte(jsonCred)} {
		_, err := bake.UnbakePNG(ctx, in)
		wantErr(t, err, bake.ErrNotPNG, "not a PNG")
		_, err = bake.BakePNG(ctx, in, []byte(jsonCred))
		wantErr(t, err, bake.ErrNotPNG, "not a PNG")
	}
	for _, in := range [][]byte{nil, []byte("GIF89a"), []byte(jsonCred)} {
		_, err := bake.Unbake(ctx, in)
		wantErr(t, err, bake.ErrUnknownFormat, "not a PNG or SVG")
	}
	// The signature, then no IHDR.
	_, err := bake.UnbakePNG(ctx, append([]byte("\x89PNG\r\n\x1a\n"), chunkBytes("IEND", nil)...))
	wantErr(t, err, bake.ErrMalformed, "not IHDR")
}

func TestPNGNotACredential(t *testing.T) {
	for _, c := range []string{"", "   ", "hello", "[1,2]", `{"a":`, "a.b", "a.b.c.d", "a..c", `"not a jwt"`, "a.b.c!"} {
		_, err := bake.BakePNG(context.Background(), testPNG(t), []byte(c))
		if !errors.Is(err, bake.ErrCredential) {
			t.Errorf("%q: err = %v, want ErrCredential", c, err)
		}
	}
}

func TestPNGCompressedChunkIsRead(t *testing.T) {
	img := insertBeforeIEND(testPNG(t), chunkBytes("iTXt", itxtData("openbadgecredential", true, []byte(jsonCred))))
	got, err := bake.UnbakePNG(context.Background(), img)
	if err != nil || string(got) != jsonCred {
		t.Fatalf("UnbakePNG = %q, %v", got, err)
	}
	// Re-baking writes it uncompressed.
	rebaked, _ := bake.BakePNG(context.Background(), img, []byte(jsonCred))
	if n := countChunks(t, rebaked, "openbadgecredential"); n != 1 || !bytes.Contains(rebaked, itxtData("openbadgecredential", false, []byte(jsonCred))) {
		t.Errorf("re-baking a compressed chunk: %d chunks", n)
	}
}

// A compressed chunk inflating past MaxCredential (a zlib bomb: 8 MiB
// of spaces in about 8 KiB) is refused once the limit is read.
func TestPNGCompressedBombBounded(t *testing.T) {
	text := append([]byte("{"), bytes.Repeat([]byte(" "), 8<<20)...)
	img := insertBeforeIEND(testPNG(t), chunkBytes("iTXt", itxtData("openbadgecredential", true, text)))
	t.Logf("image of %d bytes", len(img))
	_, err := bake.UnbakePNG(context.Background(), img)
	var le *bake.LimitError
	if !errors.As(err, &le) || le.What != "credential" || le.Size != bake.DefaultMaxCredential+1 {
		t.Fatalf("err = %v, want a *LimitError after %d bytes", err, bake.DefaultMaxCredential+1)
	}
	bad := insertBeforeIEND(testPNG(t), chunkBytes("iTXt", append(itxtData("openbadgecredential", false, nil)[:20], 1, 0, 0, 0, 'x', 'y')))
	_, err = bake.UnbakePNG(context.Background(), bad)
	wantErr(t, err, bake.ErrMalformed, "compressed")
}

func TestPNGDuplicateCredentialChunks(t *testing.T) {
	c := chunkBytes("iTXt", itxtData("openbadgecredential", false, []byte(jsonCred)))
	img := insertBeforeIEND(testPNG(t), c, c)
	_, err := bake.UnbakePNG(context.Background(), img)
	wantErr(t, err, bake.ErrMalformed, "more than one")
	// Baking replaces both.
	baked, err := bake.BakePNG(context.Background(), img, []byte(jwtCred))
	if err != nil || countChunks(t, baked, "openbadgecredential") != 1 {
		t.Fatalf("BakePNG: %v", err)
	}
}

func TestPNGNotBaked(t *testing.T) {
	ctx := context.Background()
	_, err := bake.UnbakePNG(ctx, testPNG(t))
	if err != bake.ErrNotBaked {
		t.Fatalf("err = %v", err)
	}
	legacy := insertBeforeIEND(testPNG(t), chunkBytes("iTXt", itxtData("openbadges", false, []byte(jsonCred))))
	_, err = bake.UnbakePNG(ctx, legacy)
	wantErr(t, err, bake.ErrNotBaked, "Open Badges 2.0")
	other := insertBeforeIEND(testPNG(t), chunkBytes("tEXt", []byte("Comment\x00hello")), chunkBytes("iTXt", itxtData("openbadgecredentialx", false, []byte(jsonCred))))
	if _, err := bake.UnbakePNG(ctx, other); err != bake.ErrNotBaked {
		t.Fatalf("other text chunks: err = %v", err)
	}
}

func TestPNGDataAfterIEND(t *testing.T) {
	_, err := bake.UnbakePNG(context.Background(), append(testPNG(t), "PK\x03\x04"...))
	wantErr(t, err, bake.ErrMalformed, "after the IEND")
}

func TestPNGHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	baked, _ := bake.BakePNG(context.Background(), testPNG(t), []byte(jsonCred))
	if _, err := bake.UnbakePNG(ctx, baked); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := bake.UnbakeSVG(ctx, []byte(testSVG)); !errors.Is(err, context.Canceled) {
		t.Fatalf("svg: err = %v", err)
	}
}

const testSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">
  <circle cx="256" cy="256" r="200" fill="#336"/>
</svg>
`

// credentialElements returns, for a baked SVG, the names of the root's
// element children in order and the count of credential elements.
func rootChildren(t *testing.T, svg []byte) (children []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return children
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				children = append(children, e.Name.Space+" "+e.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func TestSVGRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct{ in, want string }{
		"data integrity with ]]>": {jsonCred, jsonCred},
		"VC-JWT":                  {jwtCred, jwtCred},
		"VC-JWT as string":        {`"` + jwtCred + `"`, jwtCred},
	} {
		t.Run(name, func(t *testing.T) {
			baked, err := bake.BakeSVG(ctx, []byte(testSVG), []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s", baked)
			got, err := bake.Unbake(ctx, baked)
			if err != nil || string(got) != c.want {
				t.Fatalf("Unbake = %q, %v; want %q", got, err, c.want)
			}
			ch := rootChildren(t, baked)
			if len(ch) != 2 || ch[0] != "https://purl.imsglobal.org/ob/v3p0 credential" {
				t.Errorf("root children %v: the credential is not the first", ch)
			}
			if !bytes.Contains(baked, []byte(`xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`)) {
				t.Error("the root does not declare xmlns:openbadges")
			}
			jwt := c.want == jwtCred
			if jwt != bytes.Contains(baked, []byte(`verify="`+jwtCred+`"`)) || jwt == bytes.Contains(baked, []byte("<![CDATA[")) {
				t.Error("a VC-JWT goes in verify, a JSON credential in CDATA")
			}
		})
	}
}

// The specification's own example shapes are read: the verify attribute
// and a CDATA body surrounded by white space.
func TestSVGUnbakeSpecShapes(t *testing.T) {
	for in, want := range map[string]string{
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" viewBox="0 0 512 512">
    <openbadges:credential verify="` + jwtCred + `"></openbadges:credential>
    <!-- rest-of-image -->
  </svg>`: jwtCred,
		`<?xml version="1.0" encoding="UTF-8"?>
  <svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
    <openbadges:credential>
      <![CDATA[
        {"type": ["VerifiableCredential", "OpenBadgeCredential"], "proof": { }}
      ]]>
    </openbadges:credential>
  </svg>`: `{"type": ["VerifiableCredential", "OpenBadgeCredential"], "proof": { }}`,
		// Another prefix for the same namespace.
		`<svg xmlns="http://www.w3.org/2000/svg"><ob:credential xmlns:ob="https://purl.imsglobal.org/ob/v3p0" verify="` + jwtCred + `"/></svg>`: jwtCred,
	} {
		got, err := bake.UnbakeSVG(context.Background(), []byte(in))
		if err != nil || string(got) != want {
			t.Errorf("UnbakeSVG = %q, %v; want %q", got, err, want)
		}
	}
}

func TestSVGRebakeReplaces(t *testing.T) {
	ctx := context.Background()
	once, err := bake.BakeSVG(ctx, []byte(testSVG), []byte(jsonCred))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := bake.BakeSVG(ctx, once, []byte(jwtCred))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(twice, []byte("<openbadges:credential")); n != 1 {
		t.Fatalf("%d credential elements after re-baking:\n%s", n, twice)
	}
	if n := bytes.Count(twice, []byte("xmlns:openbadges")); n != 1 {
		t.Fatalf("%d namespace declarations after re-baking", n)
	}
	if got, _ := bake.UnbakeSVG(ctx, twice); string(got) != jwtCred {
		t.Fatalf("re-baked image holds %q", got)
	}
	again, _ := bake.BakeSVG(ctx, twice, []byte(jwtCred))
	if !bytes.Equal(again, twice) {
		t.Errorf("baking the same credential again changed the image:\n%s\n---\n%s", twice, again)
	}
	back, _ := bake.BakeSVG(ctx, again, []byte(jsonCred))
	if !bytes.Equal(back, once) {
		t.Errorf("baking the first credential again does not give the first image:\n%s\n---\n%s", once, back)
	}
	// White space in text is kept; an element with the prefix openbadges
	// unbound (not read) is removed.
	text := `<svg xmlns="http://www.w3.org/2000/svg"><text>a <openbadges:credential verify="a.b.c"/></text></svg>`
	out, err := bake.BakeSVG(ctx, []byte(text), []byte(jwtCred))
	if err != nil || !bytes.Contains(out, []byte("<text>a </text>")) {
		t.Fatalf("BakeSVG = %s, %v", out, err)
	}
	// A credential element anywhere, with any prefix, is replaced too.
	odd := `<svg xmlns="http://www.w3.org/2000/svg"><g><x:credential xmlns:x="https://purl.imsglobal.org/ob/v3p0" verify="a.b.c"/></g></svg>`
	out, err = bake.BakeSVG(ctx, []byte(odd), []byte(jwtCred))
	if err != nil || bytes.Contains(out, []byte("x:credential")) {
		t.Fatalf("BakeSVG = %s, %v", out, err)
	}
}

func TestSVGRootShapes(t *testing.T) {
	ctx := context.Background()
	for _, in := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"/>`,
		`<svg xmlns="http://www.w3.org/2000/svg" width="1" />`,
		`<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:rect/></svg:svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><rect/></svg>`,
		"\xef\xbb\xbf<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
		`<svg><rect/></svg>`,
		"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
	} {
		baked, err := bake.Bake(ctx, []byte(in), []byte(jsonCred))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got, err := bake.Unbake(ctx, baked); err != nil || string(got) != jsonCred {
			t.Errorf("%s: Unbake = %q, %v\n%s", in, got, err, baked)
		}
		if ch := rootChildren(t, baked); len(ch) == 0 || ch[0] != bake.Namespace+" credential" {
			t.Errorf("%s: root children %v\n%s", in, ch, baked)
		}
	}
	_, err := bake.BakeSVG(ctx, []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>`), []byte(jsonCred))
	wantErr(t, err, bake.ErrMalformed, "binds the prefix openbadges")
}

// No entity declaration is ever read: a DOCTYPE with an internal subset
// (the billion laughs, an external entity) is refused before any entity
// is used, and an undeclared entity is an error, not an empty string or
// a fetch.
func TestSVGDoctypeAndEntitiesRefused(t *testing.T) {
	ctx := context.Background()
	laughs := `<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&lol3;</openbadges:credential></svg>`
	xxe := `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&xxe;</openbadges:credential></svg>`
	for name, in := range map[string]string{"billion laughs": laughs, "external entity": xxe} {
		_, err := bake.UnbakeSVG(ctx, []byte(in))
		wantErr(t, err, bake.ErrMalformed, "internal subset")
		_, err = bake.BakeSVG(ctx, []byte(in), []byte(jsonCred))
		wantErr(t, err, bake.ErrMalformed, "internal subset")
		t.Logf("%s: %v", name, err)
	}
	undeclared := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&xxe;</openbadges:credential></svg>`
	_, err := bake.UnbakeSVG(ctx, []byte(undeclared))
	wantErr(t, err, bake.ErrMalformed, "entity")
	_, err = bake.UnbakeSVG(ctx, []byte(`<!ENTITY x "y"><svg xmlns="http://www.w3.org/2000/svg"/>`))
	wantErr(t, err, bake.ErrMalformed, "refused")
}

func TestSVGHugeRefused(t *testing.T) {
	ctx := context.Background()
	huge := []byte(`<svg xmlns="http://www.w3.org/2000/svg">` + strings.Repeat("<g>", bake.DefaultMaxImage/3) + `</svg>`)
	_, err := bake.UnbakeSVG(ctx, huge)
	var le *bake.LimitError
	if !errors.As(err, &le) || le.What != "image" {
		t.Fatalf("err = %v", err)
	}
	// A credential element over MaxCredential is refused while it is read.
	big := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[{"a":"` +
		strings.Repeat("x", 5000) + `"}]]></openbadges:credential></svg>`
	_, err = bake.Baker{MaxCredential: 4096}.UnbakeSVG(ctx, []byte(big))
	if !errors.As(err, &le) || le.What != "credential" {
		t.Fatalf("err = %v", err)
	}
}

func TestSVGMalformed(t *testing.T) {
	ctx := context.Background()
	const ns = ` xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`
	for in, want := range map[string]error{
		`<html><body/></html>`:                      bake.ErrNotSVG,
		`<svg xmlns="http://example.org/not-svg"/>`: bake.ErrNotSVG,
		`<svg`:                                          bake.ErrNotSVG,
		`<?xml version="1.0"?>`:                         bake.ErrNotSVG,
		`<svg` + ns + `><rect></svg>`:                   bake.ErrMalformed,
		`<svg` + ns + `><rect/>`:                        bake.ErrMalformed,
		`<svg` + ns + `/><svg` + ns + `/>`:              bake.ErrMalformed,
		`<svg` + ns + `/>trailing`:                      bake.ErrMalformed,
		`<?xml version="1.0" encoding="UTF-16"?><svg/>`: bake.ErrNotSVG,
		`<svg` + ns + `><openbadges:credential verify="a.b.c"/><openbadges:credential verify="a.b.c"/></svg>`: bake.ErrMalformed,
		`<svg` + ns + `><openbadges:credential verify="a.b.c">{}</openbadges:credential></svg>`:               bake.ErrMalformed,
		`<svg` + ns + `><openbadges:credential><g/></openbadges:credential></svg>`:                            bake.ErrMalformed,
		`<svg` + ns + `><openbadges:credential>not json</openbadges:credential></svg>`:                        bake.ErrMalformed,
		`<svg` + ns + `><openbadges:credential></openbadges:credential></svg>`:                                bake.ErrMalformed,
		`<svg` + ns + `><rect/></svg>`: bake.ErrNotBaked,
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://x"/></svg>`: bake.ErrNotBaked,
	} {
		_, err := bake.UnbakeSVG(ctx, []byte(in))
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", in, err, want)
		}
	}
	_, err := bake.UnbakeSVG(ctx, []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://x"/></svg>`))
	wantErr(t, err, bake.ErrNotBaked, "Open Badges 2.0")
}

// A credential XML cannot carry is refused when baking, not written.
func TestSVGCredentialXMLCannotCarry(t *testing.T) {
	_, err := bake.BakeSVG(context.Background(), []byte(testSVG), []byte("{\"a\":\"\x01\"}"))
	if !errors.Is(err, bake.ErrCredential) {
		t.Fatalf("err = %v", err)
	}
	_, err = bake.BakeSVG(context.Background(), []byte(testSVG), []byte("{\"a\":\"\xff\"}"))
	if !errors.Is(err, bake.ErrCredential) {
		t.Fatalf("err = %v", err)
	}
}

// A DOCTYPE naming an external DTD is accepted (badge editors write one)
// and never fetched: the server it names receives no request.
func TestSVGExternalDTDNotFetched(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`<!ENTITY xxe "fetched">`))
	}))
	defer srv.Close()
	in := `<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "` + srv.URL + `/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`
	ctx := context.Background()
	baked, err := bake.BakeSVG(ctx, []byte(in), []byte(jsonCred))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bake.UnbakeSVG(ctx, baked); err != nil || string(got) != jsonCred {
		t.Fatalf("UnbakeSVG = %q, %v", got, err)
	}
	// An entity the external DTD would declare stays undeclared.
	withRef := strings.Replace(string(baked), "<rect/>", "<text>&xxe;</text>", 1)
	_, err = bake.UnbakeSVG(ctx, []byte(withRef))
	wantErr(t, err, bake.ErrMalformed, "entity")
	if n := hits.Load(); n != 0 {
		t.Errorf("the DTD's server received %d requests", n)
	}
}
