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
// # Record ids
//
// The issuance record's id is also the credential's id (urn:uuid:…) and
// the id of its public verification page (vc/verifypage), so it must not be
// computable by whoever knows the award. It is an HMAC-SHA256 of the
// idempotency key under Config.IDKey, a server secret, cut to a version 8
// UUID (122 bits that cannot be predicted without the key, even from the
// ids of the neighbouring awards). Deriving the id, rather than drawing it
// at random, keeps Issue idempotent with no stored mapping: every process
// holding the key finds the record a retry must return.
//
// Keep IDKey like a signing key. To rotate it, put the old key in
// Config.PreviousIDKeys: a retry of an issue begun under an old key still
// finds its record, and ids of new issues use the new key. Rotation does
// not change the ids of credentials already issued (they are written in the
// credentials); it only stops a leaked key from predicting new ones. An old
// key may be dropped once no issue begun under it can still be retried.
//
// Records written before record ids were keyed have ids derived from the
// idempotency key alone (name-based UUIDs, version 5), which anyone who
// knows an award's UUID can compute. Issue still finds them (a retry does
// not issue twice), and PublicRecord reports them as not public, so a
// verification page configured with it answers their ids with the same 404
// as an unknown id. Issue such a credential again under a new idempotency
// key to give it a page.
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
	"crypto/hmac"
	"crypto/sha256"
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
	// IDKey is the secret the record ids are derived with (see Record
	// ids): at least MinIDKeySize random bytes, the same in every process
	// issuing for this store. Required.
	IDKey []byte
	// PreviousIDKeys are keys IDKey replaced, newest first: Issue also
	// looks for a record under each, so a retry across a rotation returns
	// the credential already issued.
	PreviousIDKeys [][]byte
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MinIDKeySize is the smallest Config.IDKey accepted, in bytes.
const MinIDKeySize = 32

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
	case len(cfg.IDKey) < MinIDKeySize:
		return nil, fmt.Errorf("obv3: Config.IDKey must hold at least %d secret bytes", MinIDKeySize)
	}
	for _, k := range cfg.PreviousIDKeys {
		if len(k) < MinIDKeySize {
			return nil, fmt.Errorf("obv3: every Config.PreviousIDKeys key must hold at least %d bytes", MinIDKeySize)
		}
	}
	cfg.IDKey = append([]byte(nil), cfg.IDKey...)
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

// legacyNamespace is the namespace of the name-based record ids written
// before they were keyed.
var legacyNamespace = uuid.MustParse("0b3c5e1a-7d44-4e2b-a1f0-93c6d2e8b417")

// RecordID returns the id of the issuance record Issue writes for an
// idempotency key under the current Config.IDKey.
func (p *Provider) RecordID(idempotencyKey string) uuid.UUID {
	return keyedID(p.cfg.IDKey, idempotencyKey)
}

// keyedID is HMAC-SHA256(key, label || idempotencyKey) cut to 128 bits,
// with the version (8) and variant bits of RFC 9562 set.
func keyedID(key []byte, idempotencyKey string) uuid.UUID {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("credshare/badge/obv3 record id\x00"))
	m.Write([]byte(idempotencyKey))
	var id uuid.UUID
	copy(id[:], m.Sum(nil))
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // variant 10
	return id
}

// candidates are the ids a record for idempotencyKey may have, the
// current one first.
func (p *Provider) candidates(idempotencyKey string) []uuid.UUID {
	ids := []uuid.UUID{p.RecordID(idempotencyKey)}
	for _, k := range p.cfg.PreviousIDKeys {
		ids = append(ids, keyedID(k, idempotencyKey))
	}
	return append(ids, uuid.NewSHA1(legacyNamespace, []byte(idempotencyKey)))
}

// PublicRecord reports whether the page of rec may be public: false for a
// record of this provider whose id was derived from its idempotency key
// alone (written before ids were keyed), which whoever knows the award can
// compute. Records of other wallets are public. Use it as
// vc/verifypage.Config.Public.
func PublicRecord(rec store.IssuanceRecord) bool {
	return rec.Wallet != WalletID || rec.ID.Version() != 5
}

// Issue composes, signs and records the credential for the award. Called
// again with the same idempotency key it returns the recorded credential.
func (p *Provider) Issue(ctx context.Context, req badge.IssueRequest) (badge.Result, error) {
	if err := validate(req.IdempotencyKey, req.AwardUUID); err != nil {
		return badge.Result{}, err
	}
	ids := p.candidates(req.IdempotencyKey)

	// 1. Reserve: the record and its status entries, in one transaction.
	var rec store.IssuanceRecord
	err := p.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		for _, id := range ids {
			r, err := tx.Issuance().Get(ctx, id)
			if err == nil {
				rec = r // an earlier attempt got this far
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		id := ids[0]
		credID := "urn:uuid:" + id.String()
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
	id, credID := rec.ID, rec.CredentialID
	done := badge.Result{ExternalID: credID, State: "issued"}
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
