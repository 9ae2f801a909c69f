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
	// less means runtime.GOMAXPROCS(0). At most 8 × Workers credentials
	// are held, signed or being signed, ahead of the one being yielded
	// (workers take them four at a time).
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
		// Credentials go to the workers in chunks of up to chunkSize, one
		// channel send and one completion signal a chunk, not one of each
		// per credential. The chunks are the slots of ring, made once and
		// reused: chunk seq is ring[seq%len(ring)]. At most len(ring) are
		// pending (dispatched or being filled, not yet yielded), so the
		// sends to jobs never block.
		ring := make([]*chunk, 2*workers)
		jobs := make(chan *chunk, len(ring))
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
		// head is the oldest pending chunk, tail the next to fill; cur,
		// when not nil, is chunk tail, being filled.
		head, tail := 0, 0
		var cur *chunk
		next := 0 // the index of the next outcome to yield
		dispatch := func() {
			if started < workers {
				started++
				wg.Go(func() {
					for ch := range jobs {
						for k := range ch.n {
							ch.out[k] = sign(ch.creds[k])
						}
						ch.done <- struct{}{}
					}
				})
			}
			jobs <- cur
			tail++
			cur = nil
		}
		// emit yields the outcomes of the oldest pending chunk (which has
		// been dispatched); false ends the batch.
		emit := func() bool {
			ch := ring[head%len(ring)]
			<-ch.done
			head++
			n := ch.n
			ch.n = 0
			for k := range n {
				r := ch.out[k]
				ch.out[k], ch.creds[k] = Issued{}, nil
				at := next
				next++
				if !yield(at, r) || (r.Err != nil && o.StopOnError) {
					return false
				}
			}
			return true
		}
		// drain dispatches the chunk being filled and yields every
		// pending outcome.
		drain := func() bool {
			if cur != nil {
				dispatch()
			}
			for head < tail {
				if !emit() {
					return false
				}
			}
			return true
		}
		for c := range creds {
			if err := ctx.Err(); err != nil {
				if drain() {
					yield(next, Issued{Err: err})
				}
				return
			}
			if cur == nil {
				if tail-head == len(ring) && !emit() {
					return
				}
				cur = ring[tail%len(ring)]
				if cur == nil {
					cur = &chunk{done: make(chan struct{}, 1)}
					ring[tail%len(ring)] = cur
				}
			}
			cur.creds[cur.n] = c
			cur.n++
			if cur.n == chunkSize {
				dispatch()
			}
		}
		drain()
	}
}

// chunkSize is how many credentials a worker of IssueAll takes at once:
// one send on jobs and one completion signal per chunk, not per
// credential, while the last chunk of a batch of 64 still keeps two cores
// busy to within a few credentials (credshare issue 13).
const chunkSize = 4

// chunk is up to chunkSize consecutive credentials of a batch and their
// outcomes; done receives one value when a worker has signed them all.
type chunk struct {
	creds [chunkSize]*vc.Credential
	out   [chunkSize]Issued
	n     int
	done  chan struct{}
}
