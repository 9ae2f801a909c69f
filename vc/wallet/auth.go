package wallet

import "net/http"

// LearnerAuth is how the host tells credshare who the authenticated learner
// is: from its own session cookie, JWT or proxy header. credshare never
// trusts a learner id taken from a request body.
type LearnerAuth interface {
	// Learner returns the LMS user id of the learner who sent r. It returns
	// an error (any error; one matching ErrUnauthenticated is answered with
	// 401, others with 500) when no learner is signed in. Called
	// concurrently.
	Learner(r *http.Request) (int64, error)
}

// LearnerAuthFunc adapts a function to LearnerAuth.
type LearnerAuthFunc func(r *http.Request) (int64, error)

// Learner calls f(r).
func (f LearnerAuthFunc) Learner(r *http.Request) (int64, error) { return f(r) }
