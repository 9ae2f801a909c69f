package memstore

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

type issuance repos

func (r issuance) Create(ctx context.Context, rec store.IssuanceRecord) error {
	if err := store.PrepareIssuanceRecord(&rec); err != nil {
		return err
	}
	rec = copyIssuance(rec)
	rec.ChallengeExpires = norm(rec.ChallengeExpires)
	rec.ChallengeUsedAt = norm(rec.ChallengeUsedAt)
	rec.CreatedAt = norm(rec.CreatedAt)
	rec.IssuedAt = norm(rec.IssuedAt)
	return r.h.do(ctx, func(t *txn) error {
		if _, ok := t.st.issuance[rec.ID]; ok {
			return store.Conflict("issuance record %s already exists", rec.ID)
		}
		if rec.CreatedAt.IsZero() {
			rec.CreatedAt = t.now()
		}
		t.st.issuanceSeq++
		put(t, t.st.issuance, rec.ID, issuanceRow{seq: t.st.issuanceSeq, r: rec})
		return nil
	})
}

func (r issuance) Get(ctx context.Context, id uuid.UUID) (out store.IssuanceRecord, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.issuance[id]
		if !ok {
			return store.NotFound("issuance record", id)
		}
		out = copyIssuance(row.r)
		return nil
	})
	return out, err
}

func (r issuance) ConsumeChallenge(ctx context.Context, id uuid.UUID, challenge string, now time.Time) (out store.IssuanceRecord, err error) {
	now = norm(now)
	err = r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.issuance[id]
		if !ok {
			return store.NotFound("issuance record", id)
		}
		rec := row.r
		switch {
		case subtle.ConstantTimeCompare([]byte(rec.Challenge), []byte(challenge)) != 1:
			return store.Conflict("challenge of issuance record %s: mismatch", id)
		case !rec.ChallengeUsedAt.IsZero():
			return store.Conflict("challenge of issuance record %s: already used", id)
		case rec.ChallengeExpires.Before(now):
			return store.Conflict("challenge of issuance record %s: expired", id)
		}
		rec.ChallengeUsedAt = now
		row.r = rec
		put(t, t.st.issuance, id, row)
		out = copyIssuance(rec)
		return nil
	})
	return out, err
}

func (r issuance) MarkIssued(ctx context.Context, id uuid.UUID, holderDID string, status []store.StatusRef, credentialID string, cred json.RawMessage, at time.Time) error {
	if err := store.ValidJSON("issuance.credential", cred); err != nil {
		return err
	}
	status = slices.Clone(status)
	cred = cloneRaw(cred)
	at = norm(at)
	return r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.issuance[id]
		if !ok {
			return store.NotFound("issuance record", id)
		}
		rec := row.r
		rec.State = store.IssuanceIssued
		rec.HolderDID = holderDID
		rec.Status = status
		rec.CredentialID = credentialID
		rec.Credential = cred
		rec.IssuedAt = at
		row.r = rec
		put(t, t.st.issuance, id, row)
		return nil
	})
}

func (r issuance) ListByAward(ctx context.Context, award uuid.UUID) (out []store.IssuanceRecord, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		var rows []issuanceRow
		for _, row := range t.st.issuance {
			if row.r.AwardUUID == award {
				rows = append(rows, row)
			}
		}
		slices.SortFunc(rows, func(a, b issuanceRow) int {
			if c := a.r.CreatedAt.Compare(b.r.CreatedAt); c != 0 {
				return c
			}
			return cmpInt(a.seq, b.seq)
		})
		out = make([]store.IssuanceRecord, 0, len(rows))
		for _, row := range rows {
			out = append(out, copyIssuance(row.r))
		}
		return nil
	})
	return out, err
}

type statusLists repos

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
	err = r.h.do(ctx, func(t *txn) error {
		var cur *listRow
		for _, row := range t.st.lists {
			if row.l.Issuer == issuer && row.l.Purpose == purpose && row.l.Next < int64(row.l.Size) &&
				(cur == nil || row.seq > cur.seq) {
				cur = &row
			}
		}
		if cur == nil {
			nl, err := r.fresh(t, issuer, purpose, newList())
			if err != nil {
				return err
			}
			cur = &nl
		}
		row := *cur
		l, ordinal = copyList(row.l), row.l.Next
		row.l.Next++
		row.l.UpdatedAt = t.now()
		put(t, t.st.lists, row.l.ID, row)
		return nil
	})
	return l, ordinal, err
}

// fresh validates and stores a list made by an Allocate caller's newList.
func (r statusLists) fresh(t *txn, issuer, purpose string, nl store.StatusList) (listRow, error) {
	switch {
	case nl.ID == "":
		return listRow{}, credential.Invalid("status_list.id", "newList returned an empty id")
	case len(nl.Seed) == 0:
		return listRow{}, credential.Invalid("status_list.seed", "newList returned no seed")
	case nl.Size <= 0:
		return listRow{}, credential.Invalid("status_list.size", "newList returned a non-positive size")
	case nl.StatusSize < 0 || nl.StatusSize > 8:
		return listRow{}, credential.Invalid("status_list.status_size", "must be between 1 and 8")
	case nl.Issuer != "" && nl.Issuer != issuer:
		return listRow{}, credential.Invalid("status_list.issuer", "newList returned another issuer")
	case nl.Purpose != "" && nl.Purpose != purpose:
		return listRow{}, credential.Invalid("status_list.purpose", "newList returned another purpose")
	}
	if _, ok := t.st.lists[nl.ID]; ok {
		return listRow{}, store.Conflict("status list %q already exists", nl.ID)
	}
	nl = copyList(nl)
	nl.Issuer, nl.Purpose = issuer, purpose
	if nl.StatusSize == 0 {
		nl.StatusSize = 1
	}
	now := t.now()
	nl.Next, nl.Version, nl.CreatedAt, nl.UpdatedAt = 0, 0, now, now
	t.st.listSeq++
	return listRow{seq: t.st.listSeq, l: nl}, nil
}

func (r statusLists) Get(ctx context.Context, id string) (out store.StatusList, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.lists[id]
		if !ok {
			return store.NotFound("status list", id)
		}
		out = copyList(row.l)
		return nil
	})
	return out, err
}

func (r statusLists) List(ctx context.Context, issuer string) (out []store.StatusList, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		var rows []listRow
		for _, row := range t.st.lists {
			if issuer == "" || row.l.Issuer == issuer {
				rows = append(rows, row)
			}
		}
		slices.SortFunc(rows, func(a, b listRow) int { return cmpInt(a.seq, b.seq) })
		out = make([]store.StatusList, 0, len(rows))
		for _, row := range rows {
			out = append(out, copyList(row.l))
		}
		return nil
	})
	return out, err
}

func (r statusLists) SetStatus(ctx context.Context, listID string, index, value int) (changed bool, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.lists[listID]
		if !ok {
			return store.NotFound("status list", listID)
		}
		if index < 0 || index >= row.l.Size {
			return credential.Invalid("status.index", "out of the list's range")
		}
		if value < 0 || value >= 1<<row.l.StatusSize {
			return credential.Invalid("status.value", "does not fit the list's status size")
		}
		m := t.st.entries[listID]
		if m[index] == value {
			return nil
		}
		if m == nil {
			m = map[int]int{}
			put(t, t.st.entries, listID, m)
		}
		if value == 0 {
			del(t, m, index)
		} else {
			put(t, m, index, value)
		}
		row.l.Version++
		row.l.UpdatedAt = t.now()
		put(t, t.st.lists, listID, row)
		changed = true
		return nil
	})
	return changed, err
}

func (r statusLists) Entries(ctx context.Context, listID string) (out []store.StatusEntry, version int64, err error) {
	err = r.h.do(ctx, func(t *txn) error {
		row, ok := t.st.lists[listID]
		if !ok {
			return store.NotFound("status list", listID)
		}
		m := t.st.entries[listID]
		out = make([]store.StatusEntry, 0, len(m))
		for i, v := range m {
			out = append(out, store.StatusEntry{Index: i, Value: v})
		}
		slices.SortFunc(out, func(a, b store.StatusEntry) int { return a.Index - b.Index })
		version = row.l.Version
		return nil
	})
	return out, version, err
}

type exchanges repos

func (r exchanges) Create(ctx context.Context, e store.Exchange) error {
	switch {
	case strings.TrimSpace(e.ID) == "":
		return credential.Invalid("exchange.id", "must not be empty")
	case e.ExpiresAt.IsZero():
		return credential.Invalid("exchange.expires_at", "must be set")
	}
	if err := store.ValidJSON("exchange.data", e.Data); err != nil {
		return err
	}
	e = copyExchange(e)
	e.ExpiresAt = norm(e.ExpiresAt)
	return r.h.do(ctx, func(t *txn) error {
		if _, ok := t.st.exchange[e.ID]; ok {
			return store.Conflict("exchange %q already exists", e.ID)
		}
		now := t.now()
		e.CreatedAt, e.UpdatedAt = now, now
		put(t, t.st.exchange, e.ID, e)
		return nil
	})
}

// live returns the exchange id unless it is absent or expired at now.
func (r exchanges) live(t *txn, id string, now time.Time) (store.Exchange, error) {
	e, ok := t.st.exchange[id]
	if !ok || e.ExpiresAt.Before(now) {
		return store.Exchange{}, store.NotFound("exchange", id)
	}
	return e, nil
}

func (r exchanges) Get(ctx context.Context, id string, now time.Time) (out store.Exchange, err error) {
	now = norm(now)
	err = r.h.do(ctx, func(t *txn) error {
		e, err := r.live(t, id, now)
		out = copyExchange(e)
		return err
	})
	return out, err
}

func (r exchanges) Transition(ctx context.Context, id, from, to string, data json.RawMessage, now time.Time) (out store.Exchange, err error) {
	if to == "" {
		return out, credential.Invalid("exchange.state", "target state must not be empty")
	}
	if err := store.ValidJSON("exchange.data", data); err != nil {
		return out, err
	}
	data = cloneRaw(data)
	now = norm(now)
	err = r.h.do(ctx, func(t *txn) error {
		e, err := r.live(t, id, now)
		if err != nil {
			return err
		}
		if e.State != from {
			return store.Conflict("exchange %q is in state %q, not %q", id, e.State, from)
		}
		e.State = to
		if data != nil {
			e.Data = data
		}
		e.UpdatedAt = t.now()
		put(t, t.st.exchange, id, e)
		out = copyExchange(e)
		return nil
	})
	return out, err
}

func (r exchanges) DeleteExpired(ctx context.Context, now time.Time) (n int, err error) {
	now = norm(now)
	err = r.h.do(ctx, func(t *txn) error {
		for id, e := range t.st.exchange {
			if e.ExpiresAt.Before(now) {
				del(t, t.st.exchange, id)
				n++
			}
		}
		return nil
	})
	return n, err
}
