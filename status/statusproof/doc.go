// Package statusproof signs and verifies status list credentials with the
// vc packages: it provides the status.ListSigner and status.ProofVerifier
// the status package's Publisher and Checker need, on top of vc/proof
// (Data Integrity eddsa-rdfc-2022 for VC 2.0 Bitstring lists,
// Ed25519Signature2020 for VC 1.1 StatusList2021 lists — what every
// verifier of each data model accepts) and a vc.Resolver (vc/did).
//
// It is a sub-package so that the status package itself keeps to the
// standard library, store and vc.
//
// # Sections
//
// Signing. NewSigner wraps a vc.Signer (an Ed25519 key of the issuer,
// possibly in a KMS); its Issuer is the DID of the signer's verification
// method.
//
// Verifying. Verifier checks every proof with vc/proof and returns the
// controllers of the keys; NewChecker builds a status.Checker on it with a
// did:key / did:web resolver.
package statusproof
