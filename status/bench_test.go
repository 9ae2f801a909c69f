package status_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

func BenchmarkPermutationIndex(b *testing.B) {
	p, _ := status.NewPermutation(make([]byte, 32), status.MinEntries)
	for i := 0; b.Loop(); i++ {
		_, _ = p.Index(int64(i % status.MinEntries))
	}
}

// fullList returns a 131,072-entry list with n random bits set.
func fullList(n int) *status.Bitstring {
	bs, _ := status.NewBitstring(status.MinEntries, 1)
	r := rand.New(rand.NewPCG(3, 4))
	for range n {
		_ = bs.Set(r.IntN(status.MinEntries), 1)
	}
	return bs
}

func BenchmarkEncode131072(b *testing.B) {
	for _, n := range []int{0, 1000, 10000} {
		bs := fullList(n)
		b.Run(itoa(n)+"set", func(b *testing.B) {
			for b.Loop() {
				_, _ = bs.Encode()
			}
		})
	}
}

// BenchmarkRevokeEncodeSign131072 is the publisher's cost of one change:
// set a bit in the store, read the list back, encode it and sign the
// list credential (eddsa-rdfc-2022, Bitstring; Ed25519Signature2020,
// StatusList2021), with 1,000 entries already set.
func BenchmarkRevokeEncodeSign131072(b *testing.B) {
	for _, f := range []status.Format{status.FormatBitstring, status.FormatStatusList2021} {
		b.Run(string(f), func(b *testing.B) {
			ctx := context.Background()
			st := newMem(b)
			iss := newIssuer(b)
			svc := newService(b, base, status.Config{})
			refs := issue(b, st, svc, iss.DID, uuid.New())
			id := refs[0].ListID
			r := rand.New(rand.NewPCG(5, 6))
			for range 1000 {
				_, _ = st.StatusLists().SetStatus(ctx, id, r.IntN(status.MinEntries), 1)
			}
			clk := newClock()
			p, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: base, Signers: []status.ListSigner{iss.Lists}, Now: clk.Now, BatchWindow: time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := st.StatusLists().SetStatus(ctx, id, r.IntN(status.MinEntries), 1); err != nil {
					b.Fatal(err)
				}
				clk.Add(time.Second)
				if _, err := p.Document(ctx, id, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(p.Signatures())/float64(b.N), "signatures/op")
		})
	}
}

// BenchmarkCheckCached is a verifier's status check answered from the
// Checker's cache.
func BenchmarkCheckCached(b *testing.B) {
	ctx := context.Background()
	st := newMem(b)
	iss := newIssuer(b)
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	svc := newService(b, srv.URL+"/status", status.Config{})
	refs := issue(b, st, svc, iss.DID, uuid.New())
	p, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: srv.URL + "/status", Signers: []status.ListSigner{iss.Lists}})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = http.Handler(p)
	c, err := newBenchChecker(srv)
	if err != nil {
		b.Fatal(err)
	}
	e, _ := svc.Entry(refs[0], vc.V2)
	if r := c.Check(ctx, iss.DID, e); r.State != status.StateValid {
		b.Fatalf("%+v", r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := c.Check(ctx, iss.DID, e); !r.Cached {
				b.Error("not cached")
				return
			}
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func newBenchChecker(srv *httptest.Server) (*status.Checker, error) {
	return statusproofChecker(localNet(srv)...)
}
