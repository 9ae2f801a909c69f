package accredible_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/accredible"
	"github.com/credshare/credshare/badge/accredible/accrediblefake"
	"github.com/credshare/credshare/credential"
)

// Issuing and revoking (by expiry) an Accredible credential.
func ExampleProvider_Revoke() {
	api := accrediblefake.NewServer()
	defer api.Close()
	api.AddAccount("key-1")
	g := api.AddGroup("key-1", "Intro to Programming", "Learn to program", "")

	p, err := accredible.NewProvider(accredible.StaticAccounts{"main": "key-1"}, httpapi.WithBaseURL(api.URL()))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ref := badge.TemplateRef{AccountID: "main", ExternalID: strconv.FormatInt(g.ID, 10)}
	learner := credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.org", FullName: "Ada Lovelace"}
	res, _ := p.Issue(ctx, badge.IssueRequest{IdempotencyKey: "k", Template: ref, Recipient: learner, IssuedAt: time.Now()})
	fmt.Println("issued:", res.State)
	rv, _ := p.Revoke(ctx, badge.RevokeRequest{IdempotencyKey: "r", Template: ref, Recipient: learner, ExternalID: res.ExternalID, RevokedAt: time.Now()})
	fmt.Println("revoked:", rv.State)
	// Output:
	// issued: accepted
	// revoked: expired
}
