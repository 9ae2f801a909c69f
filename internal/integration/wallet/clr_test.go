package wallettest_test

// CLR 2.0 transcripts delivered through every wallet protocol, against
// the real stores: the offer names the program certificate, the service
// decides from the store what the transcript bundles.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
	"github.com/credshare/credshare/vc/wallet/wallettest"
	"github.com/google/uuid"
)

const (
	programID = "4f1a2b3c-data-science"
	courseA   = "course-v1:X+Stats+2026"
	courseB   = "course-v1:X+ML+2026"
	courseC   = "course-v1:X+Capstone+2026"
)

// withCatalogue makes the service bundle program transcripts: the program
// is courses A, B and C.
func withCatalogue(c *wallet.Config) {
	c.Transcript = wallet.ProgramTranscript(func(_ context.Context, id string) ([]string, error) {
		if id != programID {
			return nil, nil
		}
		return []string{courseA, courseB, courseC}, nil
	})
}

// program stores an awarded program certificate of learner.
func (e *env) program(learner int64) credential.Award {
	e.t.Helper()
	a, err := credential.NewAward(learner, credential.ProgramCertificate(programID), credential.Cause{EventID: uuid.NewString(), EventTime: e.clk.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	a.Evidence = map[string]string{"program_title": "Data Science", "program_type": "MicroMasters"}
	stored, _, err := e.st.Awards().Put(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored
}

// initModel is initOffer with a data model.
func (e *env) initModel(learner int64, award uuid.UUID, storage, model string) (wallet.InitResponse, int, []byte) {
	e.t.Helper()
	body, _ := json.Marshal(wallet.InitRequest{CredentialUUID: award.String(), StorageID: storage, DataModel: model})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/credentials/init/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(learnerHeader, strconv.FormatInt(learner, 10))
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	var out wallet.InitResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			e.t.Fatal(err)
		}
	}
	return out, resp.StatusCode, buf.Bytes()
}

// deliver completes an offer as the wallet of protocol proto would.
func deliver(ctx context.Context, h *wallettest.Holder, proto string, in wallet.InitResponse, configID string) (json.RawMessage, error) {
	switch proto {
	case lcw.ID:
		return h.LCW(ctx, in.DeepLink)
	case vcapi.ID:
		u, err := wallettest.VCAPIExchangeURL(in.DeepLink)
		if err != nil {
			return nil, err
		}
		return h.VCAPI(ctx, u)
	default:
		return h.OID4VCI(ctx, in.DeepLink, configID)
	}
}

// verifier checks proofs (embedded ones too) and status against the
// lists the env publishes.
func (e *env) verifier() *verify.Verifier {
	e.t.Helper()
	checker, err := statusproof.NewChecker(e.parts.resolver, status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Resolver: e.parts.resolver, Status: checker})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func TestCLRFlows(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, proto := range []string{lcw.ID, vcapi.ID, oid4vci.ID} {
				t.Run(proto, func(t *testing.T) {
					testCLR(t, newEnvConfig(t, mk(t), nil, withCatalogue), proto)
				})
			}
			t.Run("VC1", func(t *testing.T) { testCLRVC1(t, newEnvConfig(t, mk(t), nil, withCatalogue)) })
			t.Run("OtherLearners", func(t *testing.T) { testCLROtherLearners(t, mk) })
		})
	}
}

func testCLR(t *testing.T, e *env, proto string) {
	ctx := context.Background()
	const learner, other = 30, 31
	a := e.award(learner, courseA)
	b := e.award(learner, courseB)
	prog := e.program(learner)
	// Another learner holds the whole program, the capstone included.
	e.award(other, courseA)
	e.award(other, courseC)
	e.program(other)
	h := e.holder()
	ver := e.verifier()

	// Course A was delivered to this wallet before: the CLR embeds that
	// very credential.
	first, err := h.LCW(ctx, e.mustInit(learner, a.UUID, lcw.ID, "").DeepLink)
	if err != nil {
		t.Fatal(err)
	}

	in, code, body := e.initModel(learner, prog.UUID, proto, wallet.DataModelCLR)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	if proto == oid4vci.ID {
		// The offer lists the CLR configurations only.
		var offer oid4vci.CredentialOffer
		b, _, err := h.Do(ctx, http.MethodGet, in.Offer.URL, "", nil, nil)
		if err != nil || json.Unmarshal(b, &offer) != nil || len(offer.CredentialConfigurationIDs) != 2 ||
			offer.CredentialConfigurationIDs[0] != oid4vci.CLRConfigurationID || offer.CredentialConfigurationIDs[1] != oid4vci.CLRJWTConfigurationID {
			t.Fatalf("CLR offer %s %v", b, err)
		}
		_, err = deliver(ctx, h, proto, in, "OpenBadgeCredential_ldp_vc")
		wantRefused(t, err, http.StatusBadRequest, "unsupported_credential_type")
		// (the token step spent that offer)
		if in, code, body = e.initModel(learner, prog.UUID, proto, wallet.DataModelCLR); code != http.StatusOK {
			t.Fatalf("init: %d %s", code, body)
		}
	}
	doc, err := deliver(ctx, h, proto, in, oid4vci.CLRConfigurationID)
	if err != nil {
		t.Fatal(err)
	}
	r := ver.VerifyCredential(ctx, doc)
	if !r.Valid() || len(r.Embedded) != 3 {
		t.Fatalf("CLR: %s %+v (%d embedded)\n%s", r.Verdict, r.Reasons, len(r.Embedded), doc)
	}
	if !r.Credential.Type.Has(vc.TypeClrCredential) || r.Credential.Issuer.ID != e.svc.IssuerID() {
		t.Fatalf("delivered %v by %s", r.Credential.Type, r.Credential.Issuer.ID)
	}
	want := []uuid.UUID{prog.UUID, a.UUID, b.UUID}
	for i, em := range r.Embedded {
		if !em.Valid() || !em.Credential.Type.Has("OpenBadgeCredential") || em.Credential.CredentialSubject[0].ID != h.DID {
			t.Errorf("embedded %d: %s %+v", i, em.Verdict, em.Reasons)
		}
		if recs := e.issued(want[i]); len(recs) != 1 && !(want[i] == prog.UUID && len(recs) == 2) {
			t.Errorf("award %d: %d issued records", i, len(recs))
		}
	}
	s, err := r.Credential.CLR()
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != h.DID || len(s.Achievement) != 3 || len(s.Association) != 2 || s.Association[0].TargetID != s.Achievement[0].ID ||
		s.Association[0].AssociationType != vc.AssociationIsChildOf || r.Credential.Name != "Transcript: Data Science" ||
		string(r.Credential.Extra["partial"]) != "true" {
		t.Fatalf("CLR subject %+v, name %q, partial %s", s, r.Credential.Name, r.Credential.Extra["partial"])
	}
	if !bytes.Equal(bytes.TrimSpace(s.VerifiableCredential[1]), bytes.TrimSpace(first)) {
		t.Error("the course credential delivered before was not reused")
	}
	// The CLR's record: under the program award, its own status entries,
	// apart from those of the program certificate it embeds.
	var clr, cert store.IssuanceRecord
	for _, rec := range e.issued(prog.UUID) {
		if wallet.IsCLR(rec.DataModel) {
			clr = rec
		} else {
			cert = rec
		}
	}
	if clr.ID != in.Offer.IssuanceID || len(clr.Status) == 0 || len(cert.Status) == 0 || sameStatus(clr.Status, cert.Status) ||
		clr.CredentialID != r.Credential.ID {
		t.Fatalf("CLR record %+v, certificate record %+v", clr, cert)
	}
	// The offer is one-time.
	if _, err := deliver(ctx, h, proto, in, oid4vci.CLRConfigurationID); err == nil {
		t.Fatal("the CLR offer was redeemed twice")
	}

	// A second CLR for the same wallet (through OID4VCI, as a VC-JWT)
	// reuses every embedded credential and gets fresh status entries of
	// its own.
	in2, code, body := e.initModel(learner, prog.UUID, proto, wallet.DataModelCLR)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	doc2, err := deliver(ctx, h, proto, in2, oid4vci.CLRJWTConfigurationID)
	if err != nil {
		t.Fatal(err)
	}
	if r2 := ver.VerifyCredential(ctx, doc2); !r2.Valid() || len(r2.Embedded) != 3 || !r2.Credential.Type.Has(vc.TypeClrCredential) ||
		r2.Credential.CredentialSubject[0].ID != h.DID || (proto == oid4vci.ID) != (r2.Format == vc.FormatJWT) {
		t.Fatalf("second CLR: %s %+v (%s, %d embedded)", r2.Verdict, r2.Reasons, r2.Format, len(r2.Embedded))
	}
	var clrs []store.IssuanceRecord
	for _, rec := range e.issued(prog.UUID) {
		if wallet.IsCLR(rec.DataModel) {
			clrs = append(clrs, rec)
		}
	}
	if len(clrs) != 2 || sameStatus(clrs[0].Status, clrs[1].Status) || len(e.issued(prog.UUID)) != 3 || len(e.issued(b.UUID)) != 1 {
		t.Fatalf("after a second CLR: %d CLRs, %d program records, %d course B records", len(clrs), len(e.issued(prog.UUID)), len(e.issued(b.UUID)))
	}

	// The program certificate delivered alone reuses the entries of the one
	// the CLR embeds, never the CLR's own.
	if _, err := h.LCW(ctx, e.mustInit(learner, prog.UUID, lcw.ID, "").DeepLink); err != nil {
		t.Fatal(err)
	}
	recs := e.issued(prog.UUID)
	if last := recs[len(recs)-1]; wallet.IsCLR(last.DataModel) || !sameStatus(last.Status, cert.Status) {
		t.Fatalf("program certificate after CLRs: %+v, want the status of %+v", last, cert)
	}

	// Revoking a course revokes its embedded credential: the CLR is
	// revoked, and says which one.
	revoke(t, e, b.UUID)
	if r := ver.VerifyCredential(ctx, doc); r.Verdict != vc.VerdictRevoked || !r.Has(vc.ReasonEmbedded) || r.Embedded[2].Verdict != vc.VerdictRevoked {
		t.Fatalf("CLR with a revoked course: %s %+v", r.Verdict, r.Reasons)
	}
	// Revoking the program revokes the CLRs anchored at it.
	revoke(t, e, prog.UUID)
	if r := ver.VerifyCredential(ctx, doc); r.Verdict != vc.VerdictRevoked || r.Embedded[0].Verdict != vc.VerdictRevoked {
		t.Fatalf("CLR of a revoked program: %s %+v", r.Verdict, r.Reasons)
	}
	// And no CLR is offered for a revoked program.
	if _, code, body := e.initModel(learner, prog.UUID, proto, wallet.DataModelCLR); code != http.StatusGone && code/100 != 4 {
		t.Fatalf("CLR of a revoked program: %d %s", code, body)
	}
}

// testCLRVC1 delivers a CLR on VC 1.1 (DataModelCLRVC1), which embeds
// OBv3 credentials on VC 1.1: a course credential delivered before on
// VC 2.0 is not reused, a VC 1.1 one is issued for the record.
func testCLRVC1(t *testing.T, e *env) {
	ctx := context.Background()
	a := e.award(50, courseA)
	prog := e.program(50)
	h := e.holder()
	if _, err := h.LCW(ctx, e.mustInit(50, a.UUID, lcw.ID, "").DeepLink); err != nil {
		t.Fatal(err)
	}
	in, code, body := e.initModel(50, prog.UUID, lcw.ID, wallet.DataModelCLRVC1)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	doc, err := h.LCW(ctx, in.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	r := e.verifier().VerifyCredential(ctx, doc)
	if !r.Valid() || len(r.Embedded) != 2 || r.Credential.Context[0] != vc.ContextV1 {
		t.Fatalf("VC 1.1 CLR: %s %+v (%d embedded)", r.Verdict, r.Reasons, len(r.Embedded))
	}
	for i, em := range r.Embedded {
		if !em.Valid() || em.Credential.Context[0] != vc.ContextV1 {
			t.Errorf("embedded %d: %s %v", i, em.Verdict, em.Credential.Context)
		}
	}
	if recs := e.issued(a.UUID); len(recs) != 2 || recs[1].DataModel != vc.DataModelOBv3VC1 || !sameStatus(recs[0].Status, recs[1].Status) {
		t.Fatalf("course records %+v: want a VC 1.1 one sharing the status of the VC 2.0 one", recs)
	}
}

// revoke revokes an award and the status entries of its credentials, in
// one transaction.
func revoke(t *testing.T, e *env, award uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	err := e.st.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Awards().GetByUUID(ctx, award)
		if err != nil {
			return err
		}
		cur.Revoke(credential.Cause{EventID: "revoke-" + award.String(), EventTime: e.clk.Now(), Reason: "revoked"})
		revoked, _, err := tx.Awards().Put(ctx, cur)
		if err != nil {
			return err
		}
		return e.parts.statuses.RevokeAward(ctx, tx, revoked)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A wallet cannot get another learner's awards into its CLR: the offer is
// for the signed-in learner's own award, the transcript is read from the
// store for that learner, and a transcript that names someone else's award
// (a host's bug) issues nothing.
func testCLROtherLearners(t *testing.T, mk func(t *testing.T) store.Store) {
	ctx := context.Background()
	const learner, other = 40, 41
	var leak uuid.UUID
	e := newEnvConfig(t, mk(t), nil, func(c *wallet.Config) {
		def := wallet.LearnerTranscript()
		c.Transcript = func(ctx context.Context, repos store.Repos, anchor credential.Award) (wallet.Transcript, error) {
			t, err := def(ctx, repos, anchor)
			if anchor.Achievement.Kind == credential.KindBadge {
				// The host's bug: it adds an award it looked up by id.
				t.Awards = append(t.Awards, credential.Award{UUID: leak})
			}
			return t, err
		}
	})
	mine := e.award(learner, courseA)
	theirs := e.award(other, courseB)
	e.award(other, courseC)
	leak = theirs.UUID

	// Offering a CLR anchored at another learner's award is refused.
	if _, code, body := e.initModel(learner, theirs.UUID, lcw.ID, wallet.DataModelCLR); code != http.StatusForbidden {
		t.Fatalf("CLR of another learner's award: %d %s", code, body)
	}
	// The default transcript holds the learner's own awards only.
	h := e.holder()
	in, code, body := e.initModel(learner, mine.UUID, vcapi.ID, wallet.DataModelCLR)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	doc, err := deliver(ctx, h, vcapi.ID, in, "")
	if err != nil {
		t.Fatal(err)
	}
	r := e.verifier().VerifyCredential(ctx, doc)
	if !r.Valid() || len(r.Embedded) != 1 || r.Embedded[0].Credential.CredentialSubject[0].ID != h.DID {
		t.Fatalf("own transcript: %s %+v (%d embedded)", r.Verdict, r.Reasons, len(r.Embedded))
	}
	if n := len(e.issued(theirs.UUID)); n != 0 {
		t.Fatalf("%d credentials issued for the other learner's award", n)
	}
	// A transcript naming another learner's award fails the issuance and
	// keeps nothing.
	tpl, err := e.st.Config().PutTemplate(ctx, store.Template{UUID: uuid.New(), Name: "Data Pro", Provider: "obv3", State: store.TemplateActive})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := credential.NewAward(learner, credential.Badge(tpl.UUID.String()), credential.Cause{EventID: "badge-40", EventTime: e.clk.Now()})
	badge, _, err := e.st.Awards().Put(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	in, code, body = e.initModel(learner, badge.UUID, lcw.ID, wallet.DataModelCLR)
	if code != http.StatusOK {
		t.Fatalf("init: %d %s", code, body)
	}
	_, err = h.LCW(ctx, in.DeepLink)
	wantRefused5xx(t, err)
	if n, m := len(e.issued(theirs.UUID)), len(e.issued(badge.UUID)); n != 0 || m != 0 {
		t.Fatalf("a refused CLR issued %d credentials of the other learner, %d of the badge", n, m)
	}
}

// wantRefused5xx checks that err is a 500 answer that says nothing of the
// cause.
func wantRefused5xx(t *testing.T, err error) {
	t.Helper()
	re, ok := err.(*wallettest.ResponseError)
	if !ok || re.Status != http.StatusInternalServerError || bytes.Contains([]byte(re.Description), []byte("learner")) {
		t.Fatalf("want a generic 500, got %v", err)
	}
}
