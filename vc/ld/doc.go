// Package ld is credshare's JSON-LD document loader and canonicaliser.
//
// # Sections
//
// Bundled contexts. The contexts credshare emits and accepts are embedded
// (VC v1 and v2, security v1/v2, Ed25519Signature2018/2020, Data
// Integrity v1/v2, Multikey, DID v1, StatusList2021, Bitstring Status
// List, the Open Badges 3.0 family with 3.0.1–3.0.3 and extensions, the
// Comprehensive Learner Record 2.0 context 2.0.1); see Bundled. They were
// taken from the npm packages pinned in interop/node (node
// interop/node/dump-contexts.mjs vc/ld/contexts rewrites them), except the
// CLR context, which no npm package ships: it is 1EdTech's validator's
// copy (contexts/SOURCES.md says which).
//
// Other URLs. A Loader refuses every URL it does not bundle unless its
// host is in Config.AllowHosts; then it is fetched over HTTPS with a
// timeout and a size limit, and cached (LRU). The default — bundled only —
// is the production setting: no SSRF, no slow fetches, no context that
// changes under a signature.
//
// Canonicalisation. Canonicalize runs json-gold with URDNA2015 (RDFC-1.0;
// json-gold's default is the older URGNA2012) and safe mode, and also
// refuses relative @type and @id references, which json-gold's safe mode
// lets through but Digital Bazaar's refuses: what we sign is exactly what
// other verifiers check. Documents with more than MaxBlankNodes blank
// nodes are refused before canonicalisation, which is costly on crafted
// graphs of them.
//
// Fast path. Most documents — every context bundled or in Config.Contexts,
// none inline or embedded, only the JSON-LD features those contexts and
// ordinary credentials use — are converted to RDF by credshare's own code
// from contexts compiled once per Loader (per distinct @context list, and
// per scoped context met), about ten times faster than json-gold's
// expansion and toRDF. Anything else, and every document that would be an
// error, goes through json-gold as before, so results and errors are the
// same either way; FuzzFastPath and TestFastPathMatchesGold compare the
// two. Contexts fetched from allowed hosts are never compiled into the
// caches, and nothing inside a document can enter them.
package ld
