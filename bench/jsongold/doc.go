// Package jsongold holds the "straightforward use" peer of
// docs/performance.md: json-gold's own URDNA2015 normalisation and
// crypto/ed25519, called the way a first implementation of
// Ed25519Signature2020 or eddsa-rdfc-2022 would call them (a fresh
// normalisation of the proof options and of the document per operation,
// contexts served from memory, no caching of processed contexts, no DID
// resolution). It has no API: its benchmark, BenchmarkJSONGold, is the
// baseline row our vc/issuer figures are divided by.
package jsongold
