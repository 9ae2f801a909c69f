// Command vc-issuer is the wallet-facing credential issuer a school runs:
// it hands the credentials of the awards in its store to learners' wallets
// — the Learner Credential Wallet (deep link + QR code), VC-API exchanges and
// OpenID4VCI — signs them as a did:web (or did:key) issuer, and serves the
// status lists verifiers check.
//
//	go run ./examples/vc-issuer -did-web credentials.example.edu -key issuer.json \
//	    -public-url https://credentials.example.edu -db mysql:… -tokens tokens.json
//	go run ./examples/vc-issuer -demo        # try it: a temporary store, a seeded learner
//
// # Configuration
//
// Every flag can also be set by the environment variable in brackets.
//
//	-listen ADDR       [CREDSHARE_LISTEN]        address to listen on (default 127.0.0.1:8090)
//	-public-url URL    [CREDSHARE_PUBLIC_URL]    the URL wallets reach this server at (default http://ADDR)
//	-db SPEC           [CREDSHARE_DB]            sqlite:PATH, mysql:DSN or mem: (default sqlite:vc-issuer.db)
//	-did-web HOST[:P]  [CREDSHARE_DID_WEB]       be did:web:HOST[:P] and serve its DID document
//	-key FILES         [CREDSHARE_ISSUER_KEYS]   comma-separated key files (credshare keygen, or a bare
//	                                             Ed25519 JWK); the last one signs, all are listed
//	-issuer-name, -issuer-url, -issuer-image, -issuer-email   the issuer's Open Badges profile
//	-tokens FILE       [CREDSHARE_LEARNER_TOKENS] JSON {"<bearer token>": <LMS user id>} (demo auth)
//	-tls-cert, -tls-key                           serve HTTPS directly
//	-request-timeout D [CREDSHARE_REQUEST_TIMEOUT] deadline of one wallet request; 503 after it (default 10s)
//	-shutdown-grace D  [CREDSHARE_SHUTDOWN_GRACE] how long SIGINT/SIGTERM wait for in-flight requests (default 15s)
//	-page-cache D      [CREDSHARE_PAGE_CACHE]    how long a verification page's result (and a status list it
//	                                             read) is reused; 0 verifies on every request (default 10s)
//	-page-rate R       [CREDSHARE_PAGE_RATE]     verification page requests per second per client; 0 turns the
//	                                             limit off (default 2, bursts of 60; 429 with Retry-After over it)
//	-trusted-proxies L [CREDSHARE_TRUSTED_PROXIES] comma-separated CIDRs of reverse proxies whose X-Forwarded-For
//	                                             names the client for the page's rate limit (default: none)
//	-fetch-allow LIST  [CREDSHARE_FETCH_ALLOW]   hosts (*.example.edu) and CIDRs holders' did:web documents may be
//	                                             fetched from although internal (default: public addresses only)
//	-fetch-ca FILE     [CREDSHARE_FETCH_CA]      PEM file of extra CA certificates for such an internal https host
//	-demo                                         temporary SQLite store, a generated key, a seeded
//	                                             learner with two awards; prints the token and how to ask for an offer
//
// Without -key a did:key issuer is generated for this run only (a warning
// says so): credentials it signs stop verifying once its status lists are
// no longer served. Configuration problems are reported all at once, with
// exit status 2.
//
// # Endpoints
//
//	GET  /wallet/storages/                      the wallets offered (Open edX's storages)
//	POST /wallet/credentials/init/              {"credential_uuid", "storage_id"} → deep link, QR code
//	     /wallet/lcw/…                          Learner Credential Wallet: POST issue/{id} with a DIDAuth VP
//	     /wallet/vcapi/…                        VC-API: POST exchanges/{id}
//	     /wallet/oid4vci/…                      OID4VCI: offers, token, nonce, credential
//	GET  /.well-known/openid-credential-issuer  OID4VCI issuer metadata (also under /wallet/oid4vci/)
//	GET  /status/{id}, /status/{id}/2021        signed status list credentials (ETag, Cache-Control)
//	GET  /credentials/{id}, /credentials/{id}.json  the public verification page of an issued credential
//	                                            (id: the issuance record's UUID; the credential id is
//	                                            urn:uuid:{id}); HTML, or JSON by Accept, .json or ?format=json
//	GET  /.well-known/did.json (or /P/did.json) the did:web document
//	GET  /healthz, /readyz                      liveness; readiness (the store answers)
//
// # Verification pages
//
// /credentials/{id} (vc/verifypage) shows an issued credential to anyone
// who has its link — the achievement, the issuer, the dates, the
// recipient's DID and name when the credential carries them, never an
// e-mail address — with the result of verifying it on that request: the
// proof against the issuer's DID document and each status entry read from
// the list this server publishes (Valid, Revoked, Suspended, Expired,
// Invalid or Status unknown). The lists are fetched like a holder's DID
// document (-fetch-allow, -fetch-ca), with the public URL's own host
// always allowed. Ids are the issuance records' random UUIDs, so pages
// cannot be enumerated.
//
// # Authentication
//
// Starting an issuance (credentials/init) needs the learner to be signed in;
// credshare never takes a learner id from a request body. The host says who
// is signed in through wallet.LearnerAuth. This program's -tokens file (a
// bearer token per learner) is a demonstration: a real deployment plugs in
// its own SSO session or JWT check there. The wallets' own requests are
// authenticated by their DIDAuth presentations, proofs of possession and
// one-time challenges, not by the learner's session.
//
// # Key rotation
//
// With -did-web, list every key file in -key, oldest first: the DID
// document carries them all (key-1, key-2, …), the newest signs new
// credentials and status lists, and credentials signed with an older key
// keep verifying as long as its key stays listed.
//
// # Running
//
// The store is shared: run as many replicas as needed behind a load
// balancer (with MySQL/MariaDB); every protocol step may land on any of
// them. SIGINT or SIGTERM stop accepting connections and give in-flight
// requests -shutdown-grace to finish; the requests still running then are
// cancelled (a wallet gets a 503) and the store is closed.
//
// # Limits
//
// The server bounds reading a request's header (10s) and the whole request
// (30s), writing the answer (60s, or longer with a long -request-timeout),
// idle connections (2 minutes), headers (64 KiB) and bodies (1 MiB; the
// wallet endpoints 64 KiB). Each wallet request has -request-timeout. A
// holder's did:web document is fetched through vc/netguard: https, public
// addresses only, unless -fetch-allow names the host or its range;
// -demo adds loopback and plain http. Refusals sent to wallets and
// /readyz's 503 are generic; the detail goes to the log (JSON on stderr).
package main
