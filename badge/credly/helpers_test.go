package credly_test

import (
	"encoding/base64"
	"testing"

	"github.com/credshare/credshare/badge/badgetest"
)

// apiServer stands in for the Credly API in the request-shape tests.
type apiServer = badgetest.APIServer

func newAPIServer(t *testing.T) *apiServer { return badgetest.NewAPIServer(t, "/v1/") }

// pin registers a route that checks the request the way Credly's API
// expects it (Basic auth with the organisation token and an empty password,
// Accept JSON, no token in the URL, the JSON body wantBody or none), then
// answers status with the JSON resp.
func pin(t *testing.T, s *apiServer, method, target, wantBody string, status int, resp string) {
	t.Helper()
	s.Pin(t, method, target, badgetest.Expect{
		Authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte(testToken+":")),
		Secret:        testToken, Body: wantBody,
	}, status, resp)
}

func checkJSON(t *testing.T, what, got, want string) {
	t.Helper()
	badgetest.CheckJSON(t, what, got, want)
}
