package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// TestValueTheStoreRefusesIsPermanent: a certificate whose course name is
// over the evidence limit (1,024 bytes) is refused by the store with
// credential.ErrInvalid after the learner was written. The error is
// permanent, alone and in a batch, so the source dead-letters the event
// instead of retrying it for ever (it was retryable, and stopped the
// replay of internal/integration/hostile for good); nothing is kept.
func TestValueTheStoreRefusesIsPermanent(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	p, _ := newPipeline(t, st, pipeline.Config{})
	e := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{User: user(5, "long@example.org"),
		Course: eventbus.CourseData{CourseKey: "course-v1:edX+Long+1", DisplayName: strings.Repeat("n", 1025)}, Mode: "verified"})
	e.ID, e.Time = "long-name", t0
	err := p.Handle(ctx, e)
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "award.evidence") {
		t.Fatalf("Handle: %v, want a permanent award.evidence error", err)
	}
	if errs := p.HandleBatch(ctx, []eventbus.Event{certEvent(eventbus.TypeCertificateCreated, "ok", user(6, "ok@example.org"), "course-v1:a+b+c", t0), e}); errs[0] != nil || !retry.IsPermanent(errs[1]) {
		t.Fatalf("HandleBatch: %v", errs)
	}
	if _, err := st.Learners().Get(ctx, 5); err == nil {
		t.Error("the refused event's learner was kept")
	}
	if done, _ := st.Events().IsProcessed(ctx, p.Group(), e.ID); done {
		t.Error("the refused event is marked processed")
	}
	if as, _ := st.Awards().List(ctx, store.AwardFilter{LearnerID: 5}); len(as) != 0 {
		t.Errorf("awards kept: %+v", as)
	}
}
