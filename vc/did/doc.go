// Package did implements the DID methods credshare issues with and
// verifies: did:key (Ed25519) and did:web, with key import and export.
//
// # Sections
//
// did:key. GenerateKey makes a key and its DID; KeyDID encodes a public
// key (did:key:z6Mk…, verification method did:key:z6Mk…#z6Mk…);
// ParseKeyDID decodes one; KeyDocument gives its DID document.
//
// did:web. WebDID names an issuer by host and path; NewDocument builds its
// DID document with one Multikey verification method per key (several
// keys for rotation); WebHandler serves documents at
// /.well-known/did.json and /<path>/did.json.
//
// Resolution. Resolver resolves did:key locally and did:web over HTTPS
// through a vc/netguard client — by default public unicast addresses
// only, checked on the address dialled (WithNetPolicy widens it) — with a
// timeout and a size limit (optionally cached in a cache bounded by
// entries and bytes, or pinned with WithDocument). A document that cannot
// be fetched is a *FetchError whose text is generic and whose Detail is
// for logs. It implements vc.Resolver and reports the verification
// relationships of each method, so a verifier can check that a key may
// issue (assertionMethod) or authenticate.
//
// Keys. JWK (RFC 8037 OKP, the form Open edX stores its issuer key in),
// Multikey multibase (public and private) and base58btc.
package did
