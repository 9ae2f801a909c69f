package wallet_test

import (
	"context"
	"testing"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/google/uuid"
)

func TestStoreAchievements(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	tpl := store.Template{UUID: uuid.New(), Name: "Python Pioneer", Description: "Passed two Python courses.",
		ImageURL: "https://example.edu/py.png", Provider: "obv3", State: "active"}
	if _, err := st.Config().PutTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	f := wallet.StoreAchievements("Example Academy", nil)
	badge := credential.Award{Achievement: credential.AchievementRef{Kind: credential.KindBadge, ID: tpl.UUID.String()}}
	a, err := f(ctx, st, badge)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != tpl.Name || a.Description != tpl.Description || a.Image == nil || a.Image.ID != tpl.ImageURL ||
		a.Criteria == nil || a.Criteria.Narrative != tpl.Description {
		t.Errorf("badge achievement = %+v", a)
	}
	course := credential.Award{Achievement: credential.AchievementRef{Kind: credential.KindCourseCertificate, ID: "course-v1:X+PY101+2026"},
		Evidence: map[string]string{"course_name": "Python 101", "mode": "verified"}}
	if a, err = f(ctx, st, course); err != nil {
		t.Fatal(err)
	}
	if a.Name != "Python 101" || a.HumanCode != course.Achievement.ID ||
		a.Description != "Certificate of achievement for the course Python 101 offered by Example Academy." ||
		a.Criteria.Narrative != "Passed the course Python 101 in the verified track." {
		t.Errorf("course achievement = %+v, criteria %+v", a, a.Criteria)
	}
	program := credential.Award{Achievement: credential.AchievementRef{Kind: credential.KindProgramCertificate, ID: "8d1e"}}
	if a, err = f(ctx, st, program); err != nil {
		t.Fatal(err)
	}
	if a.Name != "program 8d1e" || a.Description != "Certificate of completion of the program program 8d1e offered by Example Academy." {
		t.Errorf("program achievement without titles = %+v", a)
	}
	// other describes certificates, never badges.
	other := wallet.StoreAchievements("", func(context.Context, store.Repos, credential.Award) (vc.Achievement, error) {
		return vc.Achievement{Name: "from the catalogue"}, nil
	})
	if a, _ := other(ctx, st, course); a.Name != "from the catalogue" {
		t.Errorf("other not asked for a course: %+v", a)
	}
	if a, _ := other(ctx, st, badge); a.Name != tpl.Name {
		t.Errorf("other asked for a badge: %+v", a)
	}
	if _, err := f(ctx, st, credential.Award{Achievement: credential.AchievementRef{Kind: "nonsense", ID: "x"}}); err == nil {
		t.Error("an unknown kind gave no error")
	}
}
