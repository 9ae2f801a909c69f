package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

// seed creates a learner with a course certificate and a badge, registers a
// demo token for them, and prints a wallet offer link and how to ask for
// more offers.
func (s *server) seed(ctx context.Context, w io.Writer, public string) (string, error) {
	l := credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.org", FullName: "Ada Lovelace", IsActive: true}
	if _, _, err := s.st.Learners().Upsert(ctx, l); err != nil {
		return "", err
	}
	tpl := store.Template{UUID: uuid.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"), Name: "Python Pioneer",
		Description: "Passed Python Basics.", Provider: "obv3", State: store.TemplateActive}
	if _, err := s.st.Config().PutTemplate(ctx, tpl); err != nil {
		return "", err
	}
	var awards []credential.Award
	for _, ref := range []credential.AchievementRef{credential.CourseCertificate("course-v1:OpenedX+PY101+2026_T1"), credential.Badge(tpl.UUID.String())} {
		a, err := credential.NewAward(l.UserID, ref, credential.Cause{EventID: "seed-" + ref.String(), EventTime: time.Now()})
		if err != nil {
			return "", err
		}
		if ref.Kind == credential.KindCourseCertificate {
			a.Evidence = map[string]string{"course_name": "Python Basics", "mode": "verified", "grade": "0.92"}
		}
		if a, _, err = s.st.Awards().Put(ctx, a); err != nil {
			return "", err
		}
		awards = append(awards, a)
	}
	token := wallet.NewToken()
	s.auth.tokens[token] = l.UserID // before the server starts: no concurrent reads yet
	fmt.Fprintf(w, "demo learner %d (%s); bearer token: %s\n", l.UserID, l.FullName, token)
	for _, a := range awards {
		fmt.Fprintf(w, "  award %s (%s)\n", a.UUID, a.Achievement)
	}
	offer, err := s.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: l.UserID, AwardUUID: awards[0].UUID})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w, "a one-time Learner Credential Wallet offer for the certificate (open it on the phone, valid until %s):\n  %s\n",
		offer.ExpiresAt.Format(time.RFC3339), offer.DeepLink)
	fmt.Fprintf(w, "ask for another offer as the learner would (any award, any wallet from /wallet/storages/):\n  curl -s -H 'Authorization: Bearer %s' -d '{\"credential_uuid\":\"%s\",\"storage_id\":\"lc_wallet\"}' %s/wallet/credentials/init/\n",
		token, awards[0].UUID, public)
	return token, nil
}
