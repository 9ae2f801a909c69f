// Package archtest holds tests that guard the architecture of the module:
// which packages may import what (the core packages, and the layers above
// them: store/outbox knows only the store, credential/pipeline assembles the
// core and only programs import it), that the root package is doc.go only,
// that every package is documented, and that outbound HTTP goes through
// vc/netguard — no non-test file outside it uses http.DefaultClient,
// http.DefaultTransport or http.Get/Head/Post/PostForm, or builds an
// http.Client or http.Transport (checked with go/parser and go/ast, not text
// search), and that only vc/wallet/qr imports the QR-code encoder
// (github.com/skip2/go-qrcode), and that vc/bake depends on the standard
// library only.
package archtest
