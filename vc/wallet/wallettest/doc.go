// Package wallettest is a wallet simulator for tests: a holder with its own
// Ed25519 did:key that drives each delivery protocol from the wallet's side
// over real HTTP — the Learner Credential Wallet deep link (Holder.LCW), a
// VC-API exchange (Holder.VCAPI) and OID4VCI pre-authorized issuance
// (Holder.OID4VCI) — and builds deliberately wrong requests for negative
// tests (PresentOptions, ProofOptions).
//
// # Independence
//
// The holder encodes its did:key and signs its DIDAuth presentations
// (Data Integrity, eddsa-jcs-2022) with code of its own, not the vc
// package's, so a test that passes shows two implementations agree.
//
// # Use
//
//	h, _ := wallettest.NewHolder()
//	h.Client = srv.Client()
//	cred, err := h.LCW(ctx, offer.DeepLink)
package wallettest
