// Package oid4vci implements OpenID for Verifiable Credential Issuance with
// the pre-authorized code flow: a credential offer, a token endpoint, a
// c_nonce, and a credential endpoint that requires a proof of possession of
// the holder's key. Formats ldp_vc and jwt_vc_json.
//
// # Endpoints
//
//	GET  <BaseURL>/.well-known/openid-credential-issuer    Credential Issuer Metadata
//	GET  <BaseURL>/.well-known/oauth-authorization-server  Authorization Server Metadata
//	GET  <BaseURL>/offers/{id}                             credential offer by reference
//	POST <BaseURL>/token                                   grant_type=…pre-authorized_code
//	POST <BaseURL>/nonce                                   {"c_nonce": …}
//	POST <BaseURL>/credential                              Bearer token + JWT proof → credential
//
// BaseURL is the Credential Issuer Identifier. A host that also wants the
// metadata at its origin (/.well-known/openid-credential-issuer/<path>, as
// OID4VCI 1.0 places it) mounts MetadataHandler there.
//
// # Offers
//
// Wallet.Offer returns openid-credential-offer://?credential_offer_uri=…
// (by reference; Config.OfferByValue puts ?credential_offer=<JSON> instead),
// a QR code of it, and the offer JSON in wallet.Offer.Message.
//
// # One-time values
//
// Everything is in the store: the offer (state offered → token → issued)
// with the pre-authorized code until it is redeemed and the hash of the
// access token afterwards; each c_nonce is its own exchange row, consumed in
// the issuance transaction. A code redeems once, a token obtains one
// credential, a nonce signs one proof.
//
// # Proofs
//
// The proof JWT must have typ openid4vci-proof+jwt, alg EdDSA or ES256,
// aud = the issuer, a recent iat, a live c_nonce, and name its key by kid (a
// DID URL, resolved with Config.Keys; the holder is that DID) or by an
// embedded public jwk (the holder is the matching did:jwk). The credential's
// subject is the holder.
//
// # Not supported
//
// The authorization code flow, tx_code (PINs; offers carry none, so wallets
// ask for none), DPoP, batch issuance (one credential per offer),
// notification and deferred endpoints, encrypted responses, and proof types
// other than jwt.
//
// # Operations
//
// The nonce endpoint is unauthenticated, as OID4VCI defines it, and each
// call stores a row that lives NonceTTL: rate-limit it in front of the
// handler, and call wallet.Service.DeleteExpired now and then.
//
// # Errors
//
// Refusals use OID4VCI and OAuth codes: invalid_request, invalid_grant,
// unsupported_grant_type, invalid_token (401), invalid_credential_request,
// unsupported_credential_type, unsupported_credential_format, invalid_proof,
// invalid_nonce.
package oid4vci
