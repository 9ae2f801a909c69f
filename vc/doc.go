// Package vc holds the Verifiable Credentials model of credshare: VC Data
// Model 2.0 (the default) and 1.1 credentials and presentations, Open
// Badges 3.0 OpenBadgeCredentials composed from a credential.Award, the
// Signer that proof suites sign with, the structured verification Result,
// the StatusChecker interface status lists implement, and DIDOf, the DID of
// a DID URL. It imports only the standard library, credential and uuid;
// the heavy parts live in sub-packages (the wallet protocol types are in
// vc/wallet).
//
// # Sections
//
// Model. Credential and Presentation are typed Go values; members they do
// not name are kept in Extra (at every level: issuer, subject,
// achievement, status entry, …), so a document read and written again
// keeps them. ParseCredential and ParsePresentation refuse documents over
// MaxDocumentSize or nested deeper than MaxDepth (ErrTooLarge, ErrTooDeep)
// before decoding them. A Credential is encoded (MarshalJSON, AppendJSON)
// and decoded (ParseCredential, UnmarshalJSON) in one pass over the
// document, with the bytes and values encoding/json gave the model before;
// ParseCredentialMap also returns the generic map proofs are verified on.
//
// Open Badges 3.0. Compose builds an OpenBadgeCredential for a course
// certificate, a program certificate or a badge: a Profile issuer, an
// AchievementSubject (the holder's DID, or a hashed e-mail identifier), an
// Achievement with a stable id per template (AchievementID), evidence,
// validity, credentialStatus and, optionally, credentialSchema. V2 uses
// the VC 2.0 context, V1 the VC 1.1 context; both use the OBv3 3.0.3
// context.
//
// Comprehensive Learner Record 2.0. ComposeCLR builds a ClrCredential: a
// transcript whose ClrSubject (the holder's DID, or the hashed identifiers
// of the embedded credentials) lists the achievements, embeds the signed
// OBv3 credentials byte for byte and relates the achievements with
// Associations (ChildOf: the courses of a program). Its contexts are the
// VC base context, the CLR 2.0.1 context and the OBv3 context;
// Credential.CLR reads the subject back. It lives here rather than in a
// package of its own because it is the same model (Credential, Subject,
// Achievement) composed differently, like Compose; the verifier checks the
// embedded credentials (vc/verify).
//
// Keys. A Signer signs with an Ed25519 key behind a crypto.Signer (NewSigner),
// so a KMS or HSM can hold it, under a verification method id.
//
// Verification. Result carries a Verdict — valid, invalid (with Reasons),
// revoked, suspended or status-unknown — never valid when a status entry
// could not be read.
//
// Sub-packages:
//   - vc/did: did:key and did:web (documents, HTTP handler, resolver), JWK and multibase keys;
//   - vc/ld: the offline JSON-LD document loader with bundled contexts and canonicalisation;
//   - vc/proof: Data Integrity eddsa-rdfc-2022 and eddsa-jcs-2022, Ed25519Signature2020;
//   - vc/jwt: VC-JWT (EdDSA);
//   - vc/verify: credential and presentation verification (proofs, issuer, validity, status);
//   - vc/issuer: compose-free signing of credentials and presentations in every format;
//   - vc/verifypage: the public verification page of an issued credential (HTML and JSON);
//   - vc/bake: Open Badges 3.0 baking into PNG and SVG images (own sentinel errors).
//
// Errors (outside vc/bake) match ErrMalformed, ErrTooLarge, ErrTooDeep, ErrUnsupported,
// ErrProof, ErrResolve, ErrContext or ErrInvalid with errors.Is.
package vc
