package wallet_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

func putAward(t *testing.T, st store.Store, learner int64, ref credential.AchievementRef, revoked bool) credential.Award {
	t.Helper()
	a, err := credential.NewAward(learner, ref, credential.Cause{EventID: uuid.NewString(), EventTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if revoked {
		a.Revoke(credential.Cause{EventID: uuid.NewString(), EventTime: time.Now()})
	}
	stored, _, err := st.Awards().Put(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func uuids(as []credential.Award) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(as))
	for _, a := range as {
		out = append(out, a.UUID)
	}
	return out
}

func TestLearnerTranscript(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	a := putAward(t, st, 1, credential.CourseCertificate("course-v1:X+A+1"), false)
	putAward(t, st, 1, credential.CourseCertificate("course-v1:X+B+1"), true)
	c := putAward(t, st, 1, credential.Badge(uuid.NewString()), false)
	p := putAward(t, st, 1, credential.ProgramCertificate("prog"), false)
	putAward(t, st, 2, credential.CourseCertificate("course-v1:X+A+1"), false)
	tr, err := wallet.LearnerTranscript()(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	got := uuids(tr.Awards)
	if len(got) != 3 || got[0] != p.UUID || !(got[1] == a.UUID && got[2] == c.UUID || got[1] == c.UUID && got[2] == a.UUID) || tr.Partial {
		t.Fatalf("transcript %v (partial %v), want the program, then %s and %s", got, tr.Partial, a.UUID, c.UUID)
	}
}

func TestProgramTranscript(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	a := putAward(t, st, 1, credential.CourseCertificate("course-v1:X+A+1"), false)
	putAward(t, st, 1, credential.CourseCertificate("course-v1:X+B+1"), true)
	putAward(t, st, 2, credential.CourseCertificate("course-v1:X+C+1"), false)
	p := putAward(t, st, 1, credential.ProgramCertificate("prog"), false)
	p.Evidence = map[string]string{"program_title": "Data Science"}
	f := wallet.ProgramTranscript(func(_ context.Context, id string) ([]string, error) {
		if id != "prog" {
			return nil, errors.New("unknown program")
		}
		return []string{"course-v1:X+A+1", "course-v1:X+B+1", "course-v1:X+C+1"}, nil
	})
	tr, err := f(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	// B is revoked, C is another learner's: left out, the record partial.
	if got := uuids(tr.Awards); len(got) != 2 || got[0] != p.UUID || got[1] != a.UUID || !tr.Partial || tr.Name != "Transcript: Data Science" {
		t.Fatalf("transcript %v, partial %v, name %q", got, tr.Partial, tr.Name)
	}
	if _, err := f(ctx, st, a); !errors.Is(err, wallet.ErrUnsupported) {
		t.Fatalf("a course anchor: %v, want ErrUnsupported", err)
	}
}

// issueOnly is a VCIssuer seen through the Issuer interface alone.
type issueOnly struct{ wallet.Issuer }

func TestBeginCLR(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	priv, issuerDID, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := vc.NewSigner(priv, vm)
	signer, _ := issuer.New(issuer.Config{Signer: key})
	statuses, _ := status.New(status.Config{BaseURL: "https://example.edu/status"})
	iss, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: vc.Profile{ID: issuerDID, Name: "U"}, Signer: signer,
		Achievement: wallet.StoreAchievements("", nil), Status: statuses.Entry})
	if err != nil {
		t.Fatal(err)
	}
	p := putAward(t, st, 1, credential.ProgramCertificate("prog"), false)
	for _, c := range []struct {
		issuer wallet.Issuer
		want   error
	}{{iss, nil}, {issueOnly{iss}, wallet.ErrUnsupported}} {
		svc, err := wallet.NewService(wallet.Config{Store: st, Issuer: c.issuer, Status: statuses, IssuerID: issuerDID, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.issuer.(wallet.CLRIssuer); svc.OffersCLR() != ok {
			t.Errorf("OffersCLR %v with a CLRIssuer %v", svc.OffersCLR(), ok)
		}
		rec, err := svc.Begin(ctx, "lcw", wallet.OfferRequest{LearnerID: 1, AwardUUID: p.UUID, DataModel: wallet.DataModelCLR})
		if !errors.Is(err, c.want) || (err == nil && rec.DataModel != wallet.DataModelCLR) {
			t.Errorf("Begin: %+v %v, want %v", rec, err, c.want)
		}
		if _, err := svc.Begin(ctx, "lcw", wallet.OfferRequest{LearnerID: 2, AwardUUID: p.UUID, DataModel: wallet.DataModelCLR}); !errors.Is(err, wallet.ErrForbidden) && c.want == nil {
			t.Errorf("Begin for another learner's program: %v", err)
		}
	}
}
