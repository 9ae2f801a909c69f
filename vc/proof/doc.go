// Package proof makes and checks embedded proofs on JSON-LD credentials
// and presentations.
//
// # Sections
//
// Suites. Data Integrity eddsa-rdfc-2022 (RDF canonicalisation, the VC 2.0
// default) and eddsa-jcs-2022 (JSON canonicalisation, RFC 8785), and
// Ed25519Signature2020 in the form every verifier accepts: the suite
// context in the document's @context, none in the proof. Sign adds the
// context a suite needs. Verify also accepts the draft name eddsa-2022.
//
// Algorithm. The signed data is SHA-256(canonical proof options with the
// document's @context) ‖ SHA-256(canonical document without proof), signed
// with Ed25519 through a vc.Signer; proofValue is "z" + base58btc. An
// eddsa-jcs-2022 proof keeps that @context in the proof (as Digital
// Bazaar's cryptosuite requires); the RDF suites' proofs carry none. When
// verifying, a proof without @context is hashed with the document's.
//
// Verification. Verify checks the signature, the purpose, challenge and
// domain, and that the DID document of the method's controller lists the
// method for the purpose. Whether that controller is the issuer or the
// holder is the caller's check (vc/verify does it).
package proof
