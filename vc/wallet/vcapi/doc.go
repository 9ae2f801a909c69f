// Package vcapi implements VC-API exchanges as the DCC wallets use them:
// the wallet opens the exchange, is asked for DID authentication, answers
// with a presentation and receives the credential wrapped in a presentation.
//
// # Exchange
//
//	POST <BaseURL>/exchanges/{id}   {}  →  200 {"verifiablePresentationRequest":
//	      {"query":[{"type":"DIDAuthentication","acceptedMethods":[…]}], "challenge":…, "domain":…}}
//	POST <BaseURL>/exchanges/{id}   {"verifiablePresentation": DIDAuth VP}
//	      →  200 {"verifiablePresentation": {"type":["VerifiablePresentation"], "verifiableCredential":[credential]}}
//
// The exchange is created by Wallet.Offer for the signed-in learner's own
// award and lives in store.Exchanges (state pending → active → complete)
// with the issuance record's time to live. It is one-time: a completed
// exchange answers 409, an expired one 410, an unknown one 404.
//
// # Deep link
//
// The offer's deep link carries the CHAPI-style interaction the Learner
// Credential Wallet reads:
//
//	dccrequest://request?request={"credentialRequestOrigin":…,"protocols":{"vcapi":"<exchange URL>"}}
package vcapi
