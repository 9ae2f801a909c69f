// Package jwt issues and verifies VC-JWTs (EdDSA) with go-jose.
//
// # Sections
//
// Issuing. Sign puts the credential in the "vc" claim and maps iss, sub,
// jti, nbf and exp from it (VC Data Model 1.1 §6.3.1, OID4VCI
// jwt_vc_json); the header carries kid (the verification method) and typ
// JWT. The key stays behind the vc.Signer.
//
// Reading. Parse decodes a token under a size limit without checking it;
// numeric dates may be fractional (DIDKit writes nbf as 1704067200.0).
// The credential is rebuilt from the vc claim with the registered claims
// filled in where it lacks them. A VC-JOSE token whose payload is the
// credential itself is read too.
//
// Verifying. Verify resolves kid, checks it belongs to iss and is an
// assertion method, checks the signature, and that iss and jti agree with
// the credential. Times and status are vc/verify's work.
package jwt
