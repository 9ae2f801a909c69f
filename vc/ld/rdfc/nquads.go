package rdfc

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is an N-Quads document ParseNQuads refused. It matches
// ErrSyntax. Its text names a position and a rule, never the input.
type SyntaxError struct {
	// Line and Column locate the error (1-based; Column counts bytes).
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return "rdfc: N-Quads line " + strconv.Itoa(e.Line) + " column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// ParseNQuads parses an RDF 1.1 N-Quads document: one statement a line,
// comments after '#', IRIs absolute (with a scheme), blank node
// identifiers without "_:" in the result, escapes (ECHAR, UCHAR) decoded.
// Errors are *SyntaxError (ErrSyntax). It runs in time and memory linear
// in len(doc); bounding len(doc) is the caller's business. Duplicate
// statements are kept (Canonicalize removes them: a dataset is a set).
func ParseNQuads(doc string) ([]Quad, error) {
	if !utf8.ValidString(doc) {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "the document is not UTF-8"}
	}
	p := &parser{src: doc, line: 1}
	var out []Quad
	for {
		p.skipSpace()
		if p.eof() {
			return out, nil
		}
		if c := p.peek(); c == '\n' || c == '\r' || c == '#' {
			p.skipLine()
			continue
		}
		q, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, q)
		p.skipSpace()
		if !p.eof() {
			switch p.peek() {
			case '#', '\n', '\r':
				p.skipLine()
			default:
				return nil, p.errorf("expected the end of the line after '.'")
			}
		}
	}
}

type parser struct {
	src       string
	pos       int
	line      int
	lineStart int
}

func (p *parser) eof() bool  { return p.pos >= len(p.src) }
func (p *parser) peek() byte { return p.src[p.pos] }

func (p *parser) errorf(msg string) error {
	return &SyntaxError{Line: p.line, Column: p.pos - p.lineStart + 1, Msg: msg}
}

func (p *parser) skipSpace() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
}

// skipLine skips a comment and the line ends after it.
func (p *parser) skipLine() {
	for !p.eof() && p.peek() != '\n' && p.peek() != '\r' {
		p.pos++
	}
	for !p.eof() && (p.peek() == '\n' || p.peek() == '\r') {
		if p.peek() == '\n' || p.pos+1 >= len(p.src) || p.src[p.pos+1] != '\n' {
			p.line++
		}
		p.pos++
		p.lineStart = p.pos
	}
}

func (p *parser) statement() (Quad, error) {
	var q Quad
	var err error
	if q.Subject, err = p.term(false); err != nil {
		return q, err
	}
	if q.Subject.Kind == KindLiteral {
		return q, p.errorf("a literal cannot be a subject")
	}
	p.skipSpace()
	if p.eof() || p.peek() != '<' {
		return q, p.errorf("the predicate must be an IRI")
	}
	if q.Predicate, err = p.term(false); err != nil {
		return q, err
	}
	p.skipSpace()
	if q.Object, err = p.term(true); err != nil {
		return q, err
	}
	p.skipSpace()
	if !p.eof() && p.peek() != '.' {
		if q.Graph, err = p.term(false); err != nil {
			return q, err
		}
		if q.Graph.Kind == KindLiteral {
			return q, p.errorf("a literal cannot name a graph")
		}
		p.skipSpace()
	}
	if p.eof() || p.peek() != '.' {
		return q, p.errorf("expected '.' at the end of the statement")
	}
	p.pos++
	return q, nil
}

func (p *parser) term(literal bool) (Term, error) {
	if p.eof() {
		return Term{}, p.errorf("unexpected end of the document")
	}
	switch c := p.peek(); {
	case c == '<':
		v, err := p.iri()
		return IRI(v), err
	case c == '_':
		v, err := p.blank()
		return Blank(v), err
	case c == '"' && literal:
		return p.literal()
	}
	return Term{}, p.errorf("expected an IRI, a blank node or a literal")
}

func (p *parser) iri() (string, error) {
	p.pos++ // '<'
	var b strings.Builder
	start, escaped := p.pos, false
	for {
		if p.eof() {
			return "", p.errorf("unterminated IRI")
		}
		c := p.peek()
		switch {
		case c == '>':
			v := p.src[start:p.pos]
			if escaped {
				b.WriteString(v)
				v = b.String()
			}
			p.pos++
			if !hasScheme(v) {
				return "", p.errorf("the IRI is relative (N-Quads IRIs are absolute)")
			}
			return v, nil
		case c == '\\':
			b.WriteString(p.src[start:p.pos])
			r, err := p.uchar()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			start, escaped = p.pos, true
		case c <= 0x20 || strings.IndexByte("<\"{}|^`", c) >= 0:
			return "", p.errorf("a character IRIREF does not allow")
		default:
			p.pos++
		}
	}
}

func hasScheme(iri string) bool {
	for i := 0; i < len(iri); i++ {
		c := iri[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// uchar decodes \uXXXX or \UXXXXXXXX at p.pos.
func (p *parser) uchar() (rune, error) {
	if p.pos+1 >= len(p.src) {
		return 0, p.errorf("unterminated escape")
	}
	n := 0
	switch p.src[p.pos+1] {
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		return 0, p.errorf("only \\u and \\U escapes are allowed here")
	}
	if p.pos+2+n > len(p.src) {
		return 0, p.errorf("unterminated escape")
	}
	var r rune
	for _, c := range []byte(p.src[p.pos+2 : p.pos+2+n]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, p.errorf("an escape needs hexadecimal digits")
		}
		r = r<<4 | rune(d)
	}
	if !utf8.ValidRune(r) {
		return 0, p.errorf("the escape is not a Unicode scalar value")
	}
	p.pos += 2 + n
	return r, nil
}

func (p *parser) blank() (string, error) {
	if p.pos+1 >= len(p.src) || p.src[p.pos+1] != ':' {
		return "", p.errorf("expected '_:'")
	}
	p.pos += 2
	start := p.pos
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		first := p.pos == start
		if first && !(pnCharsU(r) || r >= '0' && r <= '9') || !first && !(pnChars(r) || r == '.') {
			break
		}
		p.pos += n
	}
	for p.pos > start && p.src[p.pos-1] == '.' { // a label does not end in '.'
		p.pos--
	}
	if p.pos == start {
		return "", p.errorf("empty blank node identifier")
	}
	return p.src[start:p.pos], nil
}

func pnCharsBase(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z',
		r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

func pnCharsU(r rune) bool { return pnCharsBase(r) || r == '_' || r == ':' }

func pnChars(r rune) bool {
	return pnCharsU(r) || r == '-' || r >= '0' && r <= '9' || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

func (p *parser) literal() (Term, error) {
	p.pos++ // '"'
	var b strings.Builder
	start := p.pos
	for {
		if p.eof() {
			return Term{}, p.errorf("unterminated string")
		}
		c := p.peek()
		if c == '"' {
			break
		}
		switch c {
		case '\n', '\r':
			return Term{}, p.errorf("a line end inside a string")
		case '\\':
			b.WriteString(p.src[start:p.pos])
			if p.pos+1 >= len(p.src) {
				return Term{}, p.errorf("unterminated escape")
			}
			e := p.src[p.pos+1]
			if i := strings.IndexByte(`tbnrf"'\`, e); i >= 0 {
				b.WriteByte("\t\b\n\r\f\"'\\"[i])
				p.pos += 2
			} else {
				r, err := p.uchar()
				if err != nil {
					return Term{}, err
				}
				b.WriteRune(r)
			}
			start = p.pos
		default:
			p.pos++
		}
	}
	b.WriteString(p.src[start:p.pos])
	p.pos++ // '"'
	t := Literal(b.String(), "", "")
	if p.eof() {
		return t, nil
	}
	switch p.peek() {
	case '@':
		p.pos++
		s := p.pos
		for !p.eof() && (isAlnum(p.peek()) || p.peek() == '-') {
			p.pos++
		}
		t.Language = p.src[s:p.pos]
		if !validLanguage(t.Language) {
			return Term{}, p.errorf("malformed language tag")
		}
	case '^':
		if p.pos+2 >= len(p.src) || p.src[p.pos+1] != '^' || p.src[p.pos+2] != '<' {
			return Term{}, p.errorf("expected '^^<' before a datatype")
		}
		p.pos += 2
		dt, err := p.iri()
		if err != nil {
			return Term{}, err
		}
		t.Datatype = dt
	}
	return t, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
