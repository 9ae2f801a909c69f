// Package issuer signs credentials and presentations in every format
// credshare emits.
//
// # Sections
//
// Issuer. Issue signs a composed vc.Credential as a JSON-LD document with
// an embedded proof (eddsa-rdfc-2022 for VC 2.0, Ed25519Signature2020 for
// VC 1.1 by default: what Digital Bazaar, DIDKit and aries-framework-go
// all verify) or as a VC-JWT. IssueWith picks the suite; SignDocument
// signs any JSON-LD document (a status list credential).
//
// Batches. IssueAll signs many credentials (a graduating class, a
// backfill) on a bounded pool of workers, GOMAXPROCS by default, and
// yields each outcome in input order: a failed credential does not stop
// the batch unless asked, and cancelling ctx does.
//
// Presentations. Present signs a presentation as its holder, with an
// authentication proof bound to a challenge and domain (DID
// authentication), for wallets and tests.
//
// Keys. Signing goes through vc.Signer, so the key may be in a KMS or HSM.
// An issuer with several keys (rotation) uses one Issuer per key; its DID
// document lists them all, so older credentials keep verifying.
package issuer
