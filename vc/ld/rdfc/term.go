package rdfc

import (
	"strings"
	"unicode/utf8"
)

// Kind is the kind of an RDF term.
type Kind uint8

// Kinds of terms.
const (
	// KindNone is the zero Term; as Quad.Graph it names the default graph.
	KindNone Kind = iota
	// KindIRI is an IRI.
	KindIRI
	// KindBlank is a blank node.
	KindBlank
	// KindLiteral is a literal.
	KindLiteral
)

// Datatypes with a special serialisation.
const (
	// XSDString is the datatype of a simple literal; canonical N-Quads
	// leaves it out.
	XSDString = "http://www.w3.org/2001/XMLSchema#string"
	// RDFLangString is the datatype of a language-tagged literal; canonical
	// N-Quads writes the language tag instead.
	RDFLangString = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
)

// Term is an RDF term: an IRI, a blank node or a literal.
type Term struct {
	// Kind says which.
	Kind Kind
	// Value is the IRI, the blank node identifier without "_:", or the
	// literal's lexical form. Strings are UTF-8.
	Value string
	// Datatype is a literal's datatype IRI; "" means XSDString, or
	// RDFLangString when Language is set.
	Datatype string
	// Language is a language-tagged literal's tag (BCP 47 syntax, as
	// N-Quads' LANGTAG); "" for other literals.
	Language string
}

// IRI returns the IRI term iri.
func IRI(iri string) Term { return Term{Kind: KindIRI, Value: iri} }

// Blank returns the blank node with identifier label (without "_:").
func Blank(label string) Term { return Term{Kind: KindBlank, Value: label} }

// Literal returns a literal; datatype "" is XSDString (RDFLangString when
// language is set).
func Literal(lexical, datatype, language string) Term {
	return Term{Kind: KindLiteral, Value: lexical, Datatype: datatype, Language: language}
}

// Quad is an RDF statement in a graph.
type Quad struct {
	// Subject is an IRI or a blank node.
	Subject Term
	// Predicate is an IRI.
	Predicate Term
	// Object is an IRI, a blank node or a literal.
	Object Term
	// Graph is an IRI or a blank node naming the graph, or the zero Term
	// for the default graph.
	Graph Term
}

// String returns the quad as one line of canonical N-Quads (with its
// blank node identifiers as they are), including the final line feed.
func (q Quad) String() string { return string(AppendQuad(nil, q)) }

// String returns the term in canonical N-Quads form; the zero Term is "".
func (t Term) String() string { return string(appendTerm(nil, t)) }

// AppendQuad appends q to b as one line of canonical N-Quads, ending in a
// line feed.
func AppendQuad(b []byte, q Quad) []byte {
	b = appendTerm(b, q.Subject)
	b = append(b, ' ')
	b = appendTerm(b, q.Predicate)
	b = append(b, ' ')
	b = appendTerm(b, q.Object)
	if q.Graph.Kind != KindNone {
		b = append(b, ' ')
		b = appendTerm(b, q.Graph)
	}
	return append(b, " .\n"...)
}

func appendTerm(b []byte, t Term) []byte {
	switch t.Kind {
	case KindIRI:
		b = append(b, '<')
		b = appendIRI(b, t.Value)
		b = append(b, '>')
	case KindBlank:
		b = append(b, "_:"...)
		b = append(b, t.Value...)
	case KindLiteral:
		b = appendLiteral(b, t)
	}
	return b
}

func appendLiteral(b []byte, t Term) []byte {
	b = append(b, '"')
	b = appendString(b, t.Value)
	b = append(b, '"')
	switch {
	case t.Language != "":
		b = append(b, '@')
		b = append(b, t.Language...)
	case t.Datatype != "" && t.Datatype != XSDString:
		b = append(b, "^^<"...)
		b = appendIRI(b, t.Datatype)
		b = append(b, '>')
	}
	return b
}

const hexDigits = "0123456789ABCDEF"

func appendUCHAR(b []byte, r rune) []byte {
	if r <= 0xFFFF {
		return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
	}
	b = append(b, '\\', 'U')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>uint(shift)&0xF])
	}
	return b
}

// appendString writes a literal's lexical form as the inside of a
// canonical STRING_LITERAL_QUOTE (RDFC-1.0 §A): ECHAR for BS, HT, LF, FF,
// CR, '"' and '\'; UCHAR for the other control characters, DEL and code
// points outside XML 1.1's Char; everything else as itself. Invalid UTF-8
// is written as U+FFFD.
func appendString(b []byte, s string) []byte {
	// Most lexical forms need no escape: copy them whole (measured: byte
	// by byte appending was a fifth of rdfc's time on a credential).
	if plainASCII(s, &stringPlain) {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7F && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\b':
				b = append(b, '\\', 'b')
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\f':
				b = append(b, '\\', 'f')
			case '\r':
				b = append(b, '\\', 'r')
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			default: // other C0 controls and DEL
				b = appendUCHAR(b, rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, "\uFFFD"...)
		case r == 0xFFFE || r == 0xFFFF:
			b = appendUCHAR(b, r)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// appendIRI writes an IRI as the inside of an IRIREF: the characters
// IRIREF cannot hold as themselves (controls, space, <>"{}|^`\) are
// written as UCHAR, so no IRI can end the term early or forge another
// statement. Invalid UTF-8 is written as U+FFFD.
func appendIRI(b []byte, s string) []byte {
	if plainASCII(s, &iriPlain) {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= 0x20 || strings.IndexByte("<>\"{}|^`\\", c) >= 0 {
				b = appendUCHAR(b, rune(c))
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// validLanguage reports whether s matches N-Quads' LANGTAG without the
// "@": [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*.
func validLanguage(s string) bool {
	if s == "" {
		return false
	}
	first, run := true, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			if run == 0 {
				return false
			}
			first, run = false, 0
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			run++
		case c >= '0' && c <= '9' && !first:
			run++
		default:
			return false
		}
	}
	return run > 0
}

// stringPlain and iriPlain say which bytes a literal's lexical form and an
// IRI hold as themselves: printable ASCII, less what each escapes.
var stringPlain, iriPlain = func() (s, i [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		s[c], i[c] = true, true
	}
	s[' '] = true
	s['"'], s['\\'] = false, false
	for _, c := range "<>\"{}|^`\\" {
		i[c] = false
	}
	return s, i
}()

// plainASCII reports whether every byte of s is plain in table t.
func plainASCII(s string, t *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if !t[s[i]] {
			return false
		}
	}
	return true
}
