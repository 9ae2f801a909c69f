package credly_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/badge/httpapi"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/badgetest"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
)

// BenchmarkIssueAtRateLimit drives the Credly client against a fake with
// 50 ms latency and a 20 requests/s token-bucket limit (answering 429 with
// Retry-After above it), pacing issues with a simple token-bucket loop at
// the limit. It reports the achieved issue rate, the 429s the fake sent and
// the issues lost (failed after the client's retries). Run with:
//
//	go test -run '^$' -bench IssueAtRateLimit -benchtime 1x ./badge/credly/
func BenchmarkIssueAtRateLimit(b *testing.B) {
	for _, tc := range []struct {
		name       string
		pace       float64 // issues per second offered by the driver loop
		burst      int     // the fake's bucket size
		n          int
		serverRate float64
		client     badge.Limits // the client's own pacing (zero: none)
	}{
		{"offered=20/s,serverBurst=1,clientPacing=none", 20, 1, 200, 20, badge.Limits{}},
		{"offered=20/s,serverBurst=5,clientPacing=none", 20, 5, 200, 20, badge.Limits{}},
		{"offered=20/s,serverBurst=1,clientPacing=20/s", 20, 1, 200, 20, badge.Limits{Rate: 20, Burst: 1}},
		{"offered=20/s,serverBurst=1,clientPacing=19.5/s", 20, 1, 200, 20, badge.Limits{Rate: 19.5, Burst: 1}},
		{"offered=20/s,serverBurst=5,clientPacing=19.5/s", 20, 5, 200, 20, badge.Limits{Rate: 19.5, Burst: 1}},
		{"offered=20/s,serverBurst=1,clientPacing=19/s", 20, 1, 200, 20, badge.Limits{Rate: 19, Burst: 1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				srv := credlyfake.New(b)
				srv.AddOrg(testOrg, testToken)
				tpl := srv.AddTemplates(testOrg, 1)[0]
				srv.Faults.SetLatency(50 * time.Millisecond)
				srv.Faults.SetRateLimit(tc.serverRate, tc.burst)
				p, err := credly.NewProvider(credly.StaticAccounts{testOrg: testToken}, httpapi.WithBaseURL(srv.URL()),
					httpapi.WithRetry(6, 50*time.Millisecond, time.Second), httpapi.WithMaxRetryAfter(2*time.Second),
					httpapi.WithLimits(tc.client))
				if err != nil {
					b.Fatal(err)
				}
				ref := badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}
				var wg sync.WaitGroup
				var lost atomic.Int64
				interval := time.Duration(float64(time.Second) / tc.pace)
				start := time.Now()
				next := start
				for range tc.n {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := p.Issue(context.Background(), badgetest.IssueRequest(ref)); err != nil {
							lost.Add(1)
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				issued := len(srv.Badges(testOrg))
				b.ReportMetric(float64(issued)/elapsed.Seconds(), "issues/s")
				b.ReportMetric(float64(issued)/elapsed.Seconds()/tc.serverRate*100, "%ofLimit")
				b.ReportMetric(float64(srv.Faults.Throttled()), "429s")
				b.ReportMetric(float64(lost.Load()), "lost")
				b.ReportMetric(float64(issued), "issued")
			}
		})
	}
}

// BenchmarkIssue measures one issue round trip (client, JSON, loopback HTTP,
// fake API) with no latency or limit: the client's own cost.
func BenchmarkIssue(b *testing.B) {
	srv := credlyfake.New(b)
	srv.AddOrg(testOrg, testToken)
	tpl := srv.AddTemplates(testOrg, 1)[0]
	p, err := credly.NewProvider(credly.StaticAccounts{testOrg: testToken}, httpapi.WithBaseURL(srv.URL()))
	if err != nil {
		b.Fatal(err)
	}
	ref := badge.TemplateRef{AccountID: testOrg, ExternalID: tpl.ID}
	reqs := make([]badge.IssueRequest, b.N)
	for i := range reqs {
		reqs[i] = badgetest.IssueRequest(ref)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := p.Issue(context.Background(), reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNotification measures the webhook body parser.
func BenchmarkParseNotification(b *testing.B) {
	body := []byte(`{"id":"6f0b3c1e-1d2a-4b7e-9f00-2a1b3c4d5e6f","organization_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","event_type":"badge.state.changed","occurred_at":"2026-03-15T10:00:00Z"}`)
	b.ReportAllocs()
	for range b.N {
		if _, err := credly.ParseNotification(body); err != nil {
			b.Fatal(err)
		}
	}
}
