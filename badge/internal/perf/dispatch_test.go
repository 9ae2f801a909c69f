// Package perf measures badge providers behind the outbox dispatcher. It
// holds benchmarks only (run them with -bench); an ordinary test run just
// compiles it.
package perf

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/outbox"
)

// BenchmarkDispatchCredly runs badge.issue outbox items through the
// dispatcher (memstore outbox) to the Credly client against a fake with
// 50 ms latency and a 20 requests/s limit (429 with Retry-After above it).
// The dispatcher's per-target rate comes from the provider's Limits. It
// reports the achieved rate, the fake's 429s and the items that died.
//
//	go test -run '^$' -bench DispatchCredly -benchtime 1x ./badge/internal/perf/
func BenchmarkDispatchCredly(b *testing.B) {
	const org, token, n = "org-1", "tok-perf-000001", 200
	for _, tc := range []struct {
		name   string
		limits badge.Limits
		burst  int
	}{
		{"dispatcherRate=20/s,serverBurst=1", badge.Limits{Rate: 20, Burst: 1, Concurrency: 8}, 1},
		{"dispatcherRate=19/s,serverBurst=1", badge.Limits{Rate: 19, Burst: 1, Concurrency: 8}, 1},
		{"dispatcherRate=19.5/s,serverBurst=5", badge.Limits{Rate: 19.5, Burst: 1, Concurrency: 8}, 5},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				srv := credlyfake.New(b)
				srv.AddOrg(org, token)
				tpl := srv.AddTemplates(org, 1)[0]
				srv.Faults.SetLatency(50 * time.Millisecond)
				srv.Faults.SetRateLimit(20, tc.burst)
				p, err := credly.NewProvider(credly.StaticAccounts{org: token}, httpapi.WithBaseURL(srv.URL()),
					httpapi.WithRetry(1, time.Millisecond, time.Millisecond), // the outbox retries
					httpapi.WithMaxRetryAfter(0))
				if err != nil {
					b.Fatal(err)
				}
				st := memstore.New()
				ctx := context.Background()
				ref := badge.TemplateRef{AccountID: org, ExternalID: tpl.ID}
				for range n {
					req := badgetest.IssueRequest(ref)
					payload, _ := json.Marshal(req)
					if _, _, err := st.Outbox().Enqueue(ctx, store.OutboxItem{Kind: "badge.issue", Target: p.ID(),
						IdempotencyKey: req.IdempotencyKey, Payload: payload}); err != nil {
						b.Fatal(err)
					}
				}
				// In the pipeline the limits come from p.Limits() (badge.RateLimited);
				// here the client does not pace itself, so the dispatcher alone does.
				lim := tc.limits
				d, err := outbox.NewDispatcher(outbox.Config{
					Store: st, Batch: 64, PollInterval: 10 * time.Millisecond, MinBackoff: 50 * time.Millisecond,
					MaxBackoff: 2 * time.Second, MaxAttempts: 20,
					Limits: map[string]outbox.Limits{p.ID(): {Rate: lim.Rate, Burst: lim.Burst, Concurrency: lim.Concurrency}},
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				})
				if err != nil {
					b.Fatal(err)
				}
				d.Handle("badge.issue", func(ctx context.Context, it store.OutboxItem) error {
					var req badge.IssueRequest
					if err := json.Unmarshal(it.Payload, &req); err != nil {
						return retry.Permanent(err)
					}
					_, err := p.Issue(ctx, req)
					return err
				})
				runCtx, cancel := context.WithCancel(ctx)
				done := make(chan struct{})
				start := time.Now()
				go func() { _ = d.Run(runCtx); close(done) }()
				var stats store.OutboxStats
				for {
					time.Sleep(20 * time.Millisecond)
					stats, err = st.Outbox().Stats(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if stats.Pending == 0 {
						break
					}
					if time.Since(start) > 2*time.Minute {
						b.Fatalf("not drained: %+v", stats)
					}
				}
				elapsed := time.Since(start)
				cancel()
				<-done
				issued := len(srv.Badges(org))
				b.ReportMetric(float64(issued)/elapsed.Seconds(), "issues/s")
				b.ReportMetric(float64(issued)/elapsed.Seconds()/20*100, "%ofLimit")
				b.ReportMetric(float64(srv.Faults.Throttled()), "429s")
				b.ReportMetric(float64(stats.Dead), "dead")
				b.ReportMetric(float64(issued), "issued")
				if issued != n {
					b.Logf("issued %d of %d", issued, n)
				}
			}
		})
	}
}
