package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/google/uuid"
)

func (s suite) transactions(t *testing.T) {
	t.Run("Commit", s.txCommit)
	t.Run("ErrorLeavesNoTrace", s.txError)
	t.Run("PanicLeavesNoTrace", s.txPanic)
	t.Run("RollbackRestoresUpdates", s.txRestores)
}

// world is one set of writes touching every record store.
type world struct {
	learner  int64
	course   credential.AchievementRef
	award    uuid.UUID
	template uuid.UUID
	group    string
	event    string
	key      string
	issuance uuid.UUID
	exchange string
	account  string
	issuer   string
	at       time.Time
}

func newWorld(tag string) world {
	return world{
		learner: 4242, course: credential.CourseCertificate("course-v1:Tx+" + tag + "+R"), award: uuid.New(),
		template: uuid.New(), group: "g-" + tag, event: "ev-" + tag, key: "key-" + tag, issuance: uuid.New(),
		exchange: "ex-" + tag, account: "acct-" + tag, issuer: "did:web:" + tag + ".example", at: base(),
	}
}

// write performs the writes through tx, checking that each is visible
// inside the transaction.
func (w world) write(ctx context.Context, tx store.Repos) error {
	if _, _, err := tx.Learners().Upsert(ctx, credential.Learner{UserID: w.learner, Username: "tx"}); err != nil {
		return err
	}
	a, err := credential.NewAward(w.learner, w.course, credential.Cause{EventID: w.event, EventTime: w.at})
	if err != nil {
		return err
	}
	a.UUID = w.award
	if _, _, err := tx.Awards().Put(ctx, a); err != nil {
		return err
	}
	if _, err := tx.Awards().GetByUUID(ctx, w.award); err != nil {
		return fmt.Errorf("own award not visible inside the transaction: %w", err)
	}
	p, _, err := tx.Progress().GetOrCreate(ctx, w.learner, w.template, 1)
	if err != nil {
		return err
	}
	if _, err := tx.Progress().Fulfill(ctx, p.ID, store.Fulfillment{RequirementID: "r1", EventID: w.event, EventTime: w.at}); err != nil {
		return err
	}
	if _, err := tx.Progress().Observe(ctx, p.ID, store.Observation{RequirementID: "r1", Value: "v", EventID: w.event, EventTime: w.at}); err != nil {
		return err
	}
	if _, err := tx.Events().MarkProcessed(ctx, w.group, w.event, w.at); err != nil {
		return err
	}
	if done, err := tx.Events().IsProcessed(ctx, w.group, w.event); err != nil || !done {
		return fmt.Errorf("own mark not visible inside the transaction: %v, %v", done, err)
	}
	if _, _, err := tx.Outbox().Enqueue(ctx, item(w.key, w.at)); err != nil {
		return err
	}
	r := issuanceRecord(w.award, w.at)
	r.ID = w.issuance
	if err := tx.Issuance().Create(ctx, r); err != nil {
		return err
	}
	l, _, err := tx.StatusLists().Allocate(ctx, w.issuer, store.PurposeRevocation, listMaker("tx", 50, 1))
	if err != nil {
		return err
	}
	if _, err := tx.StatusLists().SetStatus(ctx, l.ID, 3, 1); err != nil {
		return err
	}
	if err := tx.Exchanges().Create(ctx, store.Exchange{ID: w.exchange, Protocol: "vcapi", State: "pending",
		LearnerID: w.learner, AwardUUID: w.award, ExpiresAt: w.at.Add(time.Hour)}); err != nil {
		return err
	}
	if err := tx.Config().PutAccount(ctx, store.ProviderAccount{ID: w.account, Provider: "credly", Secret: "s"}); err != nil {
		return err
	}
	_, err = tx.Config().PutTemplate(ctx, store.Template{UUID: w.template, Name: "tx", Provider: "credly",
		State: store.TemplateDraft, Rules: []byte(`{"r":1}`)})
	return err
}

// check verifies that every write of w is present (want true) or that none
// is (want false).
func (w world) check(t *testing.T, st store.Store, want bool) {
	t.Helper()
	ctx := t.Context()
	present := func(what string, err error) {
		t.Helper()
		switch {
		case err == nil && !want:
			t.Errorf("%s: present after rollback", what)
		case err != nil && want:
			t.Errorf("%s: missing after commit: %v", what, err)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err := st.Learners().Get(ctx, w.learner)
	present("learner", err)
	_, err = st.Awards().Get(ctx, w.learner, w.course)
	present("award", err)
	_, err = st.Awards().GetByUUID(ctx, w.award)
	present("award by uuid", err)
	p, err := st.Progress().Get(ctx, w.learner, w.template)
	present("badge progress", err)
	if err == nil {
		fs, _ := st.Progress().Fulfillments(ctx, p.ID)
		obs, _ := st.Progress().Observations(ctx, p.ID, "r1")
		if len(fs) != 1 || len(obs) != 1 {
			t.Errorf("fulfilments %d, observations %d; want 1 and 1", len(fs), len(obs))
		}
	}
	done, err := st.Events().IsProcessed(ctx, w.group, w.event)
	if err != nil || done != want {
		t.Errorf("IsProcessed = %v, %v; want %v", done, err, want)
	}
	ob := st.Outbox()
	id, enq, err := ob.Enqueue(ctx, item(w.key, w.at)) // enqueued again only if the first was rolled back
	if err != nil || enq == want {
		t.Errorf("outbox item present = %v (%v), want %v", !enq, err, want)
	}
	if !want {
		// Undo the probe so later checks see the same store.
		if got, _ := ob.Claim(ctx, "probe", w.at, time.Minute, 10); len(got) == 1 && got[0].ID == id {
			_ = ob.Kill(ctx, id, "probe", "probe")
		}
	}
	_, err = st.Issuance().Get(ctx, w.issuance)
	present("issuance record", err)
	lists, err := st.StatusLists().List(ctx, w.issuer)
	if err != nil || (len(lists) == 1) != want {
		t.Errorf("status lists of the issuer = %d, %v; want present=%v", len(lists), err, want)
	}
	if want && len(lists) == 1 {
		if e, _, _ := st.StatusLists().Entries(ctx, lists[0].ID); len(e) != 1 {
			t.Errorf("status entries = %v", e)
		}
	}
	_, err = st.Exchanges().Get(ctx, w.exchange, w.at)
	present("exchange", err)
	_, err = st.Config().GetAccount(ctx, "credly", w.account)
	present("provider account", err)
	_, err = st.Config().GetTemplate(ctx, w.template)
	present("template", err)
	_, err = st.Config().RulesAt(ctx, w.template, 1)
	present("template rules", err)
}

func (s suite) txCommit(t *testing.T) {
	st := s.open(t)
	w := newWorld("commit")
	if err := st.InTx(t.Context(), w.write); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	w.check(t, st, true)
}

func (s suite) txError(t *testing.T) {
	st := s.open(t)
	w := newWorld("error")
	boom := errors.New("boom")
	err := st.InTx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		if err := w.write(ctx, tx); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx = %v, want the function's own error, unchanged", err)
	}
	w.check(t, st, false)
	// The store is usable afterwards, and the same writes commit.
	if err := st.InTx(t.Context(), w.write); err != nil {
		t.Fatalf("InTx after a rollback: %v", err)
	}
	w.check(t, st, true)
}

func (s suite) txPanic(t *testing.T) {
	st := s.open(t)
	w := newWorld("panic")
	var err error
	recovered := func() (r any) {
		defer func() { r = recover() }()
		err = st.InTx(t.Context(), func(ctx context.Context, tx store.Repos) error {
			if err := w.write(ctx, tx); err != nil {
				return err
			}
			panic("boom")
		})
		return nil
	}()
	if recovered == nil && err == nil {
		t.Fatal("InTx swallowed a panic: no panic and no error")
	}
	w.check(t, st, false)
	if err := st.InTx(t.Context(), w.write); err != nil {
		t.Fatalf("InTx after a panic: %v", err)
	}
	w.check(t, st, true)
}

// txRestores: a rolled-back transaction that changed existing records
// leaves them as they were.
func (s suite) txRestores(t *testing.T) {
	ctx := t.Context()
	st := s.open(t)
	w := newWorld("restore")
	must(t, "InTx", st.InTx(ctx, w.write))
	before, err := st.Awards().GetByUUID(ctx, w.award)
	must(t, "GetByUUID", err)
	lists, _ := st.StatusLists().List(ctx, w.issuer)
	listBefore := lists[0]
	ob := st.Outbox()
	items, _ := ob.Claim(ctx, "w", w.at, time.Minute, 10)
	if len(items) != 1 {
		t.Fatalf("Claim = %d items", len(items))
	}
	must(t, "Reschedule", ob.Reschedule(ctx, items[0].ID, "w", w.at, "first failure"))
	exBefore, _ := st.Exchanges().Get(ctx, w.exchange, w.at)

	boom := errors.New("boom")
	err = st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := tx.Awards().GetByUUID(ctx, w.award)
		if err != nil {
			return err
		}
		a.Revoke(credential.Cause{EventID: "rv", EventTime: w.at})
		if _, _, err := tx.Awards().Put(ctx, a); err != nil {
			return err
		}
		if _, _, err := tx.Learners().Upsert(ctx, credential.Learner{UserID: w.learner, Username: "changed"}); err != nil {
			return err
		}
		if _, err := tx.StatusLists().SetStatus(ctx, listBefore.ID, 3, 0); err != nil {
			return err
		}
		if _, _, err := tx.StatusLists().Allocate(ctx, w.issuer, store.PurposeRevocation, listMaker("tx", 50, 1)); err != nil {
			return err
		}
		if got, err := tx.Outbox().Claim(ctx, "w2", w.at, time.Minute, 10); err != nil || len(got) != 1 {
			return fmt.Errorf("claim in tx: %d, %v", len(got), err)
		}
		if _, err := tx.Exchanges().Transition(ctx, w.exchange, "pending", "active", []byte(`{"x":1}`), w.at); err != nil {
			return err
		}
		if _, err := tx.Progress().Unfulfill(ctx, 0, nil); err != nil {
			return err
		}
		if _, err := tx.Events().Prune(ctx, w.at.Add(time.Hour)); err != nil {
			return err
		}
		if _, err := tx.Config().PutTemplate(ctx, store.Template{UUID: w.template, Name: "tx2", Provider: "credly",
			State: store.TemplateActive, Rules: []byte(`{"r":2}`)}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx = %v", err)
	}
	after, _ := st.Awards().GetByUUID(ctx, w.award)
	checkAward(t, "award after rollback", after, before)
	if l, _ := st.Learners().Get(ctx, w.learner); l.Username != "tx" {
		t.Errorf("learner after rollback = %+v", l)
	}
	l, _ := st.StatusLists().Get(ctx, listBefore.ID)
	e, v, _ := st.StatusLists().Entries(ctx, listBefore.ID)
	if l.Next != listBefore.Next || v != listBefore.Version || len(e) != 1 {
		t.Errorf("status list after rollback: Next %d (was %d), version %d (was %d), entries %v",
			l.Next, listBefore.Next, v, listBefore.Version, e)
	}
	it, _ := ob.Get(ctx, items[0].ID)
	if it.Status != store.OutboxPending || it.Attempts != 1 || it.LastError != "first failure" || it.LeaseOwner == "w2" {
		t.Errorf("outbox item after rollback = %+v", it)
	}
	if ex, _ := st.Exchanges().Get(ctx, w.exchange, w.at); ex.State != exBefore.State || !jsonEqual(ex.Data, exBefore.Data) {
		t.Errorf("exchange after rollback = %+v", ex)
	}
	if done, _ := st.Events().IsProcessed(ctx, w.group, w.event); !done {
		t.Error("pruned event mark not restored by the rollback")
	}
	if tpl, _ := st.Config().GetTemplate(ctx, w.template); tpl.RulesVersion != 1 || tpl.Name != "tx" {
		t.Errorf("template after rollback = %+v", tpl)
	}
	_, err = st.Config().RulesAt(ctx, w.template, 2)
	wantErr(t, "RulesAt(rolled-back version)", err, store.ErrNotFound)
}
