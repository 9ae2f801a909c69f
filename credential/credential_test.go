package credential_test

import (
	"errors"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
)

func TestLearnerMergeRefreshesPII(t *testing.T) {
	old := credential.Learner{UserID: 7, Username: "ann", Email: "ann@old.example", FullName: "Ann Old", IsActive: true}
	got, changed := old.Merge(credential.Learner{UserID: 99, Email: "ann@new.example", IsActive: true})
	if !changed || got.Email != "ann@new.example" || got.UserID != 7 || got.Username != "ann" || got.FullName != "Ann Old" {
		t.Fatalf("Merge = %+v, %v", got, changed)
	}
	if _, changed := got.Merge(got); changed {
		t.Fatal("merging identical data reported a change")
	}
}

func TestLearnerValidate(t *testing.T) {
	var ve *credential.ValidationError
	err := credential.Learner{UserID: 0}.Validate()
	if !errors.Is(err, credential.ErrInvalid) || !errors.As(err, &ve) || ve.Field != "learner.user_id" {
		t.Fatalf("Validate(user 0) = %v", err)
	}
	if err := (credential.Learner{UserID: 1, Email: "nope"}).Validate(); !errors.Is(err, credential.ErrInvalid) {
		t.Fatalf("bad email accepted: %v", err)
	}
	if err := (credential.Learner{UserID: 1, Email: "a@b.c"}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFirstLastName(t *testing.T) {
	for _, tc := range []struct{ full, user, first, last string }{
		{"Ada King Lovelace", "ada", "Ada King", "Lovelace"},
		{"Plato", "p", "Plato", ""},
		{"  ", "fallback", "fallback", ""},
	} {
		f, l := credential.Learner{FullName: tc.full, Username: tc.user}.FirstLastName()
		if f != tc.first || l != tc.last {
			t.Errorf("%q: got %q %q, want %q %q", tc.full, f, l, tc.first, tc.last)
		}
	}
}

func TestAchievementRefParse(t *testing.T) {
	r, err := credential.ParseAchievementRef("course_certificate:course-v1:edX+DemoX+Demo")
	if err != nil || r != credential.CourseCertificate("course-v1:edX+DemoX+Demo") {
		t.Fatalf("got %v, %v", r, err)
	}
	for _, bad := range []string{"", "nokind", "medal:x", "badge:"} {
		if _, err := credential.ParseAchievementRef(bad); !errors.Is(err, credential.ErrInvalid) {
			t.Errorf("ParseAchievementRef(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestAwardTransitions(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := credential.NewAward(5, credential.Badge("tpl"), credential.Cause{EventID: "e1", EventTime: t0})
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := a.Grant(credential.Cause{EventID: "e2", EventTime: t0}, false, false); changed || err != nil {
		t.Fatalf("re-grant of awarded non-repeatable: %v %v", changed, err)
	}
	if !a.Revoke(credential.Cause{EventID: "e3", EventTime: t0.Add(time.Hour)}) || a.Status != credential.StatusRevoked {
		t.Fatal("revoke did not change the award")
	}
	if a.Revoke(credential.Cause{EventID: "e4"}) {
		t.Fatal("second revoke reported a change")
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Grant(credential.Cause{EventID: "e5", EventTime: t0}, false, false); !errors.Is(err, credential.ErrTransition) {
		t.Fatalf("re-award of revoked non-repeatable: %v", err)
	}
	if changed, err := a.Grant(credential.Cause{EventID: "e6", EventTime: t0.Add(2 * time.Hour)}, false, true); !changed || err != nil || a.Status != credential.StatusAwarded || !a.RevokedAt.IsZero() || a.Times != 2 {
		t.Fatalf("re-awardable grant: %v %v %+v", changed, err, a)
	}
	if changed, _ := a.Grant(credential.Cause{EventID: "e7", EventTime: t0}, true, false); !changed || a.Times != 3 {
		t.Fatalf("repeatable grant: %+v", a)
	}
	a.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "x", State: "pending"})
	a.SetProvider(credential.ProviderRef{Provider: "credly", ExternalID: "x", State: "accepted"})
	if p, ok := a.Provider("credly"); !ok || p.State != "accepted" || len(a.Providers) != 1 {
		t.Fatalf("providers: %+v", a.Providers)
	}
}

func TestAwardValidate(t *testing.T) {
	_, err := credential.NewAward(0, credential.Badge("x"), credential.Cause{EventTime: time.Now()})
	if !errors.Is(err, credential.ErrInvalid) {
		t.Fatalf("learner 0: %v", err)
	}
	_, err = credential.NewAward(1, credential.AchievementRef{Kind: "medal", ID: "x"}, credential.Cause{EventTime: time.Now()})
	if !errors.Is(err, credential.ErrInvalid) {
		t.Fatalf("bad kind: %v", err)
	}
	_, err = credential.NewAward(1, credential.Badge("x"), credential.Cause{})
	if !errors.Is(err, credential.ErrInvalid) {
		t.Fatalf("zero time: %v", err)
	}
}

// Award UUIDs are version 7: each later one sorts after the one before,
// so stores append them to their indexes (see NewAward).
func TestNewAwardUUIDsAreTimeOrdered(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for i := range 10000 {
		a, err := credential.NewAward(int64(i+1), credential.Badge("tpl"), credential.Cause{EventID: "e", EventTime: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if v := a.UUID.Version(); v != 7 {
			t.Fatalf("award UUID %s is version %d, want 7", a.UUID, v)
		}
		s := a.UUID.String()
		if s <= prev || seen[s] {
			t.Fatalf("award UUID %s does not sort after %s", s, prev)
		}
		prev, seen[s] = s, true
	}
}
