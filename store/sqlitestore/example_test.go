package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/sqlitestore"
)

// Applying an event exactly once: the processed mark, the award and the
// outbox row commit together; a redelivered event changes nothing.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "credshare-example")
	defer os.RemoveAll(dir)

	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "credshare.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	apply := func(eventID string) (applied bool, err error) {
		err = s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
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
				Kind: "badge.issue", Target: "credly", IdempotencyKey: "issue:" + stored.UUID.String(),
				Payload: []byte(`{"learner":42}`),
			})
			applied = true
			return err
		})
		return applied, err
	}
	fmt.Println(apply("e-1"))
	fmt.Println(apply("e-1"))

	stats, _ := s.Outbox().Stats(ctx)
	fmt.Println("pending outbox items:", stats.Pending)
	// Output:
	// true <nil>
	// false <nil>
	// pending outbox items: 1
}

// Opening a store for a test: a file in a temporary directory.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "credshare-example")
	defer os.RemoveAll(dir)

	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "test.db"), sqlitestore.WithBusyTimeout(2*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	v, _ := s.SchemaVersion(ctx)
	fmt.Println("schema version", v)
	// Output: schema version 3
}
