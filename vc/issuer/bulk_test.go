package issuer_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/vctest"
	"github.com/credshare/credshare/vc/verify"
)

// countingSigner is a real Ed25519 signer that runs hook before each
// signature (to cancel a batch at a known point).
type countingSigner struct {
	*vc.KeySigner
	n    atomic.Int64
	hook func(n int64)
}

func (s *countingSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if s.hook != nil {
		s.hook(s.n.Add(1))
	}
	return s.KeySigner.Sign(ctx, msg)
}

func bulkSetup(t testing.TB) (*issuer.Issuer, *countingSigner, string) {
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	ks, _ := vc.NewSigner(key, vm)
	s := &countingSigner{KeySigner: ks}
	is, err := issuer.New(issuer.Config{Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	return is, s, d
}

// class composes n credentials of issuer d, one per holder.
func class(t testing.TB, d string, n int, v vc.Version) []*vc.Credential {
	out := make([]*vc.Credential, n)
	for k := range out {
		req := vctest.Request(d, fmt.Sprintf("did:example:student-%d", k), v)
		req.Status = nil
		req.CredentialID = fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", k)
		c, err := vc.Compose(req)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = c
	}
	return out
}

// noLeak fails t unless the goroutine count falls back to before.
func noLeak(t *testing.T, before int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func TestIssueAllInOrderWithPerItemErrors(t *testing.T) {
	ctx := context.Background()
	is, _, d := bulkSetup(t)
	creds := class(t, d, 40, vc.V1)
	other, _ := vc.Compose(vctest.Request("did:web:someone.else", "did:example:x", vc.V1))
	creds[7], creds[23] = nil, other
	v, _ := verify.New(verify.Config{})
	before := runtime.NumGoroutine()
	for _, format := range []string{vc.FormatJWT, vc.FormatLDP} {
		want := 0
		for n, r := range is.IssueAll(ctx, slices.Values(creds), issuer.BulkOptions{Format: format, Workers: 3}) {
			if n != want {
				t.Fatalf("%s: index %d, want %d", format, n, want)
			}
			want++
			if n == 7 || n == 23 {
				if !errors.Is(r.Err, vc.ErrInvalid) || r.Signed != nil {
					t.Fatalf("%s: item %d: %v", format, n, r.Err)
				}
				continue
			}
			if r.Err != nil {
				t.Fatalf("%s: item %d: %v", format, n, r.Err)
			}
			if format == vc.FormatLDP && n%10 != 0 {
				continue // canonicalisation is slow under -race: verify a sample
			}
			res := v.VerifyCredential(ctx, r.Signed)
			if !res.Valid() || res.Credential.ID != creds[n].ID {
				t.Fatalf("%s: item %d: %v %s", format, n, res.Reasons, res.Credential.ID)
			}
		}
		if want != len(creds) {
			t.Fatalf("%s: %d results for %d credentials", format, want, len(creds))
		}
	}
	noLeak(t, before)
}

func TestIssueAllStopOnError(t *testing.T) {
	is, _, d := bulkSetup(t)
	creds := class(t, d, 30, vc.V2)
	creds[5] = nil
	before := runtime.NumGoroutine()
	var got []int
	for n, r := range is.IssueAll(context.Background(), slices.Values(creds), issuer.BulkOptions{Format: vc.FormatJWT, Workers: 2, StopOnError: true}) {
		got = append(got, n)
		if (r.Err != nil) != (n == 5) {
			t.Fatalf("item %d: %v", n, r.Err)
		}
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("yielded %v", got)
	}
	noLeak(t, before)
}

// A batch cancelled part-way yields a prefix of the input, in order (the
// credentials in flight signed or failing with the context's error),
// ending with the context's error, reads little past the cancellation and
// leaves no goroutine behind.
func TestIssueAllCancelMidBatch(t *testing.T) {
	is, s, d := bulkSetup(t)
	creds := class(t, d, 200, vc.V2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.hook = func(n int64) {
		if n == 20 {
			cancel()
		}
	}
	const workers = 4
	read := 0
	seq := func(yield func(*vc.Credential) bool) {
		for _, c := range creds {
			read++
			if !yield(c) {
				return
			}
		}
	}
	before := runtime.NumGoroutine()
	var last issuer.Issued
	want := 0
	for n, r := range is.IssueAll(ctx, seq, issuer.BulkOptions{Format: vc.FormatJWT, Workers: workers}) {
		if n != want {
			t.Fatalf("index %d, want %d", n, want)
		}
		want++
		last = r
	}
	if !errors.Is(last.Err, context.Canceled) {
		t.Fatalf("last result: %v", last.Err)
	}
	if want >= len(creds) || read > 20+8*workers+1 {
		t.Fatalf("%d results, %d credentials read after cancelling at the 20th signature", want, read)
	}
	noLeak(t, before)
}

func TestIssueAllBreak(t *testing.T) {
	is, _, d := bulkSetup(t)
	creds := class(t, d, 50, vc.V2)
	before := runtime.NumGoroutine()
	n := 0
	for _, r := range is.IssueAll(context.Background(), slices.Values(creds), issuer.BulkOptions{Format: vc.FormatJWT}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if n++; n == 3 {
			break
		}
	}
	noLeak(t, before)
	// An already-cancelled context signs nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var all []issuer.Issued
	for _, r := range is.IssueAll(ctx, slices.Values(creds), issuer.BulkOptions{}) {
		all = append(all, r)
	}
	if len(all) != 1 || !errors.Is(all[0].Err, context.Canceled) {
		t.Fatalf("cancelled batch: %+v", all)
	}
	// An empty batch yields nothing.
	for range is.IssueAll(context.Background(), iter.Seq[*vc.Credential](func(func(*vc.Credential) bool) {}), issuer.BulkOptions{}) {
		t.Fatal("yielded from an empty batch")
	}
	noLeak(t, before)
}

// gateSigner holds each signature until `want` are in flight at once, and
// records the most ever in flight.
type gateSigner struct {
	*vc.KeySigner
	want              int64
	in, most, arrived atomic.Int64
	open              chan struct{}
}

func (s *gateSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	n := s.in.Add(1)
	defer s.in.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	if s.arrived.Add(1) == s.want {
		close(s.open)
	}
	select {
	case <-s.open:
	case <-time.After(10 * time.Second): // a deadlock guard, not a timing check
		return nil, errors.New("the workers never ran at once")
	}
	return s.KeySigner.Sign(ctx, msg)
}

// IssueAll runs Workers signatures at once, and never more.
func TestIssueAllRunsWorkersAtOnce(t *testing.T) {
	const workers = 3
	key := vctest.Key()
	d, vm := did.KeyDID(key.Public().(ed25519.PublicKey))
	ks, _ := vc.NewSigner(key, vm)
	s := &gateSigner{KeySigner: ks, want: workers, open: make(chan struct{})}
	is, _ := issuer.New(issuer.Config{Signer: s})
	creds := class(t, d, 30, vc.V2)
	for n, r := range is.IssueAll(context.Background(), slices.Values(creds), issuer.BulkOptions{Format: vc.FormatJWT, Workers: workers}) {
		if r.Err != nil {
			t.Fatalf("item %d: %v", n, r.Err)
		}
	}
	if m := s.most.Load(); m != workers {
		t.Fatalf("at most %d signatures in flight, want %d", m, workers)
	}
}
