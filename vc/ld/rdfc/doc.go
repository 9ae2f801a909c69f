// Package rdfc is credshare's RDF Dataset Canonicalization (RDFC-1.0,
// https://www.w3.org/TR/rdf-canon/): quads in, canonical N-Quads out, with
// a work budget and a context.
//
// # Sections
//
// Why not json-gold. json-gold's URDNA2015 (the same algorithm under its
// older name) takes no context and has no limit: a crafted dataset of ten
// inter-related blank nodes keeps a core busy for minutes, and a verifier
// canonicalises before it can tell a forged proof from a real one. This
// package is a hand-written implementation of the specification's
// algorithms (Canonicalization, Issue Identifier, Hash First Degree Quads,
// Hash Related Blank Node, Hash N-Degree Quads) whose every loop that can
// grow beyond linear is counted and bounded. json-gold still expands
// JSON-LD and converts it to RDF (package vc/ld); only the canonicaliser
// is ours.
//
// The budget. Options bound the distinct blank nodes, the runs of Hash
// N-Degree Quads (recursive ones included), the permutations of related
// blank nodes examined, and the elementary steps inside those runs — what
// the specification's section on dataset poisoning advises. Past a limit
// Canonicalize stops at once with a *LimitError matching ErrTooComplex.
// The defaults accept every credential, presentation and status list
// credential (a few dozen blank nodes, nearly all with unique first degree
// hashes, so few or no N-degree runs) and the W3C test suite's positive
// poison graphs, and reject its 10-node clique within milliseconds.
// Label reports the work a dataset took (Stats), for tuning.
//
// Cancellation. The context is checked before every Hash N-Degree Quads
// run, every 64 permutations and every 1,024 first degree hashes; when it
// is done Canonicalize returns its error (context.Canceled or
// context.DeadlineExceeded).
//
// Hash algorithm. SHA-256 by default (what eddsa-rdfc-2022 uses);
// Options.Hash selects SHA-384 or any other available crypto.Hash, as
// RDFC-1.0 requires.
//
// Canonical N-Quads. Output follows RDFC-1.0's canonical N-Quads: ECHAR
// for BS, HT, LF, FF, CR, '"' and '\', lower-case \u with upper-case hex
// for other control characters, DEL, U+FFFE and U+FFFF, xsd:string left
// out. URDNA2015 as json-gold writes it escapes only HT, LF, CR, '"' and
// '\', so the two differ on literals holding other control characters
// (RDFC-1.0 and Digital Bazaar's rdf-canonize, which verifiers use, agree
// with this package). Characters an IRIREF cannot hold are written as
// UCHAR, so no IRI can end its term early and forge a statement.
//
// Conformance. The W3C RDFC-1.0 test suite (evaluation, map and negative
// tests, SHA-256 and SHA-384) runs in rdfc_w3c_test.go when the suite is
// present; a differential fuzz test compares random small datasets with
// json-gold's URDNA2015.
//
// Parsing. ParseNQuads reads RDF 1.1 N-Quads (for tests, tools and
// callers holding N-Quads); it has a fuzz target.
package rdfc
