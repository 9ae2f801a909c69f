package sqlcore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type issuance repos

const issuanceSelect = "SELECT id, award_uuid, learner_id, issuer_id, wallet, format, data_model, challenge, challenge_expires, challenge_used_at, state, holder_did, status, credential_id, credential, created_at, issued_at FROM cs_issuance"

func scanIssuance(row rowScanner) (r store.IssuanceRecord, err error) {
	var status, cred []byte
	err = row.Scan(&r.ID, &r.AwardUUID, &r.LearnerID, &r.IssuerID, &r.Wallet, &r.Format, &r.DataModel, &r.Challenge,
		ts{&r.ChallengeExpires}, ts{&r.ChallengeUsedAt}, &r.State, &r.HolderDID, &status, &r.CredentialID, &cred,
		ts{&r.CreatedAt}, ts{&r.IssuedAt})
	if err != nil {
		return r, err
	}
	r.Credential = raw(cred)
	if err := unjson(status, &r.Status); err != nil {
		return r, fmt.Errorf("issuance record %s status: %w", r.ID, err)
	}
	return r, nil
}

func (r issuance) Create(ctx context.Context, rec store.IssuanceRecord) error {
	if err := store.PrepareIssuanceRecord(&rec); err != nil {
		return err
	}
	status, err := jsonArg(rec.Status, len(rec.Status) == 0)
	if err != nil {
		return credential.Invalid("issuance.status", err.Error())
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		created := rec.CreatedAt
		if created.IsZero() {
			created = db.now()
		}
		ok, err := db.insertIgnore(ctx, tx, "cs_issuance",
			[]string{"id", "award_uuid", "learner_id", "issuer_id", "wallet", "format", "data_model", "challenge",
				"challenge_expires", "challenge_used_at", "state", "holder_did", "status", "credential_id", "credential", "created_at", "issued_at"},
			rec.ID, rec.AwardUUID, rec.LearnerID, rec.IssuerID, rec.Wallet, rec.Format, rec.DataModel, rec.Challenge,
			db.tv(rec.ChallengeExpires), db.tv(rec.ChallengeUsedAt), rec.State, rec.HolderDID, status, rec.CredentialID,
			rawArg(rec.Credential), db.tv(created), db.tv(rec.IssuedAt))
		if err == nil && !ok {
			err = db.conflict("issuance record %s already exists", rec.ID)
		}
		return err
	})
	return db.wrap("issuance.create", rec.ID, err)
}

func (r issuance) Get(ctx context.Context, id uuid.UUID) (out store.IssuanceRecord, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = scanIssuance(tx.QueryRowContext(ctx, issuanceSelect+" WHERE id = ?", id))
		if err == sql.ErrNoRows {
			return db.notFound("issuance record", id)
		}
		return err
	})
	return out, db.wrap("issuance.get", id, err)
}

func (r issuance) ConsumeChallenge(ctx context.Context, id uuid.UUID, challenge string, now time.Time) (out store.IssuanceRecord, err error) {
	db := r.h.base()
	now = Norm(now)
	err = r.h.run(ctx, write, func(tx q) error {
		rec, err := scanIssuance(tx.QueryRowContext(ctx, issuanceSelect+" WHERE id = ?"+db.d.ForUpdate, id))
		switch {
		case err == sql.ErrNoRows:
			return db.notFound("issuance record", id)
		case err != nil:
			return err
		case subtle.ConstantTimeCompare([]byte(rec.Challenge), []byte(challenge)) != 1:
			return db.conflict("challenge of issuance record %s: mismatch", id)
		case !rec.ChallengeUsedAt.IsZero():
			return db.conflict("challenge of issuance record %s: already used", id)
		case rec.ChallengeExpires.Before(now):
			return db.conflict("challenge of issuance record %s: expired", id)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE cs_issuance SET challenge_used_at = ? WHERE id = ?", db.tv(now), id); err != nil {
			return err
		}
		rec.ChallengeUsedAt = now
		out = rec
		return nil
	})
	return out, db.wrap("issuance.consume_challenge", id, err)
}

func (r issuance) MarkIssued(ctx context.Context, id uuid.UUID, holderDID string, status []store.StatusRef, credentialID string, cred json.RawMessage, at time.Time) error {
	if err := store.ValidJSON("issuance.credential", cred); err != nil {
		return err
	}
	st, err := jsonArg(status, len(status) == 0)
	if err != nil {
		return credential.Invalid("issuance.status", err.Error())
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		ok, err := exists(ctx, tx, "SELECT 1 FROM cs_issuance WHERE id = ?"+db.d.ForUpdate, id)
		if err != nil {
			return err
		}
		if !ok {
			return db.notFound("issuance record", id)
		}
		_, err = tx.ExecContext(ctx, "UPDATE cs_issuance SET state = ?, holder_did = ?, status = ?, credential_id = ?, credential = ?, issued_at = ? WHERE id = ?",
			store.IssuanceIssued, holderDID, st, credentialID, rawArg(cred), db.tv(at), id)
		return err
	})
	return db.wrap("issuance.mark_issued", id, err)
}

func (r issuance) ListByAward(ctx context.Context, award uuid.UUID) (out []store.IssuanceRecord, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanIssuance, issuanceSelect+" WHERE award_uuid = ? ORDER BY created_at, seq", award)
		return err
	})
	if out == nil && err == nil {
		out = []store.IssuanceRecord{}
	}
	return out, db.wrap("issuance.list_by_award", award, err)
}

type statusLists repos

const listSelect = "SELECT id, issuer, purpose, size, status_size, seed, next_ordinal, version, created_at, updated_at FROM cs_status_lists"

func scanList(row rowScanner) (l store.StatusList, err error) {
	err = row.Scan(&l.ID, &l.Issuer, &l.Purpose, &l.Size, &l.StatusSize, &l.Seed, &l.Next, &l.Version, ts{&l.CreatedAt}, ts{&l.UpdatedAt})
	return l, err
}

func validPurpose(p string) bool {
	return p == store.PurposeRevocation || p == store.PurposeSuspension || p == store.PurposeMessage
}

func (r statusLists) Allocate(ctx context.Context, issuer, purpose string, newList func() store.StatusList) (l store.StatusList, ordinal int64, err error) {
	switch {
	case issuer == "":
		return l, 0, credential.Invalid("status_list.issuer", "must not be empty")
	case !validPurpose(purpose):
		return l, 0, credential.Invalid("status_list.purpose", "unknown purpose "+purpose)
	case newList == nil:
		return l, 0, credential.Invalid("newList", "must not be nil")
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		// The head row of (issuer, purpose) is the lock that serialises
		// allocation, including the creation of a new list.
		if _, err := db.insertIgnore(ctx, tx, "cs_status_heads", []string{"issuer", "purpose"}, issuer, purpose); err != nil {
			return err
		}
		if _, err := exists(ctx, tx, "SELECT 1 FROM cs_status_heads WHERE issuer = ? AND purpose = ?"+db.d.ForUpdate, issuer, purpose); err != nil {
			return err
		}
		l, err = scanList(tx.QueryRowContext(ctx, listSelect+" WHERE issuer = ? AND purpose = ? AND next_ordinal < size ORDER BY seq DESC LIMIT 1"+db.d.ForUpdate, issuer, purpose))
		if err == sql.ErrNoRows {
			l, err = db.createList(ctx, tx, issuer, purpose, newList())
		}
		if err != nil {
			return err
		}
		ordinal = l.Next
		_, err = tx.ExecContext(ctx, "UPDATE cs_status_lists SET next_ordinal = next_ordinal + 1, updated_at = ? WHERE id = ?", db.tv(db.now()), l.ID)
		return err
	})
	if err != nil {
		return store.StatusList{}, 0, db.wrap("status_lists.allocate", issuer+"/"+purpose, err)
	}
	return l, ordinal, nil
}

// createList validates and stores a list made by an Allocate caller's newList.
func (db *DB) createList(ctx context.Context, tx q, issuer, purpose string, nl store.StatusList) (store.StatusList, error) {
	switch {
	case nl.ID == "":
		return nl, credential.Invalid("status_list.id", "newList returned an empty id")
	case len(nl.Seed) == 0:
		return nl, credential.Invalid("status_list.seed", "newList returned no seed")
	case nl.Size <= 0:
		return nl, credential.Invalid("status_list.size", "newList returned a non-positive size")
	case nl.StatusSize < 0 || nl.StatusSize > 8:
		return nl, credential.Invalid("status_list.status_size", "must be between 1 and 8")
	case nl.Issuer != "" && nl.Issuer != issuer:
		return nl, credential.Invalid("status_list.issuer", "newList returned another issuer")
	case nl.Purpose != "" && nl.Purpose != purpose:
		return nl, credential.Invalid("status_list.purpose", "newList returned another purpose")
	}
	nl.Issuer, nl.Purpose = issuer, purpose
	if nl.StatusSize == 0 {
		nl.StatusSize = 1
	}
	now := db.now()
	nl.Next, nl.Version, nl.CreatedAt, nl.UpdatedAt = 0, 0, now, now
	ok, err := db.insertIgnore(ctx, tx, "cs_status_lists",
		[]string{"id", "issuer", "purpose", "size", "status_size", "seed", "next_ordinal", "version", "created_at", "updated_at"},
		nl.ID, issuer, purpose, nl.Size, nl.StatusSize, nl.Seed, 0, 0, db.tv(now), db.tv(now))
	if err == nil && !ok {
		err = db.conflict("status list %q already exists", nl.ID)
	}
	return nl, err
}

func (r statusLists) Get(ctx context.Context, id string) (l store.StatusList, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		l, err = scanList(tx.QueryRowContext(ctx, listSelect+" WHERE id = ?", id))
		if err == sql.ErrNoRows {
			return db.notFound("status list", id)
		}
		return err
	})
	return l, db.wrap("status_lists.get", id, err)
}

func (r statusLists) List(ctx context.Context, issuer string) (out []store.StatusList, err error) {
	db := r.h.base()
	query, args := listSelect+" ORDER BY seq", []any(nil)
	if issuer != "" {
		query, args = listSelect+" WHERE issuer = ? ORDER BY seq", []any{issuer}
	}
	err = r.h.run(ctx, read, func(tx q) error {
		out, err = collect(ctx, tx, scanList, query, args...)
		return err
	})
	if out == nil && err == nil {
		out = []store.StatusList{}
	}
	return out, db.wrap("status_lists.list", issuer, err)
}

func (r statusLists) SetStatus(ctx context.Context, listID string, index, value int) (changed bool, err error) {
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		var size, bits int
		err := tx.QueryRowContext(ctx, "SELECT size, status_size FROM cs_status_lists WHERE id = ?"+db.d.ForUpdate, listID).Scan(&size, &bits)
		switch {
		case err == sql.ErrNoRows:
			return db.notFound("status list", listID)
		case err != nil:
			return err
		case index < 0 || index >= size:
			return credential.Invalid("status.index", "out of the list's range")
		case value < 0 || value >= 1<<bits:
			return credential.Invalid("status.value", "does not fit the list's status size")
		}
		var old int
		err = tx.QueryRowContext(ctx, "SELECT value FROM cs_status_entries WHERE list_id = ? AND idx = ?", listID, index).Scan(&old)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if old == value {
			return nil
		}
		if value == 0 {
			_, err = tx.ExecContext(ctx, "DELETE FROM cs_status_entries WHERE list_id = ? AND idx = ?", listID, index)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL("cs_status_entries", "list_id", "idx", "value")+
				db.d.OnConflictUpdate([]string{"list_id", "idx"}, []string{"value"}), listID, index, value)
		}
		if err != nil {
			return err
		}
		changed = true
		_, err = tx.ExecContext(ctx, "UPDATE cs_status_lists SET version = version + 1, updated_at = ? WHERE id = ?", db.tv(db.now()), listID)
		return err
	})
	return changed, db.wrap("status_lists.set_status", fmt.Sprintf("%s[%d]", listID, index), err)
}

func (r statusLists) Entries(ctx context.Context, listID string) (out []store.StatusEntry, version int64, err error) {
	db := r.h.base()
	err = r.h.run(ctx, snapshot, func(tx q) error {
		err := tx.QueryRowContext(ctx, "SELECT version FROM cs_status_lists WHERE id = ?", listID).Scan(&version)
		if err == sql.ErrNoRows {
			return db.notFound("status list", listID)
		}
		if err != nil {
			return err
		}
		out, err = collect(ctx, tx, func(row rowScanner) (e store.StatusEntry, err error) {
			err = row.Scan(&e.Index, &e.Value)
			return e, err
		}, "SELECT idx, value FROM cs_status_entries WHERE list_id = ? ORDER BY idx", listID)
		return err
	})
	if out == nil && err == nil {
		out = []store.StatusEntry{}
	}
	return out, version, db.wrap("status_lists.entries", listID, err)
}

type exchanges repos

const exchangeSelect = "SELECT id, protocol, state, learner_id, award_uuid, data, expires_at, created_at, updated_at FROM cs_exchanges"

func scanExchange(row rowScanner) (e store.Exchange, err error) {
	var d []byte
	err = row.Scan(&e.ID, &e.Protocol, &e.State, &e.LearnerID, &e.AwardUUID, &d, ts{&e.ExpiresAt}, ts{&e.CreatedAt}, ts{&e.UpdatedAt})
	e.Data = raw(d)
	return e, err
}

func (r exchanges) Create(ctx context.Context, e store.Exchange) error {
	switch {
	case e.ID == "":
		return credential.Invalid("exchange.id", "must not be empty")
	case e.ExpiresAt.IsZero():
		return credential.Invalid("exchange.expires_at", "must be set")
	}
	if err := store.ValidJSON("exchange.data", e.Data); err != nil {
		return err
	}
	db := r.h.base()
	err := r.h.run(ctx, write, func(tx q) error {
		now := db.tv(db.now())
		ok, err := db.insertIgnore(ctx, tx, "cs_exchanges",
			[]string{"id", "protocol", "state", "learner_id", "award_uuid", "data", "expires_at", "created_at", "updated_at"},
			e.ID, e.Protocol, e.State, e.LearnerID, e.AwardUUID, rawArg(e.Data), db.tv(e.ExpiresAt), now, now)
		if err == nil && !ok {
			err = db.conflict("exchange %q already exists", e.ID)
		}
		return err
	})
	return db.wrap("exchanges.create", e.ID, err)
}

// live reads the exchange unless it is absent or expired at now.
func (db *DB) liveExchange(ctx context.Context, tx q, id string, now time.Time, lock string) (store.Exchange, error) {
	e, err := scanExchange(tx.QueryRowContext(ctx, exchangeSelect+" WHERE id = ?"+lock, id))
	if err == sql.ErrNoRows || err == nil && e.ExpiresAt.Before(Norm(now)) {
		return store.Exchange{}, db.notFound("exchange", id)
	}
	return e, err
}

func (r exchanges) Get(ctx context.Context, id string, now time.Time) (e store.Exchange, err error) {
	db := r.h.base()
	err = r.h.run(ctx, read, func(tx q) error {
		e, err = db.liveExchange(ctx, tx, id, now, "")
		return err
	})
	return e, db.wrap("exchanges.get", id, err)
}

func (r exchanges) Transition(ctx context.Context, id, from, to string, data json.RawMessage, now time.Time) (e store.Exchange, err error) {
	if to == "" {
		return e, credential.Invalid("exchange.state", "target state must not be empty")
	}
	if err := store.ValidJSON("exchange.data", data); err != nil {
		return e, err
	}
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		e, err = db.liveExchange(ctx, tx, id, now, db.d.ForUpdate)
		if err != nil {
			return err
		}
		if e.State != from {
			return db.conflict("exchange %q is in state %q, not %q", id, e.State, from)
		}
		e.State, e.UpdatedAt = to, db.now()
		if data != nil {
			e.Data = append(json.RawMessage(nil), data...)
		}
		_, err = tx.ExecContext(ctx, "UPDATE cs_exchanges SET state = ?, data = ?, updated_at = ? WHERE id = ?", to, rawArg(e.Data), db.tv(e.UpdatedAt), id)
		return err
	})
	if err != nil {
		return store.Exchange{}, db.wrap("exchanges.transition", id, err)
	}
	return e, nil
}

func (r exchanges) DeleteExpired(ctx context.Context, now time.Time) (n int, err error) {
	db := r.h.base()
	err = r.h.run(ctx, write, func(tx q) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM cs_exchanges WHERE expires_at < ?", db.tv(now))
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	return n, db.wrap("exchanges.delete_expired", nil, err)
}
