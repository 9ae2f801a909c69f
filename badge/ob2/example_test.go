package ob2_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/credshare/credshare/badge/ob2"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store/memstore"
	"github.com/google/uuid"
)

// New serves an award's hosted OB 2.0 assertion at a URL derived from its
// UUID; the recipient is a salted hash of the learner's e-mail address.
func ExampleNew() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	_, _, _ = st.Learners().Upsert(ctx, credential.Learner{UserID: 1, Email: "ada@example.org"})
	aw, _ := credential.NewAward(1, credential.CourseCertificate("course-v1:X+Y+Z"),
		credential.Cause{EventID: "e1", EventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	aw.UUID = uuid.MustParse("3f0e7a8e-5d3c-4b7a-9e61-2c1d0b9a8f70")
	aw, _, _ = st.Awards().Put(ctx, aw)

	h, err := ob2.New(ob2.Config{Store: st, BaseURL: "https://example.edu/ob2", SaltKey: []byte("a stable secret key, 16+ bytes"),
		Issuer: ob2.Issuer{Name: "Example University", URL: "https://example.edu", Image: "https://example.edu/logo.png"}})
	if err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", h.AssertionURL(aw.UUID), nil))
	a, _ := h.Assertion(ctx, aw.UUID)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(a.ID)
	fmt.Println(a.Badge)
	fmt.Println(a.Verification.Type, a.Recipient.Identity == ob2.HashIdentity("ada@example.org", a.Recipient.Salt))
	// Output:
	// 200 application/ld+json
	// https://example.edu/ob2/assertions/3f0e7a8e-5d3c-4b7a-9e61-2c1d0b9a8f70
	// https://example.edu/ob2/badges/course_certificate/course-v1:X+Y+Z
	// hosted true
}
