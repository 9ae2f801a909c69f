package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// Applying an event exactly once: the processed mark, the award and the
// outbox row commit together, and a redelivered event changes nothing.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	apply := func(eventID string) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
			first, err := tx.Events().MarkProcessed(ctx, "credshare", eventID, at)
			if err != nil || !first {
				return err // a redelivery: nothing to do
			}
			a, err := credential.NewAward(42, credential.CourseCertificate("course-v1:edX+DemoX+Demo"),
				credential.Cause{EventID: eventID, EventTime: at})
			if err != nil {
				return err
			}
			stored, _, err := tx.Awards().Put(ctx, a)
			if err != nil {
				return err
			}
			_, _, err = tx.Outbox().Enqueue(ctx, store.OutboxItem{
				Kind: "event.publish", Target: "badges", IdempotencyKey: "awarded:" + stored.UUID.String(),
				Payload: []byte(`{}`),
			})
			return err
		})
	}
	fmt.Println(apply("e-1"), apply("e-1"))

	stats, _ := s.Outbox().Stats(ctx)
	fmt.Println("pending outbox items:", stats.Pending)

	// A failing transaction leaves no trace.
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, err := tx.Events().MarkProcessed(ctx, "credshare", "e-2", at); err != nil {
			return err
		}
		return boom
	})
	seen, _ := s.Events().IsProcessed(ctx, "credshare", "e-2")
	fmt.Println(errors.Is(err, boom), seen)

	s.Close()
	_, err = s.Learners().Get(ctx, 42)
	fmt.Println(errors.Is(err, store.ErrClosed))
	// Output:
	// <nil> <nil>
	// pending outbox items: 1
	// true false
	// true
}
