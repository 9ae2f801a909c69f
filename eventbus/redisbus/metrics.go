package redisbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/credshare/credshare/eventbus/internal/busmetrics"
	"go.opentelemetry.io/otel/metric"
)

// Names of the metrics a Source records when SourceConfig.Meter is set.
const (
	// MetricDelivered counts entries whose handler returned nil.
	MetricDelivered = busmetrics.Delivered
	// MetricDeadLettered counts entries written to a dead-letter stream.
	MetricDeadLettered = busmetrics.DeadLettered
	// MetricLag is the gauge of entries the group has not acknowledged.
	MetricLag = busmetrics.Lag
)

// newMetrics creates the instruments on m and registers the lag callback
// for s.
func newMetrics(m metric.Meter, s *Source) (*busmetrics.Recorder, error) {
	r, err := busmetrics.New(m, busmetrics.Config{Adapter: "redisbus", Transport: "redis", Group: s.cfg.Group,
		LagDescription: "Entries of each stream not yet acknowledged by the consumer group (undelivered plus pending)."})
	if err != nil {
		return nil, err
	}
	if err := r.ObserveLag(func(ctx context.Context) ([]busmetrics.LagPoint, error) {
		var out []busmetrics.LagPoint
		var errs []error
		for _, st := range s.streams {
			n, ok, err := s.StreamLag(ctx, st)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				out = append(out, busmetrics.LagPoint{Topic: st, Partition: -1, Messages: n})
			}
		}
		return out, errors.Join(errs...)
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// StreamLag returns how many entries of stream (a full stream name) the
// source's group has not acknowledged yet: the entries not yet delivered
// to the group (XINFO GROUPS "lag", Redis 7 and later) plus the pending
// ones (delivered, not acknowledged). ok is false while the stream or the
// group does not exist. When Redis cannot say how many entries are
// undelivered (before Redis 7, or a null entries-read, e.g. after entries
// were deleted from the middle of the stream) and the group has not read
// up to the stream's last entry, the result counts the pending entries
// only and is a lower bound.
func (s *Source) StreamLag(ctx context.Context, stream string) (n int64, ok bool, err error) {
	groups, err := s.cfg.Client.XInfoGroups(ctx, stream).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("redisbus: XINFO GROUPS %s: %w", stream, err)
	}
	for _, g := range groups {
		if g.Name != s.cfg.Group {
			continue
		}
		// Redis replies with a null entries-read when it does not know the
		// group's position, and its lag is then an estimate at best (some
		// servers report the stream's length there): trust it only while
		// the group has not read anything.
		if g.Lag >= 0 && (g.EntriesRead > 0 || g.LastDeliveredID == "0-0") {
			return g.Pending + g.Lag, true, nil
		}
		last, err := s.cfg.Client.XRevRangeN(ctx, stream, "+", "-", 1).Result()
		if err != nil {
			return 0, false, fmt.Errorf("redisbus: XREVRANGE %s: %w", stream, err)
		}
		if len(last) == 0 || !idAfter(last[0].ID, g.LastDeliveredID) {
			return g.Pending, true, nil // read up to the end: nothing undelivered
		}
		return g.Pending, true, nil
	}
	return 0, false, nil
}

// idAfter reports whether stream entry id a comes after b.
func idAfter(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	return am > bm || (am == bm && as > bs)
}

func splitID(id string) (ms, seq uint64) {
	m, q, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(q, 10, 64)
	return ms, seq
}
