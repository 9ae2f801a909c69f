// Package jwt issues and verifies VC-JWTs (compact JWS, EdDSA).
//
// # Sections
//
// Issuing. Sign puts the credential in the "vc" claim and maps iss, sub,
// jti, nbf and exp from it (VC Data Model 1.1 §6.3.1, OID4VCI
// jwt_vc_json); the header carries kid (the verification method) and typ
// JWT. The key stays behind the vc.Signer. A Signer encodes that header
// once per key and SignCredential encodes a composed credential once,
// straight into the claims, so issuing costs little more than the
// Ed25519 signature and the credential's JSON encoding.
//
// Reading. Parse decodes a token under a size limit without checking it;
// only alg EdDSA is accepted, without crit or b64 headers; numeric dates
// may be fractional (DIDKit writes nbf as 1704067200.0). The credential is
// the vc claim as received, or, when it lacks registered claims, rebuilt
// with them filled in. A VC-JOSE token whose payload is the credential
// itself is read too.
//
// Verifying. Verify resolves kid, checks it belongs to iss and is an
// assertion method, checks the signature, and that iss and jti agree with
// the credential. Times and status are vc/verify's work.
//
// The compact serialisation is written and read here rather than with
// go-jose, for speed (see Signer.sign and Parse); the tests check both
// ways that go-jose agrees.
package jwt
