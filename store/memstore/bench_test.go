package memstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// hotTx is the pipeline's transaction for one event: the processed mark, the
// award upsert and one outbox row.
func hotTx(ctx context.Context, s store.Store, n int64, learners int64, at time.Time) error {
	return s.InTx(ctx, func(ctx context.Context, tx store.Repos) error {
		eventID := fmt.Sprint("ev-", n)
		first, err := tx.Events().MarkProcessed(ctx, "bench", eventID, at)
		if err != nil || !first {
			return err
		}
		a, err := credential.NewAward(1+n%learners, credential.CourseCertificate("course-v1:Bench+C1+R"),
			credential.Cause{EventID: eventID, EventTime: at})
		if err != nil {
			return err
		}
		a.Evidence = map[string]string{"grade": "0.91", "mode": "verified"}
		stored, _, err := tx.Awards().Put(ctx, a)
		if err != nil {
			return err
		}
		_, _, err = tx.Outbox().Enqueue(ctx, store.OutboxItem{
			Kind: "badge.issue", Target: "credly", IdempotencyKey: "issue:" + stored.UUID.String() + ":" + eventID,
			Payload: []byte(`{"award":"` + stored.UUID.String() + `"}`),
		})
		return err
	})
}

// BenchmarkHotTx measures the hot transaction on one goroutine; half of the
// award upserts update an existing award.
func BenchmarkHotTx(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	at := time.Now()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		if err := hotTx(ctx, s, n, 1<<20, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHotTxParallel measures it from GOMAXPROCS goroutines (the lock
// serialises them).
func BenchmarkHotTxParallel(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	at := time.Now()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := hotTx(ctx, s, n.Add(1), 1<<20, at); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHotTxRedelivery measures a redelivered event: the mark exists and
// the transaction does nothing else.
func BenchmarkHotTxRedelivery(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	at := time.Now()
	if err := hotTx(ctx, s, 1, 1, at); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := hotTx(ctx, s, 1, 1, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimComplete measures claiming and completing one item from an
// outbox holding 10,000 pending items.
func BenchmarkClaimComplete(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	at := time.Now()
	ob := s.Outbox()
	var n int
	enqueue := func() {
		n++
		if _, _, err := ob.Enqueue(ctx, store.OutboxItem{Kind: "k", Target: "t", IdempotencyKey: fmt.Sprint(n), Payload: []byte(`{}`)}); err != nil {
			b.Fatal(err)
		}
	}
	for range 10000 {
		enqueue()
	}
	b.ReportAllocs()
	for b.Loop() {
		items, err := ob.Claim(ctx, "w", at.Add(time.Hour), time.Minute, 1)
		if err != nil || len(items) != 1 {
			b.Fatal(len(items), err)
		}
		if err := ob.Complete(ctx, items[0].ID, "w"); err != nil {
			b.Fatal(err)
		}
		enqueue()
	}
}
