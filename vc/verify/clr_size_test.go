package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// A transcript of 40 courses (about 130 KB) is within the default limits
// (document size, blank nodes, canonicalisation budget): it signs and
// verifies, embedded credentials included.
func TestCLRLargeTranscript(t *testing.T) {
	if testing.Short() {
		t.Skip("signs 41 credentials")
	}
	ctx := context.Background()
	is, iss := setup(t)
	var signed []json.RawMessage
	for n := range 40 {
		req := vctest.Request(iss, clrHolder, vc.V2)
		req.Award.Achievement = credential.CourseCertificate(fmt.Sprintf("course-v1:X+C%d+2026", n))
		req.CredentialID = ""
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := is.Issue(ctx, c, vc.FormatLDP)
		if err != nil {
			t.Fatal(err)
		}
		signed = append(signed, b)
	}
	clr, err := vc.ComposeCLR(vc.ComposeCLRRequest{Issuer: vc.Profile{ID: iss, Name: "U"}, Credentials: signed, HolderID: clrHolder})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := is.Issue(ctx, clr, vc.FormatLDP)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := verify.New(verify.Config{Status: listStatus{"94567": false}, Now: func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if r := v.VerifyCredential(ctx, doc); !r.Valid() || len(r.Embedded) != 40 {
		t.Fatalf("%d bytes: %s %v", len(doc), r.Verdict, r.Reasons)
	}
	t.Logf("%d bytes", len(doc))
}
