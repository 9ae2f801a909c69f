package memstore

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

// state is everything the store holds. Values in the maps are private
// copies: nothing handed in or out aliases them.
type state struct {
	learners map[int64]credential.Learner

	awards     map[uuid.UUID]credential.Award
	awardByKey map[awardKey]uuid.UUID // the current (highest) generation
	awardByGen map[awardGenKey]uuid.UUID

	progress     map[int64]store.BadgeProgress
	progressByKy map[progressKey]int64
	progressOf   map[int64]map[uuid.UUID]int64                     // learner → template → progress id
	fulfilled    map[int64]map[string]store.Fulfillment            // progress → requirement
	observed     map[int64]map[string]map[string]store.Observation // progress → requirement → value
	progressSeq  int64

	events map[eventKey]eventMark

	outbox      map[int64]store.OutboxItem
	outboxByKey map[string]int64
	pendingIdx  dueIndex           // pending items by NotBefore
	leasedIdx   dueIndex           // leased items by LeaseUntil
	dead        map[int64]struct{} // dead items
	outboxSeq   int64

	issuance    map[uuid.UUID]issuanceRow
	issuanceSeq int64

	lists    map[string]listRow
	entries  map[string]map[int]int
	listSeq  int64
	exchange map[string]store.Exchange

	accounts  map[accountKey]store.ProviderAccount
	templates map[uuid.UUID]store.Template
	rules     map[uuid.UUID]map[int]json.RawMessage
}

func newState() *state {
	return &state{
		learners:     map[int64]credential.Learner{},
		awards:       map[uuid.UUID]credential.Award{},
		awardByKey:   map[awardKey]uuid.UUID{},
		awardByGen:   map[awardGenKey]uuid.UUID{},
		progress:     map[int64]store.BadgeProgress{},
		progressByKy: map[progressKey]int64{},
		progressOf:   map[int64]map[uuid.UUID]int64{},
		fulfilled:    map[int64]map[string]store.Fulfillment{},
		observed:     map[int64]map[string]map[string]store.Observation{},
		events:       map[eventKey]eventMark{},
		outbox:       map[int64]store.OutboxItem{},
		outboxByKey:  map[string]int64{},
		dead:         map[int64]struct{}{},
		issuance:     map[uuid.UUID]issuanceRow{},
		lists:        map[string]listRow{},
		entries:      map[string]map[int]int{},
		exchange:     map[string]store.Exchange{},
		accounts:     map[accountKey]store.ProviderAccount{},
		templates:    map[uuid.UUID]store.Template{},
		rules:        map[uuid.UUID]map[int]json.RawMessage{},
	}
}

type awardKey struct {
	learner int64
	kind    credential.Kind
	id      string
}

// awardGenKey is an award's unique key: one row per generation.
type awardGenKey struct {
	awardKey
	gen int
}

type progressKey struct {
	learner  int64
	template uuid.UUID
}

type eventKey struct{ group, id string }

type eventMark struct{ at time.Time }

type accountKey struct{ provider, id string }

// issuanceRow keeps insertion order for stable "oldest first" listings.
type issuanceRow struct {
	seq int64
	r   store.IssuanceRecord
}

// listRow keeps creation order for "newest list" and "oldest first".
type listRow struct {
	seq int64
	l   store.StatusList
}

func uuidLess(a, b uuid.UUID) bool { return bytes.Compare(a[:], b[:]) < 0 }

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}

func copyAward(a credential.Award) credential.Award {
	a.Evidence = maps.Clone(a.Evidence)
	a.Providers = slices.Clone(a.Providers)
	return a
}

func normAward(a credential.Award) credential.Award {
	a = copyAward(a)
	a.AwardedAt = norm(a.AwardedAt)
	a.RevokedAt = norm(a.RevokedAt)
	a.Awarded.EventTime = norm(a.Awarded.EventTime)
	a.Revoked.EventTime = norm(a.Revoked.EventTime)
	a.UpdatedAt = norm(a.UpdatedAt)
	for i := range a.Providers {
		a.Providers[i].UpdatedAt = norm(a.Providers[i].UpdatedAt)
	}
	return a
}

func copyOutbox(it store.OutboxItem) store.OutboxItem {
	it.Payload = cloneRaw(it.Payload)
	return it
}

func copyIssuance(r store.IssuanceRecord) store.IssuanceRecord {
	r.Status = slices.Clone(r.Status)
	r.Credential = cloneRaw(r.Credential)
	return r
}

func copyList(l store.StatusList) store.StatusList {
	l.Seed = slices.Clone(l.Seed)
	return l
}

func copyExchange(e store.Exchange) store.Exchange {
	e.Data = cloneRaw(e.Data)
	return e
}

func copyAccount(a store.ProviderAccount) store.ProviderAccount {
	a.Settings = maps.Clone(a.Settings)
	return a
}

func copyTemplate(t store.Template) store.Template {
	t.Rules = cloneRaw(t.Rules)
	return t
}

func copyFulfillment(f store.Fulfillment) store.Fulfillment {
	f.Matched = cloneRaw(f.Matched)
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
