// Package obv3 is a badge provider that issues badges natively, as signed
// Open Badges 3.0 Verifiable Credentials, with no paid badge platform.
//
// Each award becomes an OpenBadgeCredential composed from the award, the
// learner and the badge template, signed by the configured issuer (Data
// Integrity eddsa-rdfc-2022 on VC 2.0 by default), with a revocation entry in
// a status list. The signed credential is stored as an issuance record
// (wallet "obv3") in the store, where hosts, the quickstart and the CLI read
// it; the learner can also collect it into a wallet through vc/wallet.
//
// # Idempotency
//
// The issuance record's id is derived from the request's idempotency key, so
// a retried Issue returns the credential already issued. The record and its
// status entries are reserved in one transaction, the credential is signed
// outside it (signing is the slow part), and recorded in a second one; a
// retry after a failure in between reuses the reserved entries.
//
// # Revocation
//
// Revoke sets the revocation bit of every credential issued for the award.
// It is idempotent. Issue for an award that is already revoked still
// records the credential, with its revocation bit set in the same
// transaction, so an issue that runs after a revocation cannot leave a valid
// credential behind.
package obv3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
)

// ID is the provider id templates name to be issued natively.
const ID = "obv3"

// WalletID is the wallet id recorded on the issuance records this provider writes.
const WalletID = "obv3"

// Revoker sets the revocation bits of every credential issued for an award,
// inside tx. status.Service implements it.
type Revoker interface {
	RevokeAward(ctx context.Context, tx store.Repos, award credential.Award) error
}

// Config configures a Provider.
type Config struct {
	// Store holds awards and issuance records. Required.
	Store store.Store
	// Issuer composes and signs the credential (wallet.NewVCIssuer). Required.
	Issuer wallet.Issuer
	// IssuerID is the issuer's DID. Required.
	IssuerID string
	// Status allocates the credential's status entries. Required: a
	// credential that cannot be revoked is not issued.
	Status wallet.StatusAllocator
	// Revoker sets revocation bits. Required.
	Revoker Revoker
	// Format is vc.FormatLDP (default) or vc.FormatJWT.
	Format string
	// DataModel selects the data model; empty means the issuer's default.
	DataModel string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Provider issues badges as Open Badges 3.0 credentials.
type Provider struct {
	cfg Config
}

var _ badge.Provider = (*Provider)(nil)

// New validates cfg and returns a Provider.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("obv3: Config.Store is required")
	case cfg.Issuer == nil:
		return nil, errors.New("obv3: Config.Issuer is required")
	case cfg.IssuerID == "":
		return nil, errors.New("obv3: Config.IssuerID is required")
	case cfg.Status == nil:
		return nil, errors.New("obv3: Config.Status is required")
	case cfg.Revoker == nil:
		return nil, errors.New("obv3: Config.Revoker is required")
	}
	if cfg.Format == "" {
		cfg.Format = vc.FormatLDP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}, nil
}

// ID returns "obv3".
func (p *Provider) ID() string { return ID }

// recordNamespace derives issuance record ids from idempotency keys.
var recordNamespace = uuid.MustParse("0b3c5e1a-7d44-4e2b-a1f0-93c6d2e8b417")

// RecordID returns the id of the issuance record Issue writes for an
// idempotency key.
func RecordID(idempotencyKey string) uuid.UUID {
	return uuid.NewSHA1(recordNamespace, []byte(idempotencyKey))
}

// Issue composes, signs and records the credential for the award. Called
// again with the same idempotency key it returns the recorded credential.
func (p *Provider) Issue(ctx context.Context, req badge.IssueRequest) (badge.Result, error) {
	if err := validate(req.IdempotencyKey, req.AwardUUID); err != nil {
		return badge.Result{}, err
	}
	id := RecordID(req.IdempotencyKey)
	credID := "urn:uuid:" + id.String()
	done := badge.Result{ExternalID: credID, State: "issued"}

	// 1. Reserve: the record and its status entries, in one transaction.
	var rec store.IssuanceRecord
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		r, err := tx.Issuance().Get(ctx, id)
		if err == nil {
			rec = r // an earlier attempt got this far
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		aw, err := tx.Awards().GetByUUID(ctx, req.AwardUUID)
		if err != nil {
			return notFound(err, "award %s", req.AwardUUID)
		}
		refs, err := p.cfg.Status.Allocate(ctx, tx, p.cfg.IssuerID)
		if err != nil {
			return fmt.Errorf("obv3: allocate status: %w", err)
		}
		now := p.cfg.Now().UTC()
		rec = store.IssuanceRecord{
			ID: id, AwardUUID: aw.UUID, LearnerID: aw.LearnerID, IssuerID: p.cfg.IssuerID,
			Wallet: WalletID, Format: p.cfg.Format, DataModel: p.cfg.DataModel,
			// No wallet takes part: the challenge is random and already expired.
			Challenge: wallet.NewToken(), ChallengeExpires: now, State: store.IssuancePending,
			Status: refs, CredentialID: credID, CreatedAt: now,
		}
		return tx.Issuance().Create(ctx, rec)
	})
	if err != nil {
		return badge.Result{}, err
	}
	if rec.State == store.IssuanceIssued {
		return done, nil
	}

	// 2. Compose and sign outside the transaction (it is the slow part, and
	// the achievement metadata is read from the store).
	aw, err := p.cfg.Store.Awards().GetByUUID(ctx, req.AwardUUID)
	if err != nil {
		return badge.Result{}, notFound(err, "award %s", req.AwardUUID)
	}
	learner, err := p.cfg.Store.Learners().Get(ctx, aw.LearnerID)
	if err != nil {
		learner = req.Recipient
	}
	// The credential attests the award as granted; compose it as such even
	// when a revocation overtook this call (its bit is set below).
	granted := aw
	granted.Status = credential.StatusAwarded
	granted.RevokedAt = time.Time{}
	granted.Revoked = credential.Cause{}
	issued, err := p.cfg.Issuer.Issue(ctx, wallet.IssueRequest{
		Repos: p.cfg.Store, Award: granted, Learner: learner, IssuerID: p.cfg.IssuerID, CredentialID: credID,
		Status: rec.Status, Format: p.cfg.Format, DataModel: p.cfg.DataModel, IssuedAt: rec.CreatedAt,
	})
	if err != nil {
		return badge.Result{}, fmt.Errorf("obv3: issue: %w", err)
	}

	// 3. Record it; if the award was revoked meanwhile, its bit is set in
	// the same transaction.
	err = p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.Issuance().MarkIssued(ctx, id, "", rec.Status, credID, issued.Credential, p.cfg.Now().UTC()); err != nil {
			return err
		}
		cur, err := tx.Awards().GetByUUID(ctx, req.AwardUUID)
		if err != nil {
			return err
		}
		if cur.Status == credential.StatusRevoked {
			return p.cfg.Revoker.RevokeAward(ctx, tx, cur)
		}
		return nil
	})
	if err != nil {
		return badge.Result{}, err
	}
	return done, nil
}

// Revoke sets the revocation bit of every credential issued for the award.
func (p *Provider) Revoke(ctx context.Context, req badge.RevokeRequest) (badge.Result, error) {
	if err := validate(req.IdempotencyKey, req.AwardUUID); err != nil {
		return badge.Result{}, err
	}
	ext := req.ExternalID
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		aw, err := tx.Awards().GetByUUID(ctx, req.AwardUUID)
		if err != nil {
			return notFound(err, "award %s", req.AwardUUID)
		}
		recs, err := tx.Issuance().ListByAward(ctx, aw.UUID)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range recs {
			if r.Wallet == WalletID && r.State == store.IssuanceIssued {
				n++
				if ext == "" {
					ext = r.CredentialID
				}
			}
		}
		if n == 0 {
			return &badge.Error{Provider: ID, Op: "revoke", Kind: badge.ErrNotFound,
				Message: fmt.Sprintf("no credential issued for award %s yet", aw.UUID)}
		}
		return p.cfg.Revoker.RevokeAward(ctx, tx, aw)
	})
	if err != nil {
		return badge.Result{}, err
	}
	return badge.Result{ExternalID: ext, State: "revoked"}, nil
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return &badge.Error{Provider: ID, Kind: badge.ErrNotFound, Message: fmt.Sprintf(format, args...), Err: err}
	}
	return err
}

// validate checks what a native issue or revoke needs: the credential is
// composed from the stored award, so no provider template id or recipient
// e-mail is required (unlike the badge platforms).
func validate(key string, award uuid.UUID) error {
	if key == "" {
		return &badge.Error{Provider: ID, Kind: badge.ErrInvalid, Message: "idempotency_key is required"}
	}
	if award == uuid.Nil {
		return &badge.Error{Provider: ID, Kind: badge.ErrInvalid, Message: "award_uuid is required"}
	}
	return nil
}
