package issuer

import (
	"context"
	"encoding/json"
	"iter"
	"runtime"
	"sync"

	"github.com/credshare/credshare/vc"
)

// BulkOptions shape IssueAll.
type BulkOptions struct {
	// Format is vc.FormatLDP (default) or vc.FormatJWT, as for Issue.
	Format string
	// Suite is the proof suite for vc.FormatLDP; empty picks the
	// Issuer's suite for each credential's data model version, as Issue
	// does.
	Suite string
	// Workers bounds how many credentials are signed at once; zero or
	// less means runtime.GOMAXPROCS(0). At most twice as many credentials
	// are held, signed or being signed, ahead of the one being yielded.
	Workers int
	// StopOnError ends the batch after the first credential that could
	// not be signed (yielded with its error). By default a failed
	// credential is yielded with its error and the batch goes on.
	StopOnError bool
}

// Issued is the outcome for one credential of a batch.
type Issued struct {
	// Signed is the signed credential, as Issue returns it; nil when Err
	// is set.
	Signed json.RawMessage
	// Err is why the credential was not signed.
	Err error
}

// IssueAll signs every credential creds yields (a graduating class, a
// backfill read from a cursor) on a bounded pool of workers, and yields
// each outcome with the credential's position in creds, in input order.
// creds is read from the caller's goroutine as results are consumed, so a
// long backfill is never held in memory.
//
// A credential that fails is yielded with its error and the batch goes on,
// unless o.StopOnError. When ctx is done no further credential is started:
// those in flight are yielded (some failing with ctx's error), then the
// next one read with ctx's error, and the iteration ends. Breaking out of
// the loop ends the batch too. Either way, by the time IssueAll's iterator
// returns, every worker it started has exited.
func (i *Issuer) IssueAll(ctx context.Context, creds iter.Seq[*vc.Credential], o BulkOptions) iter.Seq2[int, Issued] {
	return func(yield func(int, Issued) bool) {
		workers := o.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		type job struct {
			c   *vc.Credential
			out chan Issued
		}
		// pending holds the outcomes not yet yielded, in input order; jobs
		// never holds more than pending, so sending to it never blocks.
		pending := make(chan chan Issued, 2*workers)
		jobs := make(chan job, 2*workers)
		// Each credential's outcome channel is slot seq % cap(pending) of
		// outs, made once: when credential seq is queued, fewer than
		// cap(pending) are pending, so seq - cap(pending), the slot's
		// last user, has been yielded and its channel is empty. (A channel
		// made per credential was ~2 of the ~5 allocations per VC-JWT of
		// BenchmarkBulk. The hand-offs themselves still cost: at -cpu 2 on
		// an almost idle machine VC-JWT ran at ~46,000 creds/s through
		// IssueAll and ~57,000 in the no-pool variant; eddsa-rdfc-2022,
		// at 7x the work per credential, ran at the same rate both ways.)
		outs := make([]chan Issued, cap(pending))
		seq := 0
		defer func() {
			close(jobs)
			cancel()
			wg.Wait()
		}()
		started := 0
		sign := func(c *vc.Credential) Issued {
			if err := wctx.Err(); err != nil {
				return Issued{Err: err}
			}
			var signed json.RawMessage
			var err error
			if o.Suite == "" {
				signed, err = i.Issue(wctx, c, o.Format)
			} else {
				signed, err = i.IssueWith(wctx, c, o.Format, o.Suite)
			}
			if err != nil {
				return Issued{Err: err}
			}
			return Issued{Signed: signed}
		}
		next := 0 // the index of the oldest pending outcome
		// emit yields the oldest pending outcome; false ends the batch.
		emit := func() bool {
			r := <-<-pending
			n := next
			next++
			return yield(n, r) && (r.Err == nil || !o.StopOnError)
		}
		for c := range creds {
			if err := ctx.Err(); err != nil {
				for len(pending) > 0 {
					if !emit() {
						return
					}
				}
				yield(next, Issued{Err: err})
				return
			}
			if started < workers {
				started++
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range jobs {
						j.out <- sign(j.c)
					}
				}()
			}
			if len(pending) == cap(pending) && !emit() {
				return
			}
			out := outs[seq%len(outs)]
			if out == nil {
				out = make(chan Issued, 1)
				outs[seq%len(outs)] = out
			}
			seq++
			pending <- out
			jobs <- job{c: c, out: out}
		}
		for len(pending) > 0 {
			if !emit() {
				return
			}
		}
	}
}
