// Package status implements credential status lists — W3C Bitstring
// Status List v1.0 (VC 2.0) and StatusList2021 (VC 1.1) — on both sides:
// the issuer's (allocating entries, revoking, suspending, publishing signed
// list credentials) and the verifier's (fetching, verifying and reading
// them). It imports only the standard library, uuid, credential, store,
// vc and vc/netguard (the guarded client of list fetches); signing and proof verification are plugged in through the
// ListSigner and ProofVerifier interfaces, which status/statusproof
// implements with the vc packages.
//
// # Sections
//
// Encoding. A Bitstring holds Len entries of StatusSize bits (1, or up to
// 8 for message lists). Bit 0 is the most significant bit of byte 0, as
// both specifications require. Encode gives the Bitstring encodedList
// ("u" + unpadded base64url of the gzip, default level);
// EncodeStatusList2021 the same without the multibase prefix.
// DecodeBitstring reads either, padded or not, in either base64 alphabet,
// and bounds the decompressed size (gzip bombs give ErrTooLarge). Lists
// are created with at least MinEntries (131,072) entries, the herd-privacy
// minimum.
//
// Allocation. Service.Allocate gives a new credential one entry per
// purpose — revocation, and suspension and message when configured, each
// purpose in lists of its own — through store.StatusLists.Allocate, which
// hands out ordinals under a database lock (SELECT … FOR UPDATE on
// MySQL/MariaDB, SQLite's write lock) and rolls a full list over to a new
// one. The ordinal becomes an index through the list's Permutation, a
// Feistel network keyed by the list's secret seed, so indexes are
// distinct, never reused and leak neither issuance order nor volume. The
// allocation commits or rolls back with the caller's transaction: many
// replicas can share one database. Fill and FillRatio expose how full the
// lists are, for a metric.
//
// Entries. Service.Entry turns a store.StatusRef into the credential's
// credentialStatus: a BitstringStatusListEntry pointing at
// BaseURL/<list> on VC 2.0, a StatusList2021Entry pointing at
// BaseURL/<list>/2021 on VC 1.1. Both URLs serve the same bits.
//
// Revocation and suspension. Service.RevokeAward sets the revocation
// entry of every credential issued for an award (found through
// store.Issuance.ListByAward); call it in the transaction that revokes the
// award, so no revocation is lost to a race. SuspendAward and
// UnsuspendAward set and clear suspension entries. All are idempotent and
// each change bumps the list's Version.
//
// Publication. Publisher is an http.Handler serving the signed list
// credential (BitstringStatusListCredential or StatusList2021Credential,
// signed by the issuer of the credentials it covers). It keeps the signed
// document and re-signs it only when the list's Version changed — asking
// the store at most once per BatchWindow, so a burst of revocations costs
// one signature — or when its validUntil approaches. Responses carry an
// ETag (If-None-Match gives 304) and a Cache-Control max-age never longer
// than the document's remaining validity. Unknown lists are 404, malformed
// URLs 400, store or signing failures 503; never 500.
//
// Checking. Checker implements vc.StatusChecker for verifiers: it fetches
// the list credential through a vc/netguard client — by default https
// only and public unicast addresses only, checked on the address dialled
// (WithNetPolicy widens it), with timeouts, a size limit and no redirect to
// anything but https — verifies its proof and that its issuer
// is the credential's issuer and the signer, checks its type, purpose and
// validity period, and reads the entry: StateValid, StateRevoked,
// StateSuspended, or StateUnknown with the reason (never valid when the
// list could not be read). Verified lists are cached while Cache-Control,
// validUntil and WithMaxCacheTTL allow (0 turns caching off), in a cache
// bounded by lists and bytes (WithCacheSize) that drops expired lists. A
// list that cannot be fetched is a *FetchError whose text is generic and
// whose Detail is for logs.
//
// Open edX migration. Open edX writes one byte per entry instead of one
// bit, so conformant verifiers miss its revocations. DecodeOpenEdX reads
// such a list and MigrateOpenEdX turns an Open edX StatusList2021Credential
// into the equivalent spec-conformant, signed one at the same URL.
//
// Errors match ErrInvalid, ErrMalformed, ErrTooLarge, ErrFetch,
// ErrMismatch, ErrExpired or ErrUnsigned (or the store's sentinels) with
// errors.Is.
package status
