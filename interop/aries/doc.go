// Package aries checks credshare's VC 1.1 credentials with
// aries-framework-go v0.3.2, an independent Go verifier. It is its own
// module (aries-framework-go pins an old json-gold and pulls about 134
// modules), so the main go.mod stays clean. Run it with
//
//	cd interop/aries && go test ./...
package aries
