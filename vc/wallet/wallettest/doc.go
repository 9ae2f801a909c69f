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
//	// an httptest TLS server: trust its certificate, keep the guarded client
//	pool := x509.NewCertPool()
//	pool.AddCert(srv.Certificate())
//	h.Client = netguard.MustNew(netguard.Config{Policy: netguard.Localhost(), TLS: &tls.Config{RootCAs: pool}})
//	cred, err := h.LCW(ctx, offer.DeepLink)
//
// Without Client the holder uses a netguard client with the Localhost
// policy (loopback, plain http).
package wallettest
