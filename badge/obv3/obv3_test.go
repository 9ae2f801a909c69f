package obv3_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/wallet"
)

type env struct {
	st     store.Store
	p      *obv3.Provider
	cfg    obv3.Config // p's configuration
	status *status.Service
	award  credential.Award
}

func newEnv(t *testing.T) env {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := status.New(status.Config{BaseURL: "https://credentials.example.org/status"})
	if err != nil {
		t.Fatal(err)
	}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: vc.Profile{ID: didKey, Name: "Example Academy"}, Signer: iss,
		Achievement: wallet.StoreAchievements("Example Academy", nil), Status: ss.Entry})
	if err != nil {
		t.Fatal(err)
	}
	cfg := obv3.Config{Store: st, Issuer: vci, IssuerID: didKey, Status: ss, Revoker: ss, IDKey: testKey(1)}
	p, err := obv3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tpl := store.Template{UUID: uuid.New(), Name: "Python Pioneer", Provider: obv3.ID, State: store.TemplateActive}
	if _, err := st.Config().PutTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Learners().Upsert(ctx, credential.Learner{UserID: 5, Email: "ada@example.org", FullName: "Ada Lovelace", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	a, err := credential.NewAward(5, credential.Badge(tpl.UUID.String()), credential.Cause{EventID: "e1", EventTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if a, _, err = st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	return env{st: st, p: p, cfg: cfg, status: ss, award: a}
}

func revokedBits(t *testing.T, e env) int {
	t.Helper()
	lists, err := e.st.StatusLists().List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lists {
		entries, _, err := e.st.StatusLists().Entries(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		n += len(entries)
	}
	return n
}

func TestIssueIsIdempotentAndRevokeSetsTheBit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	req := badge.IssueRequest{IdempotencyKey: "k1", AwardUUID: e.award.UUID}
	r1, err := e.p.Issue(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.p.Issue(ctx, req)
	if err != nil || r2 != r1 {
		t.Fatalf("second issue = %+v, %v; want %+v", r2, err, r1)
	}
	recs, _ := e.st.Issuance().ListByAward(ctx, e.award.UUID)
	if len(recs) != 1 || recs[0].State != store.IssuanceIssued || recs[0].CredentialID != r1.ExternalID || len(recs[0].Credential) == 0 {
		t.Fatalf("records = %+v", recs)
	}
	c, err := vc.ParseCredential(recs[0].Credential)
	if err != nil || !c.Type.Has("OpenBadgeCredential") {
		t.Fatalf("credential: %v %v", c, err)
	}
	if n := revokedBits(t, e); n != 0 {
		t.Fatalf("%d bits set before revocation", n)
	}
	res, err := e.p.Revoke(ctx, badge.RevokeRequest{IdempotencyKey: "r1", AwardUUID: e.award.UUID})
	if err != nil || res.State != "revoked" {
		t.Fatalf("revoke = %+v, %v", res, err)
	}
	if _, err := e.p.Revoke(ctx, badge.RevokeRequest{IdempotencyKey: "r1", AwardUUID: e.award.UUID}); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if n := revokedBits(t, e); n != 1 {
		t.Fatalf("%d bits set after revocation, want 1", n)
	}
}

func TestRevokeBeforeIssueIsRetryable(t *testing.T) {
	e := newEnv(t)
	_, err := e.p.Revoke(context.Background(), badge.RevokeRequest{IdempotencyKey: "r", AwardUUID: e.award.UUID})
	if !errors.Is(err, badge.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestIssueAfterRevocationLeavesNoValidCredential(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.award
	a.Revoke(credential.Cause{EventID: "e2", EventTime: time.Now(), Reason: "certificate revoked"})
	if _, _, err := e.st.Awards().Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Issue(ctx, badge.IssueRequest{IdempotencyKey: "late", AwardUUID: a.UUID}); err != nil {
		t.Fatal(err)
	}
	if n := revokedBits(t, e); n != 1 {
		t.Fatalf("%d bits set, want 1: a credential issued after its award's revocation must be revoked", n)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	if _, err := e.p.Issue(context.Background(), badge.IssueRequest{AwardUUID: e.award.UUID}); !errors.Is(err, badge.ErrInvalid) {
		t.Fatalf("no idempotency key: %v", err)
	}
	if _, err := e.p.Issue(context.Background(), badge.IssueRequest{IdempotencyKey: "x", AwardUUID: uuid.New()}); !errors.Is(err, badge.ErrNotFound) {
		t.Fatalf("unknown award: %v", err)
	}
	if _, err := obv3.New(obv3.Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}
