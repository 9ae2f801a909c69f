package bake

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// Namespace is the XML namespace of the openbadges:credential element of
// a baked SVG image.
const Namespace = "https://purl.imsglobal.org/ob/v3p0"

// svgNamespace is the SVG namespace.
const svgNamespace = "http://www.w3.org/2000/svg"

// legacyNamespace is the Open Badges 2.0 namespace, named in
// ErrNotBaked's message when only its assertion element is found.
const legacyNamespace = "http://openbadges.org"

// span is a byte range of the image.
type span struct{ start, end int }

// svgScan is what one pass of the XML decoder over an SVG image finds.
type svgScan struct {
	root        span   // the root's start tag
	rootName    string // as written, with its prefix
	selfClosing bool   // <svg .../>
	nsBound     string // the namespace the root binds the prefix openbadges to
	creds       []span // every credential element
	stale       []span // credential elements whose prefix openbadges is unbound
	verify      string // the first one's verify attribute
	content     []byte // the first one's character data
	legacy      bool   // an Open Badges 2.0 openbadges:assertion element
}

// scanSVG reads the whole of img with encoding/xml, strictly: the
// Baker's limits, well-formed XML in UTF-8, one root element svg, no
// DOCTYPE with an internal subset (so no entity declarations: only the
// five predefined entities are expanded, and encoding/xml fetches
// nothing), no other declaration, no element inside a credential element.
func (b Baker) scanSVG(ctx context.Context, img []byte) (*svgScan, error) {
	if err := b.checkImage(img); err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(img))
	d.Strict = true
	var s svgScan
	rootSeen := false
	depth, credDepth, credStart := 0, -1, 0
	staleDepth, staleStart := -1, 0
	var content bytes.Buffer
	var verify string
	for n := 0; ; n++ {
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		start := int(d.InputOffset())
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !rootSeen {
				return nil, fmt.Errorf("%w: %v", ErrNotSVG, err)
			}
			return nil, malformed("svg: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if rootSeen || !bytes.HasPrefix(t, []byte("DOCTYPE")) {
				return nil, malformed("svg: the declaration <!%.20s...> is refused", t)
			}
			if bytes.ContainsAny(t, "[<") {
				return nil, malformed("svg: a DOCTYPE with an internal subset is refused (entity declarations are never expanded)")
			}
		case xml.StartElement:
			if depth == 0 {
				if rootSeen {
					return nil, malformed("svg: more than one root element")
				}
				if t.Name.Local != "svg" || (t.Name.Space != svgNamespace && t.Name.Space != "") {
					return nil, fmt.Errorf("%w: the root element is %s", ErrNotSVG, t.Name.Local)
				}
				rootSeen = true
				s.root = span{start, int(d.InputOffset())}
				tag := img[s.root.start:s.root.end]
				s.selfClosing = bytes.HasSuffix(tag, []byte("/>"))
				i := bytes.IndexAny(tag, " \t\r\n/>")
				s.rootName = string(tag[1:i])
				for _, a := range t.Attr {
					if a.Name.Space == "xmlns" && a.Name.Local == "openbadges" {
						s.nsBound = a.Value
					}
				}
			}
			switch {
			case credDepth >= 0:
				return nil, malformed("svg: an element inside the credential element")
			case t.Name.Space == Namespace && t.Name.Local == "credential":
				credDepth, credStart = depth, start
				content.Reset()
				verify = ""
				for _, a := range t.Attr {
					if a.Name.Space == "" && a.Name.Local == "verify" {
						verify = a.Value
					}
				}
			case t.Name.Space == legacyNamespace && t.Name.Local == "assertion":
				s.legacy = true
			case t.Name.Space == "openbadges" && t.Name.Local == "credential":
				// encoding/xml leaves an unbound prefix as the space: not
				// a credential a reader finds, but baking removes it.
				staleDepth, staleStart = depth, start
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == credDepth {
				if len(s.creds) == 0 {
					s.verify, s.content = verify, bytes.Clone(content.Bytes())
				}
				s.creds = append(s.creds, span{credStart, int(d.InputOffset())})
				credDepth = -1
			}
			if depth == staleDepth {
				s.stale = append(s.stale, span{staleStart, int(d.InputOffset())})
				staleDepth = -1
			}
		case xml.CharData:
			switch {
			case credDepth >= 0:
				if content.Len()+len(t) > b.maxCredential() {
					return nil, &LimitError{What: "credential", Size: int64(content.Len() + len(t)), Limit: int64(b.maxCredential())}
				}
				content.Write(t)
			case depth == 0 && len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\xef\xbb\xbf")))) > 0:
				return nil, malformed("svg: text outside the root element")
			}
		}
	}
	if !rootSeen {
		return nil, fmt.Errorf("%w: no root element", ErrNotSVG)
	}
	return &s, nil
}

// UnbakeSVG returns the credential baked into the SVG image img: the
// verify attribute of its openbadges:credential element (a VC-JWT), or
// else the element's character data, CDATA included, trimmed (a JSON
// object). The whole image is checked first, as scanSVG describes.
//
// An image without the element is ErrNotBaked; one with two, or with
// both a verify attribute and content, is ErrMalformed.
func (b Baker) UnbakeSVG(ctx context.Context, img []byte) ([]byte, error) {
	s, err := b.scanSVG(ctx, img)
	if err != nil {
		return nil, err
	}
	switch {
	case len(s.creds) == 0 && s.legacy:
		return nil, fmt.Errorf("%w (it has an Open Badges 2.0 openbadges:assertion element, which this package does not read)", ErrNotBaked)
	case len(s.creds) == 0:
		return nil, ErrNotBaked
	case len(s.creds) > 1:
		return nil, malformed("svg: more than one openbadges:credential element")
	}
	content := bytes.TrimSpace(s.content)
	if s.verify != "" {
		if len(content) > 0 {
			return nil, malformed("svg: the credential element has both a verify attribute and content")
		}
		return b.checkUnbaked([]byte(s.verify))
	}
	return b.checkUnbaked(content)
}

// BakeSVG returns a copy of the SVG image img with cred in an
// openbadges:credential element, the first child of the root svg
// element, which declares xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0".
// A VC-JWT goes in the element's verify attribute, a credential with an
// embedded proof in a CDATA section. An existing credential element is
// replaced: the specification allows one.
//
// The rest of the image is kept byte for byte. img is checked as
// UnbakeSVG checks it, and the result is read back before it is returned.
func (b Baker) BakeSVG(ctx context.Context, img, cred []byte) ([]byte, error) {
	text, kind, err := b.normalize(cred)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(text) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrCredential)
	}
	s, err := b.scanSVG(ctx, img)
	if err != nil {
		return nil, err
	}
	var el []byte
	if kind == credJWT {
		el = fmt.Appendf(nil, "\n<openbadges:credential verify=\"%s\"></openbadges:credential>", text)
	} else {
		el = append(el, "\n<openbadges:credential><![CDATA["...)
		el = append(el, bytes.ReplaceAll(text, []byte("]]>"), []byte("]]]]><![CDATA[>"))...)
		el = append(el, "]]></openbadges:credential>"...)
	}
	type edit struct {
		span
		insert []byte
	}
	var edits []edit
	switch s.nsBound {
	case Namespace:
	case "":
		at := s.root.start + 1 + len(s.rootName)
		edits = append(edits, edit{span{at, at}, []byte(` xmlns:openbadges="` + Namespace + `"`)})
	default:
		return nil, malformed("svg: the root binds the prefix openbadges to %q, not %s (an Open Badges 2.0 image? remove its baked data first)", s.nsBound, Namespace)
	}
	if s.selfClosing {
		at := s.root.end - 2
		edits = append(edits, edit{span{at, s.root.end}, fmt.Appendf(nil, ">%s\n</%s>", el, s.rootName)})
	} else {
		edits = append(edits, edit{span{s.root.end, s.root.end}, el})
	}
	for _, c := range append(s.creds, s.stale...) {
		start := c.start
		for start > s.root.end && isXMLSpace(img[start-1]) {
			start--
		}
		if start != s.root.end {
			start = c.start // white space that is not only the indentation of a first child is kept
		}
		edits = append(edits, edit{span{start, c.end}, nil})
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	out := make([]byte, 0, len(img)+len(el)+len(Namespace)+32)
	pos := 0
	for _, e := range edits {
		out = append(out, img[pos:e.start]...)
		out = append(out, e.insert...)
		pos = e.end
	}
	out = append(out, img[pos:]...)
	if len(out) > b.maxImage() {
		return nil, &LimitError{What: "baked image", Size: int64(len(out)), Limit: int64(b.maxImage())}
	}
	// Read the result back: a credential that XML cannot carry (a
	// character outside XML's range) fails here, not in a reader.
	got, err := Baker{MaxImage: len(out), MaxCredential: b.maxCredential()}.UnbakeSVG(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("%w: it cannot be carried in SVG: %v", ErrCredential, err)
	}
	if !bytes.Equal(got, text) {
		return nil, fmt.Errorf("%w: it does not survive baking into SVG unchanged", ErrCredential)
	}
	return out, nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
