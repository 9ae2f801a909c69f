// Package lcw implements delivery to the DCC Learner Credential Wallet by
// its credential request deep link — the flow Open edX uses — with the
// checks Open edX leaves out.
//
// # Offer
//
// Wallet.Offer (or the registry's init endpoint) starts an issuance for the
// signed-in learner's own award and returns
//
//	dccrequest://request?issuer=<DID>&vc_request_url=<BaseURL>/issue/<id>&auth_type=bearer&challenge=<one-time>&vp_version=1.1
//
// the same parameters on the https link https://lcw.app/request.html (opens
// the app when installed), the app store links, and a QR code PNG of the
// deep link.
//
// # Issue endpoint
//
//	POST <BaseURL>/issue/{id}   body: the wallet's DIDAuth presentation
//
// The presentation is accepted only if its proofPurpose is authentication,
// its challenge is the one issued for {id} (unused, unexpired), the proof's
// verificationMethod is a key of the presentation's holder, and the proof
// verifies with no errors. The answer is 201 with the signed credential;
// refusals are 4xx with {"error", "error_description"}.
//
// # Compatibility
//
// Open edX names this wallet "lc_wallet" (OpenEdXID); register it as an
// alias so an Open edX Learner Record front end keeps working.
package lcw
