package accredible_test

import (
	"strconv"
	"testing"

	"github.com/credshare/credshare/badge/badgetest"
)

// apiServer stands in for the Accredible API in the request-shape tests.
type apiServer = badgetest.APIServer

func newAPIServer(t *testing.T) *apiServer { return badgetest.NewAPIServer(t, "/v1/") }

// pin registers a route that checks the request the way Accredible's API
// expects it (Bearer auth with the API key, Accept JSON, no key in the URL,
// the JSON body wantBody or none), then answers status with the JSON resp.
func pin(t *testing.T, s *apiServer, method, target, wantBody string, status int, resp string) {
	t.Helper()
	s.Pin(t, method, target, badgetest.Expect{Authorization: "Bearer " + testKey, Secret: testKey, Body: wantBody}, status, resp)
}

func badgeID(id int64) string { return strconv.FormatInt(id, 10) }
