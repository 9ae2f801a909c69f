package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
)

// A provider's client: one API for the provider, one call per operation.
// The test server stands for the provider's API; a real base URL is
// https, and the default client then reaches that host only.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer tok-123":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"bad token tok-999"}`)
		case r.URL.Path == "/v1/badges" && r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"b-1","state":"issued"}`)
		default:
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()

	api, err := httpapi.New(httpapi.Config{Provider: "acme", BaseURL: srv.URL + "/v1/", Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	issue := func(token string) (string, error) {
		var out struct{ ID, State string }
		_, err := api.Do(ctx, httpapi.Call{
			Op: "issue", Method: http.MethodPost, Path: "badges",
			Body: map[string]string{"template": "tpl-1", "email": "ada@example.org"},
			Auth: httpapi.BearerAuth(token), Secret: token, Out: &out,
			Unsafe: true, // the server does not deduplicate creates
		})
		return out.ID, err
	}
	id, err := issue("tok-123")
	fmt.Println(id, err)

	_, err = issue("tok-999")
	fmt.Println(errors.Is(err, badge.ErrUnauthorized), retry.IsPermanent(err), err)

	_, err = api.Do(ctx, httpapi.Call{Op: "get", Method: http.MethodGet, Path: "badges/b-1", Auth: httpapi.BearerAuth("tok-123")})
	d := retry.Delay(err)
	fmt.Println(errors.Is(err, badge.ErrRateLimited), retry.IsPermanent(err), d)
	// Output:
	// b-1 <nil>
	// true true acme issue: HTTP 401: bad token [REDACTED]
	// true false 2m0s
}

// A provider serving several accounts keeps one client per account.
func ExampleAccounts() {
	type client struct{ token string }
	accounts, err := httpapi.NewAccounts(httpapi.AccountsConfig[*client]{
		Provider: "acme",
		Source:   badge.StaticAccounts{"org-1": "tok-1"},
		Noun:     "Acme organisation",
		New:      func(acc store.ProviderAccount) (*client, error) { return &client{token: acc.Secret}, nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := accounts.Get(context.Background(), "org-1")
	fmt.Println(c.token, err)
	_, err = accounts.Get(context.Background(), "org-2")
	fmt.Println(errors.Is(err, badge.ErrInvalid), err)
	// Output:
	// tok-1 <nil>
	// true acme: unknown Acme organisation org-2
}
