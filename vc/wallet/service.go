package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

// Issuer makes the signed credential for an award: it composes the
// credential (data model, achievement, issuer profile, holder as subject,
// status entries) and signs it. The vc package provides the implementation;
// see NewVCIssuer.
type Issuer interface {
	// Issue composes and signs one credential. It must not write to the
	// store. It may be called again for the same request (a retried
	// transaction); each call may return a fresh signature. Errors are
	// answered with 500 unless they match ErrUnsupported (unknown format or
	// data model), which gives 400.
	Issue(ctx context.Context, req IssueRequest) (IssuedCredential, error)
}

// IssueRequest is what Issuer.Issue gets.
type IssueRequest struct {
	// Repos are the issuance transaction's repositories, for reads the
	// issuer needs (a badge template); the Issuer must not write through
	// them, nor use the Store itself (the transaction may hold its lock).
	Repos store.Repos
	// Award is the award the credential attests (status awarded).
	Award credential.Award
	// Learner is the award's learner; only UserID is set when the store
	// has no personal data for them.
	Learner credential.Learner
	// IssuerID is the issuer's DID.
	IssuerID string
	// HolderDID is the DID the wallet proved it controls; it becomes the
	// credential subject's id.
	HolderDID string
	// CredentialID is the credential's id ("urn:uuid:<issuance record id>").
	CredentialID string
	// Status holds the status-list entries to put in credentialStatus.
	Status []store.StatusRef
	// Format is vc.FormatLDP or vc.FormatJWT.
	Format string
	// DataModel selects the data model; empty means the issuer's default.
	DataModel string
	// IssuedAt is the issuance time (validFrom).
	IssuedAt time.Time
}

// IssuedCredential is a signed credential.
type IssuedCredential struct {
	// ID is the credential's id.
	ID string
	// Format is the format actually produced.
	Format string
	// Credential is the credential as JSON: the document for
	// vc.FormatLDP, a JSON string holding the compact JWS for vc.FormatJWT.
	Credential json.RawMessage
}

// StatusAllocator hands out status-list entries for a new credential.
type StatusAllocator interface {
	// Allocate returns fresh entries (revocation, and suspension when the
	// host enables it) for a credential of issuerID, working only through
	// tx so the allocation commits or rolls back with the issuance.
	Allocate(ctx context.Context, tx store.Repos, issuerID string) ([]store.StatusRef, error)
}

// PresentationVerifier verifies the proofs on a presentation.
// *vc/verify.Verifier implements it.
type PresentationVerifier interface {
	// VerifyPresentation returns nil only when every proof on vp verifies
	// with no errors against the key its verificationMethod names, resolved
	// from the DID document of that method's controller, with challenge
	// and (when non-empty) domain as expected. Any error is reported to the
	// wallet as an invalid proof, with err's text as the reason.
	VerifyPresentation(ctx context.Context, vp []byte, challenge, domain string) error
}

// Config configures a Service.
type Config struct {
	// Store keeps issuance records; required.
	Store store.Store
	// Issuer composes and signs credentials; required.
	Issuer Issuer
	// Status allocates status entries; required (a credential without
	// status cannot be revoked).
	Status StatusAllocator
	// Verifier verifies DIDAuth presentations; required by the protocols
	// that use them (LCW, VC-API).
	Verifier PresentationVerifier
	// Resolver resolves the verification methods named by presentation
	// proofs (vc/did.Resolver for did:key and did:web). When set, each
	// method must be controlled by the holder and listed under the holder's
	// "authentication" relationship, on top of the DID comparison that is
	// always made.
	Resolver vc.Resolver
	// IssuerID is the issuer's DID; required.
	IssuerID string
	// TTL is how long an offer's challenge stays usable; default 15 minutes.
	TTL time.Duration
	// Formats lists the formats the Issuer can produce; default
	// [vc.FormatLDP, vc.FormatJWT].
	Formats []string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per issuance and per refused request, with
	// the request id (see Middleware) and the detail the response leaves
	// out; default slog.Default(). Secrets (challenges, tokens) are never
	// logged.
	Logger *slog.Logger
	// RequestTimeout bounds each wallet request handled through Middleware:
	// its context gets this deadline, so DID resolution, verification,
	// canonicalisation and the store transaction stop with it, and the
	// wallet gets a 503 (ErrTimeout); default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxClockSkew is how far a proof's time (a DIDAuth proof's created, an
	// OID4VCI proof JWT's iat) may be ahead of this issuer's clock, or
	// behind the issue of the challenge it answers; default
	// DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// Transcript decides what a CLR offer (DataModelCLR, DataModelCLRVC1)
	// bundles, from the store, when the wallet completes it; default
	// LearnerTranscript (every current award of the learner). CLR offers
	// need an Issuer that implements CLRIssuer.
	Transcript TranscriptFunc
}

// Service owns issuance records: it starts an issuance for an authenticated
// learner's own award, checks a wallet's DIDAuth presentation, and issues the
// credential once per one-time challenge — consuming the challenge,
// allocating (or reusing) status entries, signing and recording the result
// in one store transaction. It keeps no state outside the store; it is safe
// for concurrent use and any number of replicas may share a store.
type Service struct {
	cfg Config
	log *slog.Logger
}

// Defaults of Config.
const (
	// DefaultTTL is the default lifetime of an offer.
	DefaultTTL = 15 * time.Minute
	// DefaultRequestTimeout is the default deadline of one wallet request.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxClockSkew is the default tolerance between a wallet's
	// clock and the issuer's.
	DefaultMaxClockSkew = 5 * time.Minute
)

// NewService validates cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("wallet: Config.Store is required")
	case cfg.Issuer == nil:
		return nil, errors.New("wallet: Config.Issuer is required")
	case cfg.Status == nil:
		return nil, errors.New("wallet: Config.Status is required")
	case cfg.IssuerID == "":
		return nil, errors.New("wallet: Config.IssuerID is required")
	case cfg.TTL < 0 || cfg.RequestTimeout < 0 || cfg.MaxClockSkew < 0:
		return nil, errors.New("wallet: Config.TTL, RequestTimeout and MaxClockSkew must not be negative")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxClockSkew == 0 {
		cfg.MaxClockSkew = DefaultMaxClockSkew
	}
	if len(cfg.Formats) == 0 {
		cfg.Formats = []string{vc.FormatLDP, vc.FormatJWT}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Transcript == nil {
		cfg.Transcript = LearnerTranscript()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log.With("component", "credshare/vc/wallet")}, nil
}

// IssuerID returns the issuer's DID.
func (s *Service) IssuerID() string { return s.cfg.IssuerID }

// TTL returns the lifetime of an offer.
func (s *Service) TTL() time.Duration { return s.cfg.TTL }

// RequestTimeout returns the deadline of one wallet request.
func (s *Service) RequestTimeout() time.Duration { return s.cfg.RequestTimeout }

// MaxClockSkew returns the tolerance for proof times.
func (s *Service) MaxClockSkew() time.Duration { return s.cfg.MaxClockSkew }

// Logger returns the service's logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// Store returns the store.
func (s *Service) Store() store.Store { return s.cfg.Store }

// Formats returns the formats the issuer produces.
func (s *Service) Formats() []string { return slices.Clone(s.cfg.Formats) }

// OffersCLR reports whether the service issues CLR transcripts: its
// Issuer implements CLRIssuer and produces ldp_vc (the embedded
// credentials' format).
func (s *Service) OffersCLR() bool {
	_, ok := s.cfg.Issuer.(CLRIssuer)
	return ok && s.SupportsFormat(vc.FormatLDP)
}

// SupportsFormat reports whether f is one of Formats.
func (s *Service) SupportsFormat(f string) bool { return slices.Contains(s.cfg.Formats, f) }

// Begin starts an issuance: it checks that req.LearnerID (the authenticated
// learner) owns the award and that it is not revoked, then stores a pending
// issuance record with a fresh one-time challenge that expires after the
// service's TTL. format "" leaves the choice to the wallet's request
// (OID4VCI); otherwise it must be supported.
//
// With a CLR data model (DataModelCLR, DataModelCLRVC1) the award is the
// anchor of a CLR 2.0 transcript; what the transcript bundles is decided
// by Config.Transcript when the wallet completes the offer.
func (s *Service) Begin(ctx context.Context, walletID string, req OfferRequest) (store.IssuanceRecord, error) {
	if req.LearnerID <= 0 {
		return store.IssuanceRecord{}, Fail(ErrUnauthenticated, "no authenticated learner")
	}
	if req.Format != "" && !s.SupportsFormat(req.Format) {
		return store.IssuanceRecord{}, Fail(ErrUnsupported, "format %q is not offered (offered: %v)", clip(req.Format), s.cfg.Formats)
	}
	if IsCLR(req.DataModel) && !s.OffersCLR() {
		return store.IssuanceRecord{}, Fail(ErrUnsupported, "this issuer does not issue CLR transcripts")
	}
	aw, err := s.cfg.Store.Awards().GetByUUID(ctx, req.AwardUUID)
	if errors.Is(err, store.ErrNotFound) {
		return store.IssuanceRecord{}, Fail(ErrNotFound, "award %s does not exist", req.AwardUUID)
	}
	if err != nil {
		return store.IssuanceRecord{}, fmt.Errorf("wallet: loading award %s: %w", req.AwardUUID, err)
	}
	if aw.LearnerID != req.LearnerID {
		s.logger(ctx).WarnContext(ctx, "issuance refused: award of another learner", "award", req.AwardUUID, "learner", req.LearnerID)
		return store.IssuanceRecord{}, Fail(ErrForbidden, "award %s does not belong to the signed-in learner", req.AwardUUID)
	}
	if aw.Status != credential.StatusAwarded {
		return store.IssuanceRecord{}, Fail(ErrRevoked, "award %s is %s; no credential can be issued for it", req.AwardUUID, aw.Status)
	}
	now := s.cfg.Now().UTC()
	rec := store.IssuanceRecord{
		ID:               uuid.New(),
		AwardUUID:        aw.UUID,
		LearnerID:        aw.LearnerID,
		IssuerID:         s.cfg.IssuerID,
		Wallet:           walletID,
		Format:           req.Format,
		DataModel:        req.DataModel,
		Challenge:        NewToken(),
		ChallengeExpires: now.Add(s.cfg.TTL),
		State:            store.IssuancePending,
		CreatedAt:        now,
	}
	if err := s.cfg.Store.Issuance().Create(ctx, rec); err != nil {
		return store.IssuanceRecord{}, fmt.Errorf("wallet: storing issuance record: %w", err)
	}
	return rec, nil
}

// Pending returns the issuance record id if its challenge can still be
// used: ErrNotFound for an unknown id, ErrReplayed once the challenge was
// consumed, ErrExpired after it expired.
func (s *Service) Pending(ctx context.Context, id uuid.UUID) (store.IssuanceRecord, error) {
	rec, err := s.cfg.Store.Issuance().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, Fail(ErrNotFound, "no issuance request %s", id)
	}
	if err != nil {
		return rec, fmt.Errorf("wallet: loading issuance record %s: %w", id, err)
	}
	return rec, s.usable(rec)
}

func (s *Service) usable(rec store.IssuanceRecord) error {
	switch {
	case rec.State == store.IssuanceIssued || !rec.ChallengeUsedAt.IsZero():
		return Fail(ErrReplayed, "the challenge of issuance request %s was already used", rec.ID)
	case rec.ChallengeExpires.Before(s.cfg.Now()):
		return Fail(ErrExpired, "issuance request %s expired at %s", rec.ID, rec.ChallengeExpires.UTC().Format(time.RFC3339))
	}
	return nil
}

// AuthenticatePresentation checks a wallet's DIDAuth presentation against
// the pending record rec: shape, proofPurpose "authentication", rec's
// challenge, domain (when non-empty), a verificationMethod of the holder,
// proof times (CheckProofTimes: created at most MaxClockSkew ahead of the
// service clock and not before the challenge was issued), and the proof
// itself through the Verifier. It returns the holder's DID. It does not
// consume the challenge (Complete does).
//
// Refusals say what failed in general terms ("the holder's DID could not
// be resolved", "the presentation's proof could not be verified"); the
// resolver's or verifier's own error, which may name internal addresses,
// is the refusal's Cause, for the log. When ctx is done the error matches
// ErrTimeout.
func (s *Service) AuthenticatePresentation(ctx context.Context, rec store.IssuanceRecord, vp []byte, domain string) (string, error) {
	if s.cfg.Verifier == nil {
		return "", errors.New("wallet: Config.Verifier is required to accept presentations")
	}
	p, err := ParsePresentation(vp)
	if err != nil {
		return "", err
	}
	if err := CheckDIDAuth(p, rec.Challenge, domain); err != nil {
		return "", err
	}
	if err := CheckProofTimes(p, s.challengeIssued(rec), s.cfg.Now(), s.cfg.MaxClockSkew); err != nil {
		return "", err
	}
	if s.cfg.Resolver != nil {
		for i, pr := range p.Proofs {
			m, err := s.cfg.Resolver.ResolveVerificationMethod(ctx, pr.VerificationMethod)
			if err != nil {
				if terr := ctxDone(ctx, err); terr != nil {
					return "", terr
				}
				return "", Fail(ErrProof, "proof %d: the holder's DID could not be resolved", i).WithCause(err)
			}
			if m.Controller != p.Holder || !m.Allows("authentication") {
				return "", Fail(ErrProof, "proof %d: the verification method is not an authentication key of the holder", i)
			}
		}
	}
	if err := s.cfg.Verifier.VerifyPresentation(ctx, vp, rec.Challenge, domain); err != nil {
		if terr := ctxDone(ctx, err); terr != nil {
			return "", terr
		}
		var we *Error
		if errors.As(err, &we) {
			return "", we
		}
		return "", verifyRefusal(err)
	}
	return p.Holder, nil
}

// verifyRefusal turns a verifier's error into a refusal that says which
// kind of check failed, with the error itself as the Cause.
func verifyRefusal(err error) *Error {
	reason := "the presentation's proof could not be verified"
	switch {
	case errors.Is(err, vc.ErrResolve):
		reason = "the holder's DID or verification method could not be resolved"
	case errors.Is(err, vc.ErrTooLarge), errors.Is(err, vc.ErrTooDeep):
		reason = "the presentation is too large or too complex to verify"
	case errors.Is(err, vc.ErrMalformed):
		reason = "the presentation or its proof is malformed"
	case errors.Is(err, vc.ErrContext):
		reason = "the presentation's JSON-LD could not be processed (contexts are limited to the bundled ones)"
	case errors.Is(err, vc.ErrUnsupported):
		reason = "the presentation's proof type, cryptosuite, key type or DID method is not supported"
	}
	return Fail(ErrProof, "%s", reason).WithCause(err)
}

// challengeIssued returns when rec's challenge was issued.
func (s *Service) challengeIssued(rec store.IssuanceRecord) time.Time {
	if !rec.CreatedAt.IsZero() {
		return rec.CreatedAt
	}
	return rec.ChallengeExpires.Add(-s.cfg.TTL)
}

// logger returns the service's logger with ctx's request id.
func (s *Service) logger(ctx context.Context) *slog.Logger {
	if id := RequestID(ctx); id != "" {
		return s.log.With("request_id", id)
	}
	return s.log
}

// CompleteRequest is what Complete needs.
type CompleteRequest struct {
	// ID is the issuance record.
	ID uuid.UUID
	// Challenge is the challenge the wallet answered; it is consumed.
	Challenge string
	// HolderDID is the authenticated holder.
	HolderDID string
	// Format overrides the record's format (OID4VCI lets the wallet choose).
	Format string
	// InTx, when set, runs inside the issuance transaction after the
	// credential is recorded, e.g. to move an exchange to its final state;
	// an error rolls everything back.
	InTx func(ctx context.Context, tx store.Repos, issued Issued) error
}

// Issued is the outcome of Complete.
type Issued struct {
	// Record is the issuance record after issuance.
	Record store.IssuanceRecord
	// Credential is the signed credential.
	Credential IssuedCredential
	// ReusedStatus is true when the status entries of an earlier credential
	// for the same award and holder were reused (never for a CLR, whose
	// entries are always fresh).
	ReusedStatus bool
	// Bundled lists, for a CLR, the embedded credentials in the order
	// they are embedded, the anchor's first; nil otherwise.
	Bundled []BundledCredential
}

// BundledCredential is one credential embedded in an issued CLR.
type BundledCredential struct {
	// Award is the award it attests.
	Award uuid.UUID
	// IssuanceID is the issuance record that holds it (and its status
	// entries, so revoking the award revokes it).
	IssuanceID uuid.UUID
	// CredentialID is its id.
	CredentialID string
	// Reused is true when an earlier credential issued to the same holder
	// was embedded as it was; false when it was issued for the CLR.
	Reused bool
}

// Complete issues the credential, once: in one store transaction it
// consumes the record's challenge (so two concurrent requests never both
// succeed), checks that the award is still awarded, reuses the status
// entries of an earlier credential for the same award, issuer and holder
// (or allocates new ones), signs, and records the outcome. On any error
// nothing is kept: the challenge stays usable until it expires.
//
// A CLR offer (IsCLR of the record's data model) gets a CLR 2.0 transcript
// for the anchor award instead: Config.Transcript names the awards, each
// is re-read and must be the anchor learner's own and still awarded; each
// one's ldp_vc OBv3 credential for the holder is reused when one was issued
// since the award was last granted, or issued (and recorded, with its
// status entries, as an issuance record of its award); the CLR gets fresh
// status entries of its own and is signed through the CLRIssuer in the
// requested format.
func (s *Service) Complete(ctx context.Context, req CompleteRequest) (Issued, error) {
	if req.HolderDID == "" {
		return Issued{}, Fail(ErrProof, "no authenticated holder")
	}
	var out Issued
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		now := s.cfg.Now().UTC()
		rec, err := tx.Issuance().ConsumeChallenge(ctx, req.ID, req.Challenge, now)
		if err != nil {
			return consumeError{err}
		}
		aw, err := tx.Awards().GetByUUID(ctx, rec.AwardUUID)
		if err != nil {
			return fmt.Errorf("wallet: loading award %s: %w", rec.AwardUUID, err)
		}
		if aw.Status != credential.StatusAwarded {
			return Fail(ErrRevoked, "award %s was %s; no credential is issued", aw.UUID, aw.Status)
		}
		learner, err := tx.Learners().Get(ctx, aw.LearnerID)
		if errors.Is(err, store.ErrNotFound) {
			learner, err = credential.Learner{UserID: aw.LearnerID}, nil
		}
		if err != nil {
			return fmt.Errorf("wallet: loading learner %d: %w", aw.LearnerID, err)
		}
		format := req.Format
		if format == "" {
			format = rec.Format
		}
		if format == "" {
			format = vc.FormatLDP
		}
		if !s.SupportsFormat(format) {
			return Fail(ErrUnsupported, "format %q is not offered", clip(format))
		}
		var (
			status  []store.StatusRef
			reused  bool
			cred    IssuedCredential
			bundled []BundledCredential
		)
		if IsCLR(rec.DataModel) {
			status, cred, bundled, err = s.issueCLR(ctx, tx, rec, aw, learner, req.HolderDID, format, now)
		} else {
			status, reused, err = s.status(ctx, tx, rec, aw, req.HolderDID)
			if err != nil {
				return err
			}
			cred, err = s.cfg.Issuer.Issue(ctx, IssueRequest{
				Repos: tx, Award: aw, Learner: learner, IssuerID: rec.IssuerID, HolderDID: req.HolderDID,
				CredentialID: "urn:uuid:" + rec.ID.String(), Status: status, Format: format,
				DataModel: rec.DataModel, IssuedAt: now,
			})
			err = issueError(err, aw)
		}
		if err != nil {
			return err
		}
		if err := tx.Issuance().MarkIssued(ctx, rec.ID, req.HolderDID, status, cred.ID, cred.Credential, now); err != nil {
			return fmt.Errorf("wallet: recording issuance %s: %w", rec.ID, err)
		}
		rec.State, rec.HolderDID, rec.Status = store.IssuanceIssued, req.HolderDID, status
		rec.CredentialID, rec.Credential, rec.IssuedAt = cred.ID, cred.Credential, now
		out = Issued{Record: rec, Credential: cred, ReusedStatus: reused, Bundled: bundled}
		if req.InTx != nil {
			return req.InTx(ctx, tx, out)
		}
		return nil
	})
	if err != nil {
		return Issued{}, s.classify(ctx, req.ID, err)
	}
	s.logger(ctx).InfoContext(ctx, "credential issued", "issuance", out.Record.ID, "award", out.Record.AwardUUID,
		"wallet", out.Record.Wallet, "format", out.Credential.Format, "holder", out.Record.HolderDID, "reused_status", out.ReusedStatus,
		"data_model", out.Record.DataModel, "bundled", len(out.Bundled))
	return out, nil
}

// issueError maps an Issuer's error: refusals pass, ErrUnsupported is the
// request's fault, anything else is internal.
func issueError(err error, aw credential.Award) error {
	if err == nil {
		return nil
	}
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	if errors.Is(err, ErrUnsupported) {
		return Fail(ErrUnsupported, "the requested format or data model is not produced").WithCause(err)
	}
	return fmt.Errorf("wallet: issuing the credential of award %s: %w", aw.UUID, err)
}

// status returns the entries of an earlier credential issued for the same
// award by the same issuer to the same holder since the award was last
// granted, or allocates fresh ones. A credential issued before a
// revocation and re-award is not reused: revocation bits are permanent, so
// its entries would mark the new credential revoked.
func (s *Service) status(ctx context.Context, tx store.Repos, rec store.IssuanceRecord, aw credential.Award, holder string) ([]store.StatusRef, bool, error) {
	earlier, err := tx.Issuance().ListByAward(ctx, rec.AwardUUID)
	if err != nil {
		return nil, false, fmt.Errorf("wallet: listing issuances of award %s: %w", rec.AwardUUID, err)
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		e := earlier[i]
		// A CLR's entries are its own: revoking the transcript must not
		// revoke the award's credential, nor the other way round.
		if e.ID != rec.ID && !IsCLR(e.DataModel) && e.State == store.IssuanceIssued && e.HolderDID == holder && e.IssuerID == rec.IssuerID &&
			len(e.Status) > 0 && !e.IssuedAt.Before(aw.AwardedAt) {
			return slices.Clone(e.Status), true, nil
		}
	}
	refs, err := s.cfg.Status.Allocate(ctx, tx, rec.IssuerID)
	if err != nil {
		return nil, false, fmt.Errorf("wallet: allocating status entries: %w", err)
	}
	if len(refs) == 0 {
		return nil, false, errors.New("wallet: the status allocator returned no entry")
	}
	return refs, false, nil
}

// consumeError marks a failure of ConsumeChallenge, the one store error
// that is the request's fault.
type consumeError struct{ err error }

func (e consumeError) Error() string { return e.err.Error() }
func (e consumeError) Unwrap() error { return e.err }

// classify turns a failed Complete into an *Error when the cause is the
// request's fault.
func (s *Service) classify(ctx context.Context, id uuid.UUID, err error) error {
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	var ce consumeError
	if !errors.As(err, &ce) {
		s.logger(ctx).ErrorContext(ctx, "issuance failed", "issuance", id, "err", err)
		return err
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, gerr := s.cfg.Store.Issuance().Get(ctx, id); errors.Is(gerr, store.ErrNotFound) {
			return Fail(ErrNotFound, "no issuance request %s", id)
		}
	case errors.Is(err, store.ErrConflict):
		rec, gerr := s.cfg.Store.Issuance().Get(ctx, id)
		if gerr == nil {
			if uerr := s.usable(rec); uerr != nil {
				return uerr
			}
			return Fail(ErrChallenge, "the challenge is not the one issued for request %s", id)
		}
	}
	s.logger(ctx).ErrorContext(ctx, "issuance failed", "issuance", id, "err", err)
	return err
}

// DeleteExpired removes exchanges, offers and nonces that expired, and
// returns how many. Expired ones are already refused; a host calls this now
// and then (say every few minutes, from one replica or all) to keep the
// table small. Issuance records are kept: they are the audit trail.
func (s *Service) DeleteExpired(ctx context.Context) (int, error) {
	return s.cfg.Store.Exchanges().DeleteExpired(ctx, s.cfg.Now())
}
