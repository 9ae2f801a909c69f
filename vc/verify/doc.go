// Package verify checks credentials and presentations and says why.
//
// # Sections
//
// Credentials. Verifier.VerifyCredential takes a JSON-LD credential with
// embedded proofs, a VC-JWT, or a JSON string holding one, and returns a
// vc.Result: every proof must verify with a key of the issuer that its DID
// document lists as an assertion method; the validity period must hold;
// every credentialStatus entry is read through the configured
// vc.StatusChecker. The verdict is valid, invalid (with reasons:
// malformed, proof, issuer-mismatch, not-yet-valid, expired, json-ld,
// issuer-resolution, unsupported), revoked, suspended or status-unknown —
// never valid when a status entry could not be checked.
//
// CLR 2.0. A ClrCredential whose own proofs hold has each embedded
// credential verified the same way (proofs, issuer, validity, status) and
// checked to be about the CLR's subject; their results are in
// Result.Embedded, and the CLR's verdict is the worst of all, with a
// ReasonEmbedded reason per embedded credential that is not valid. A CLR
// embedded in a CLR is refused.
//
// Presentations. Verifier.CheckPresentation verifies a presentation's
// proofs against the expected purpose (authentication by default),
// challenge and domain, and checks the holder controls each signing key
// (the method is in the holder's DID document under that relationship).
// Verifier.VerifyPresentation is the same as a single error, the shape
// the wallet package's PresentationVerifier expects.
//
// Offline by default. The zero Config resolves did:key locally and did:web
// over HTTPS, and loads only bundled contexts.
package verify
