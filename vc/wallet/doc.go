// Package wallet delivers credentials to learners' wallets: the wallet
// protocol types (Protocol, Info, OfferRequest, Offer), the issuance
// service shared by every protocol, the registry that selects a protocol
// by id, and the small interface through which the host says who the
// signed-in learner is.
//
// The protocols live in sub-packages: lcw (the DCC Learner Credential
// Wallet's deep link, as Open edX offers it, made safe), vcapi (VC-API
// exchanges with a DIDAuthentication request) and oid4vci (OpenID for
// Verifiable Credential Issuance, pre-authorized code). They draw the
// offer's QR code with qr, the only package that imports a QR-code
// encoder. wallettest holds a wallet simulator that drives each of them
// end to end.
//
// # Flow
//
// A learner, signed in to the host, asks for a credential in a wallet:
//
//	POST {prefix}/credentials/init/ {"credential_uuid": award, "storage_id": "lcw"}
//
// The registry asks the host's LearnerAuth who is signed in, refuses an
// award of anyone else (403), and lets the chosen protocol make an offer:
// Service.Begin stores an issuance record with a one-time challenge that
// expires (default 15 minutes), and the protocol answers with a deep link,
// a QR code PNG and app links. The wallet then talks to the protocol's own
// endpoints under {prefix}/{walletID}/…, proving control of its DID; the
// service issues the credential in one store transaction.
//
// # Security
//
// What Open edX gets wrong, and what this package does instead:
//
//   - Init checks ownership: the learner id comes from LearnerAuth, never
//     from the request body, and must own the award.
//   - The challenge is bound to the request: a presentation must carry the
//     challenge of the record named in the URL, unused and unexpired;
//     ConsumeChallenge marks it used atomically, so of two concurrent
//     requests at most one succeeds.
//   - The proof must be an authentication proof by a key of the holder
//     (the verificationMethod's DID is the holder's), and must verify with
//     no errors (PresentationVerifier).
//   - A refused request issues nothing and keeps nothing: the challenge
//     stays usable until it expires.
//   - Challenges, codes, tokens and nonces carry 256 random bits; access
//     tokens and nonces are stored only as hashes, a pre-authorized code
//     only until it is redeemed (an offer by reference must be servable by
//     any replica); none is logged.
//
// # Issuance
//
// Service.Complete consumes the challenge, re-reads the award (a revoked
// award gets no credential), reuses the status entries of an earlier
// credential issued for the same award by the same issuer to the same holder
// since the award was last granted — re-issuing does not burn a new status
// entry, while a credential from before a revocation and re-award, whose
// revocation bit is permanently set, is never reused — or allocates new ones
// through the StatusAllocator, signs through the Issuer, and records the
// credential, all in one store transaction: on failure nothing is kept.
//
// # CLR transcripts
//
// An offer whose DataModel is DataModelCLR (or DataModelCLRVC1) delivers a
// Comprehensive Learner Record 2.0 transcript through the same protocols
// and endpoints: init with "data_model": "clr" and the UUID of an award of
// the learner (the program certificate), and the wallet gets a signed
// ClrCredential (vc.ComposeCLR). What it bundles is decided at Complete,
// from the store, by Config.Transcript (LearnerTranscript, every current
// award of the learner, by default; ProgramTranscript, the program's
// courses, from the host's catalogue): each award is re-read and must be
// the anchor learner's and awarded; its ldp_vc OBv3 credential for the
// holder is reused when one was issued since the award was last granted,
// or issued and recorded under its award like any credential. The CLR's
// record is under the anchor award with status entries of its own, so
// revoking the anchor revokes the transcript, and revoking a bundled
// award revokes the credential it embeds. The Issuer must implement
// CLRIssuer (VCIssuer does); oid4vci offers it as ClrCredential_ldp_vc and
// ClrCredential_jwt_vc_json.
//
// # State
//
// Nothing lives in memory between requests: issuance records are in
// store.Issuance, exchanges, offers and nonces in store.Exchanges with a time
// to live. Any replica can serve any step.
//
// # Mounting
//
// A host wires the vc and status packages in and mounts one handler (the
// runnable version is the package example of wallettest):
//
//	statuses, _ := status.New(status.Config{BaseURL: "https://host/status"})
//	signer, _ := issuer.New(issuer.Config{Signer: key})            // key: vc.Signer of issuerDID
//	resolver := did.NewResolver()
//	presentations, _ := verify.New(verify.Config{Resolver: resolver})
//	issue, _ := wallet.NewVCIssuer(wallet.VCIssuerConfig{
//		Profile: vc.Profile{ID: issuerDID, Name: "Example University"}, Signer: signer,
//		Achievement: wallet.StoreAchievements("Example University", nil), // badges from their templates, certificates from their events
//		Status:      statuses.Entry,
//	})
//	svc, _ := wallet.NewService(wallet.Config{Store: st, Issuer: issue, Status: statuses,
//		Verifier: presentations, Resolver: resolver, IssuerID: issuerDID})
//	l, _ := lcw.New(lcw.Config{Service: svc, BaseURL: "https://host/wallet/lcw"})
//	x, _ := vcapi.New(vcapi.Config{Service: svc, BaseURL: "https://host/wallet/vcapi"})
//	o, _ := oid4vci.New(oid4vci.Config{Service: svc, BaseURL: "https://host/wallet/oid4vci", Keys: oid4vci.KeysFrom(resolver)})
//	reg, _ := wallet.NewRegistry([]Protocol{l, x, o}, wallet.WithAlias(lcw.OpenEdXID, lcw.ID))
//	mux.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(auth))) // auth: the host's LearnerAuth
//
// Each protocol's Handler uses paths relative to its mount point and is
// configured with the absolute BaseURL it is reachable at; the registry
// mounts protocol id at "/{id}/", so BaseURL must be the registry's public
// URL + "/" + id. A host may instead mount a protocol's Handler alone and
// call its Offer from its own code (Protocol), passing the learner id its
// session established.
//
// # Errors
//
// Every refusal is an *Error matching one sentinel (ErrForbidden,
// ErrChallenge, ErrReplayed, ErrExpired, ErrProof, ErrMalformed, ErrTooLarge,
// …) and is answered with a 4xx and a JSON body
// {"error": code, "error_description": reason}. Anything else is a 500 whose
// body says nothing about the cause (it is logged instead).
//
// # Limits
//
// Request bodies are capped (DefaultMaxBody, 64 KiB, per protocol
// configurable; 413 beyond), presentations carry at most MaxProofs proofs,
// strings echoed in reasons are clipped.
package wallet
