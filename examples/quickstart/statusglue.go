package main

import (
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
)

// newListSigner signs the status list credentials with the issuer's key
// (the same issuer as the credentials the lists cover).
func newListSigner(_ *issuer.Issuer, s vc.Signer) (status.ListSigner, error) {
	return statusproof.NewSigner(s, statusproof.SignerConfig{})
}

// newStatusChecker reads status lists over HTTP from the quickstart's own
// server on 127.0.0.1, verifying their proofs offline. The default client
// refuses loopback and plain http; the quickstart names what it needs — a
// Localhost policy (loopback, plain http) — instead of weakening the
// default.
func newStatusChecker() (vc.StatusChecker, error) {
	return statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Localhost()))
}
