package credential_test

import (
	"fmt"
	"time"

	"github.com/credshare/credshare/credential"
)

func ExampleAward_Revoke() {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a, _ := credential.NewAward(42, credential.CourseCertificate("course-v1:edX+DemoX+Demo"),
		credential.Cause{EventID: "6f1c…", EventTime: at})
	fmt.Println(a.Status)
	fmt.Println(a.Revoke(credential.Cause{EventID: "9a2b…", EventTime: at.Add(24 * time.Hour), Reason: "certificate revoked"}))
	fmt.Println(a.Status, a.RevokedAt.Format(time.DateOnly))
	fmt.Println(a.Revoke(credential.Cause{EventID: "9a2b…"})) // redelivered: no change
	// Output:
	// awarded
	// true
	// revoked 2026-03-02
	// false
}
