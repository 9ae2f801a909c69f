package badgetest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/credential/retry"
)

// Env is one provider under test with its backend.
type Env struct {
	// Provider is the provider under test. Required.
	Provider badge.Provider
	// Template is a template the provider can issue. Required.
	Template badge.TemplateRef
	// Faults, when set, sits in front of the provider's backend; the
	// suite uses it to inject 5xx bursts, 429s, 401s, slow and malformed
	// responses. Without it those tests are skipped.
	Faults *Faults
	// Count, when set, returns how many badges the backend holds for the
	// template and recipient e-mail, revoked or not. The idempotency tests
	// use it to prove that no duplicate was created.
	Count func(template badge.TemplateRef, email string) int
}

// Harness tells the suite how to build providers and what to expect.
type Harness struct {
	// New returns a fresh Env; called at the start of every subtest. The
	// backend must be released with t.Cleanup. Required.
	New func(t *testing.T) Env
	// UnknownExternalID is a badge id the backend does not know, in the
	// provider's id syntax; default "999999999".
	UnknownExternalID string
	// UnknownTemplateID is a template id the backend does not know; default
	// "999999998".
	UnknownTemplateID string
	// SlowDelay, when non-zero, is a response delay longer than the
	// provider's own timeout; the suite checks that such a response ends in
	// a retryable error and that a retry then issues one badge only.
	SlowDelay time.Duration
	// Secrets are strings (API tokens) that must never appear in an error.
	Secrets []string
}

// Learner returns a fresh learner with a unique id and e-mail.
func Learner() credential.Learner {
	u := uuid.New()
	n := int64(binary.BigEndian.Uint64(u[:8])>>12) + 1
	return credential.Learner{
		UserID:   n,
		Username: fmt.Sprintf("learner%d", n),
		Email:    fmt.Sprintf("learner%d@example.org", n),
		FullName: fmt.Sprintf("Ada Learner%d Lovelace", n),
		IsActive: true,
	}
}

// IssueRequest returns a valid request for template to a fresh learner.
func IssueRequest(template badge.TemplateRef) badge.IssueRequest {
	award := uuid.New()
	return badge.IssueRequest{
		IdempotencyKey: "issue:" + award.String(),
		AwardUUID:      award,
		Template:       template,
		Recipient:      Learner(),
		IssuedAt:       time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("", -5*3600)),
		Evidence:       map[string]string{"course": "course-v1:edX+DemoX+Demo_Course", "grade": "0.92"},
	}
}

// RevokeRequest returns the revocation matching an issued request.
func RevokeRequest(issued badge.IssueRequest, externalID string) badge.RevokeRequest {
	return badge.RevokeRequest{
		IdempotencyKey: "revoke:" + issued.AwardUUID.String(),
		AwardUUID:      issued.AwardUUID,
		Template:       issued.Template,
		Recipient:      issued.Recipient,
		ExternalID:     externalID,
		Reason:         "certificate revoked",
		RevokedAt:      time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC),
	}
}

// Run runs the conformance suite against the provider h builds. Every
// provider must pass it: issue, idempotent issue (one badge per key, also
// when a response was lost), revoke (twice), unknown badges, bad input,
// context cancellation, error classification (retryable or not, with
// Retry-After) and secrets kept out of errors.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("badgetest: Harness.New is required")
	}
	if h.UnknownExternalID == "" {
		h.UnknownExternalID = "999999999"
	}
	if h.UnknownTemplateID == "" {
		h.UnknownTemplateID = "999999998"
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"ID", testID},
		{"Issue", testIssue},
		{"IssueIdempotent", testIssueIdempotent},
		{"IssueConcurrentLearners", testIssueConcurrent},
		{"IssueLostResponse", testIssueLostResponse},
		{"IssueSlowResponse", testIssueSlowResponse},
		{"Revoke", testRevoke},
		{"RevokeUnknown", testRevokeUnknown},
		{"BadInput", testBadInput},
		{"ContextCancelled", testContextCancelled},
		{"ErrorServerBurst", testServerBurst},
		{"ErrorRateLimited", testRateLimited},
		{"ErrorUnauthorized", testUnauthorized},
		{"StateGetter", testStateGetter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func newEnv(t *testing.T, h Harness) Env {
	t.Helper()
	env := h.New(t)
	if env.Provider == nil || env.Template.ExternalID == "" {
		t.Fatal("badgetest: Env needs a Provider and a Template with an ExternalID")
	}
	return env
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func checkSecrets(t *testing.T, h Harness, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range h.Secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error reveals a secret: %v", err)
		}
	}
}

func issue(t *testing.T, env Env, req badge.IssueRequest) badge.Result {
	t.Helper()
	res, err := env.Provider.Issue(ctxT(t), req)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if res.ExternalID == "" {
		t.Fatalf("Issue returned no ExternalID: %+v", res)
	}
	if res.State == "" {
		t.Errorf("Issue returned no State: %+v", res)
	}
	return res
}

func count(t *testing.T, env Env, req badge.IssueRequest, want int) {
	t.Helper()
	if env.Count == nil {
		return
	}
	if got := env.Count(req.Template, req.Recipient.Email); got != want {
		t.Errorf("backend holds %d badges for %s, want %d", got, req.Recipient.Email, want)
	}
}

func testID(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Provider.ID() == "" {
		t.Error("ID() is empty")
	}
}

func testIssue(t *testing.T, h Harness) {
	env := newEnv(t, h)
	req := IssueRequest(env.Template)
	issue(t, env, req)
	count(t, env, req, 1)
}

func testIssueIdempotent(t *testing.T, h Harness) {
	env := newEnv(t, h)
	req := IssueRequest(env.Template)
	a := issue(t, env, req)
	b := issue(t, env, req)
	if a.ExternalID != b.ExternalID {
		t.Errorf("same idempotency key gave two badges: %q and %q", a.ExternalID, b.ExternalID)
	}
	count(t, env, req, 1)
}

func testIssueConcurrent(t *testing.T, h Harness) {
	env := newEnv(t, h)
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := env.Provider.Issue(ctxT(t), IssueRequest(env.Template))
			if err != nil {
				errs <- err
				return
			}
			ids[i] = res.ExternalID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Issue: %v", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && seen[id] {
			t.Errorf("two learners got the same badge id %q", id)
		}
		seen[id] = true
	}
}

func testIssueLostResponse(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Faults == nil {
		t.Skip("Env.Faults not set")
	}
	req := IssueRequest(env.Template)
	// Every response is unreadable for a while: the badge is created but
	// the provider cannot know; the error must be retryable.
	for range 20 {
		env.Faults.Queue(Fault{Malformed: true})
	}
	_, err := env.Provider.Issue(ctxT(t), req)
	env.Faults.Reset()
	if err == nil {
		t.Fatal("Issue succeeded although every response was malformed")
	}
	checkSecrets(t, h, err)
	if retry.IsPermanent(err) {
		t.Errorf("malformed response: permanent, want retryable (err: %v)", err)
	}
	// The retry must find the badge created by the lost call.
	issue(t, env, req)
	count(t, env, req, 1)
}

func testIssueSlowResponse(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Faults == nil || h.SlowDelay == 0 {
		t.Skip("Env.Faults or Harness.SlowDelay not set")
	}
	req := IssueRequest(env.Template)
	for range 20 {
		env.Faults.Queue(Fault{Delay: h.SlowDelay})
	}
	_, err := env.Provider.Issue(ctxT(t), req)
	env.Faults.Reset()
	if err == nil {
		t.Fatal("Issue succeeded although every response was slower than the timeout")
	}
	checkSecrets(t, h, err)
	if retry.IsPermanent(err) {
		t.Errorf("timeout: permanent, want retryable (err: %v)", err)
	}
	// Slow handlers may still be finishing; wait until they are done so
	// the count below sees every badge they created.
	time.Sleep(h.SlowDelay)
	issue(t, env, req)
	count(t, env, req, 1)
}

func testRevoke(t *testing.T, h Harness) {
	env := newEnv(t, h)
	req := IssueRequest(env.Template)
	res := issue(t, env, req)
	rv, err := env.Provider.Revoke(ctxT(t), RevokeRequest(req, res.ExternalID))
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if rv.State == "" {
		t.Errorf("Revoke returned no State: %+v", rv)
	}
	if rv.ExternalID != "" && rv.ExternalID != res.ExternalID {
		t.Errorf("Revoke returned ExternalID %q, want %q", rv.ExternalID, res.ExternalID)
	}
	if _, err := env.Provider.Revoke(ctxT(t), RevokeRequest(req, res.ExternalID)); err != nil {
		t.Errorf("revoking an already revoked badge: %v, want success", err)
	}
	if sg, ok := env.Provider.(badge.StateGetter); ok {
		st, err := sg.BadgeState(ctxT(t), badge.BadgeRef{Template: req.Template, ExternalID: res.ExternalID})
		if err != nil {
			t.Fatalf("BadgeState after revoke: %v", err)
		}
		if st.State != rv.State {
			t.Errorf("BadgeState after revoke = %q, Revoke said %q", st.State, rv.State)
		}
	}
}

func testRevokeUnknown(t *testing.T, h Harness) {
	env := newEnv(t, h)
	req := IssueRequest(env.Template)
	_, err := env.Provider.Revoke(ctxT(t), RevokeRequest(req, h.UnknownExternalID))
	if !errors.Is(err, badge.ErrNotFound) {
		t.Fatalf("revoking unknown badge: err = %v, want ErrNotFound", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("ErrNotFound must not be retryable: %v", err)
	}
	// Without ExternalID and with no badge for the learner, too.
	_, err = env.Provider.Revoke(ctxT(t), RevokeRequest(req, ""))
	if !errors.Is(err, badge.ErrNotFound) {
		t.Errorf("revoking a never-issued badge by template and recipient: err = %v, want ErrNotFound", err)
	}
}

func testBadInput(t *testing.T, h Harness) {
	env := newEnv(t, h)
	cases := map[string]func(*badge.IssueRequest){
		"no idempotency key": func(r *badge.IssueRequest) { r.IdempotencyKey = "" },
		"no e-mail":          func(r *badge.IssueRequest) { r.Recipient.Email = "" },
		"bad e-mail":         func(r *badge.IssueRequest) { r.Recipient.Email = "not-an-address" },
		"no template":        func(r *badge.IssueRequest) { r.Template.ExternalID = "" },
	}
	for name, mutate := range cases {
		req := IssueRequest(env.Template)
		mutate(&req)
		_, err := env.Provider.Issue(ctxT(t), req)
		if !errors.Is(err, badge.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if !retry.IsPermanent(err) {
			t.Errorf("%s: invalid input must not be retryable: %v", name, err)
		}
	}
	req := IssueRequest(env.Template)
	req.Template.ExternalID = h.UnknownTemplateID
	_, err := env.Provider.Issue(ctxT(t), req)
	if err == nil {
		t.Fatal("issuing an unknown template succeeded")
	}
	if !errors.Is(err, badge.ErrInvalid) && !errors.Is(err, badge.ErrNotFound) {
		t.Errorf("unknown template: err = %v, want ErrInvalid or ErrNotFound", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("unknown template must not be retryable: %v", err)
	}
	_, err = env.Provider.Revoke(ctxT(t), badge.RevokeRequest{IdempotencyKey: "r"})
	if !errors.Is(err, badge.ErrInvalid) {
		t.Errorf("revoke naming no badge: err = %v, want ErrInvalid", err)
	}
}

func testContextCancelled(t *testing.T, h Harness) {
	env := newEnv(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := env.Provider.Issue(ctx, IssueRequest(env.Template))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Issue with a cancelled context: err = %v, want context.Canceled", err)
	}
	_, err = env.Provider.Revoke(ctx, RevokeRequest(IssueRequest(env.Template), h.UnknownExternalID))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Revoke with a cancelled context: err = %v, want context.Canceled", err)
	}
	if env.Faults == nil {
		return
	}
	// A deadline that passes while the provider waits for a slow answer.
	for range 20 {
		env.Faults.Queue(Fault{Delay: 2 * time.Second})
	}
	defer env.Faults.Reset()
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = env.Provider.Issue(ctx, IssueRequest(env.Template))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Issue past its deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if retry.IsPermanent(err) {
		t.Errorf("deadline exceeded should be retryable: %v", err)
	}
}

func testServerBurst(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Faults == nil {
		t.Skip("Env.Faults not set")
	}
	// A short burst is absorbed by the provider's own retries or surfaces
	// as a retryable error; either way a later call succeeds once.
	req := IssueRequest(env.Template)
	env.Faults.Burst(2, 503)
	if _, err := env.Provider.Issue(ctxT(t), req); err != nil && retry.IsPermanent(err) {
		t.Errorf("short 503 burst: err = %v, want success or a retryable error", err)
	}
	env.Faults.Reset()
	// A long burst must end in a retryable ErrUnavailable.
	env.Faults.Burst(100, 500)
	_, err := env.Provider.Issue(ctxT(t), IssueRequest(env.Template))
	env.Faults.Reset()
	checkSecrets(t, h, err)
	if !errors.Is(err, badge.ErrUnavailable) || retry.IsPermanent(err) {
		t.Errorf("500 burst: err = %v, want retryable ErrUnavailable", err)
	}
	issue(t, env, req)
	count(t, env, req, 1)
}

func testRateLimited(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Faults == nil {
		t.Skip("Env.Faults not set")
	}
	for range 100 {
		env.Faults.Queue(Fault{Status: 429, RetryAfter: "120"})
	}
	_, err := env.Provider.Issue(ctxT(t), IssueRequest(env.Template))
	env.Faults.Reset()
	checkSecrets(t, h, err)
	if !errors.Is(err, badge.ErrRateLimited) || retry.IsPermanent(err) {
		t.Fatalf("429: err = %v, want retryable ErrRateLimited", err)
	}
	if d := retry.Delay(err); d < 100*time.Second {
		t.Errorf("429 with Retry-After 120: RetryAfter(err) = %v, want about 2m", d)
	}
}

func testUnauthorized(t *testing.T, h Harness) {
	env := newEnv(t, h)
	if env.Faults == nil {
		t.Skip("Env.Faults not set")
	}
	env.Faults.Queue(Fault{Status: 401, Body: `{"data":{"message":"Authorization token expired"}}`})
	_, err := env.Provider.Issue(ctxT(t), IssueRequest(env.Template))
	env.Faults.Reset()
	checkSecrets(t, h, err)
	if !errors.Is(err, badge.ErrUnauthorized) {
		t.Fatalf("401: err = %v, want ErrUnauthorized", err)
	}
	if !retry.IsPermanent(err) {
		t.Errorf("401 must not be retryable: %v", err)
	}
	if !strings.Contains(strings.ToLower(err.Error()), "token") {
		t.Errorf("401 error should say the token is the problem: %v", err)
	}
	if env.Faults.Pending() != 0 {
		t.Errorf("provider did not call the backend")
	}
}

func testStateGetter(t *testing.T, h Harness) {
	env := newEnv(t, h)
	sg, ok := env.Provider.(badge.StateGetter)
	if !ok {
		t.Skip("provider does not implement badge.StateGetter")
	}
	req := IssueRequest(env.Template)
	res := issue(t, env, req)
	st, err := sg.BadgeState(ctxT(t), badge.BadgeRef{Template: req.Template, ExternalID: res.ExternalID})
	if err != nil {
		t.Fatalf("BadgeState: %v", err)
	}
	if st.ExternalID != res.ExternalID || st.State == "" {
		t.Errorf("BadgeState = %+v, want id %q and a state", st, res.ExternalID)
	}
	_, err = sg.BadgeState(ctxT(t), badge.BadgeRef{Template: req.Template, ExternalID: h.UnknownExternalID})
	if !errors.Is(err, badge.ErrNotFound) {
		t.Errorf("BadgeState of unknown badge: err = %v, want ErrNotFound", err)
	}
}
