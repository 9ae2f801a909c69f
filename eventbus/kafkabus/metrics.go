package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credshare/credshare/eventbus/internal/busmetrics"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.opentelemetry.io/otel/metric"
)

// Names of the metrics a Source records when SourceConfig.Meter is set.
const (
	// MetricDelivered counts messages whose handler returned nil.
	MetricDelivered = busmetrics.Delivered
	// MetricDeadLettered counts messages written to a dead-letter topic.
	MetricDeadLettered = busmetrics.DeadLettered
	// MetricLag is the gauge of messages not yet handled, per assigned
	// partition.
	MetricLag = busmetrics.Lag
)

// lagTimeout bounds the broker round trips of one lag observation.
const lagTimeout = 5 * time.Second

// metrics holds a Source's instruments and the state the lag gauge needs:
// the partitions assigned to the source and, per partition, the offset
// after the last message handled. A nil *metrics records nothing.
type metrics struct {
	*busmetrics.Recorder

	mu       sync.Mutex
	assigned map[tp]bool
	next     map[tp]int64
}

func newMetrics(m metric.Meter, group string) (*metrics, error) {
	r, err := busmetrics.New(m, busmetrics.Config{Adapter: "kafkabus", Transport: "kafka", Group: group,
		LagDescription: "Messages of each assigned partition not yet handled by this consumer (high watermark minus the next offset to handle)."})
	if err != nil {
		return nil, err
	}
	return &metrics{Recorder: r, assigned: map[tp]bool{}, next: map[tp]int64{}}, nil
}

// start registers the lag callback once the source's client exists.
func (m *metrics) start(s *Source) error {
	if m == nil {
		return nil
	}
	return m.ObserveLag(func(ctx context.Context) ([]busmetrics.LagPoint, error) {
		lags, err := s.Lag(ctx)
		out := make([]busmetrics.LagPoint, len(lags))
		for i, l := range lags {
			out[i] = busmetrics.LagPoint{Topic: l.Topic, Partition: int(l.Partition), Messages: l.Messages}
		}
		return out, err
	})
}

// recorder is the source's Recorder, nil without metrics.
func (m *metrics) recorder() *busmetrics.Recorder {
	if m == nil {
		return nil
	}
	return m.Recorder
}

// onAssigned is the franz-go OnPartitionsAssigned hook.
func (m *metrics) onAssigned(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, ps := range parts {
		for _, p := range ps {
			m.assigned[tp{t, p}] = true
		}
	}
}

// forget drops revoked or lost partitions.
func (m *metrics) forget(parts map[string][]int32) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, ps := range parts {
		for _, p := range ps {
			delete(m.assigned, tp{t, p})
			delete(m.next, tp{t, p})
		}
	}
}

// handled records that r was handled (or dead-lettered).
func (m *metrics) handled(r *kgo.Record) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.next[tp{r.Topic, r.Partition}] = r.Offset + 1
	m.mu.Unlock()
}

// PartitionLag is how far this consumer is behind on one partition.
type PartitionLag struct {
	// Topic is the full topic name.
	Topic string
	// Partition is the partition number.
	Partition int32
	// Messages is the partition's high watermark minus the offset of the
	// next message to handle, including one a handler is working on.
	Messages int64
}

// Lag returns the lag of every partition currently assigned to the source:
// the high watermark (asked of the partition leaders) minus the next
// offset to handle, which is the offset after the last message this source
// handled, else the group's committed offset, else the partition's log
// start (where a new group starts). It needs SourceConfig.Meter; without
// it the source does not track its partitions and Lag returns nil.
// Partitions whose offsets could not be listed are left out and the error
// says why.
func (s *Source) Lag(ctx context.Context) ([]PartitionLag, error) {
	m := s.m
	if m == nil {
		return nil, nil
	}
	m.mu.Lock()
	parts := map[string][]int32{}
	next := make(map[tp]int64, len(m.next))
	for k := range m.assigned {
		parts[k.topic] = append(parts[k.topic], k.part)
		if n, ok := m.next[k]; ok {
			next[k] = n
		}
	}
	m.mu.Unlock()
	if len(parts) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lagTimeout)
	defer cancel()
	ends, err := s.listOffsets(ctx, parts, -1)
	committed := s.cl.CommittedOffsets()
	var unknown map[string][]int32
	for k := range ends {
		if _, ok := next[k]; ok {
			continue
		}
		if c, ok := committed[k.topic][k.part]; ok && c.Offset >= 0 {
			next[k] = c.Offset
			continue
		}
		if unknown == nil {
			unknown = map[string][]int32{}
		}
		unknown[k.topic] = append(unknown[k.topic], k.part)
	}
	if len(unknown) > 0 {
		starts, serr := s.listOffsets(ctx, unknown, -2)
		err = errors.Join(err, serr)
		for k, v := range starts {
			next[k] = v
		}
	}
	out := make([]PartitionLag, 0, len(ends))
	for k, end := range ends {
		n, ok := next[k]
		if !ok {
			continue
		}
		out = append(out, PartitionLag{Topic: k.topic, Partition: k.part, Messages: max(end-n, 0)})
	}
	return out, err
}

// listOffsets asks the partition leaders for the latest (ts -1) or earliest
// (ts -2) offset of each partition.
func (s *Source) listOffsets(ctx context.Context, parts map[string][]int32, ts int64) (map[tp]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for t, ps := range parts {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = t
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	out := map[tp]int64{}
	var errs []error
	for _, sh := range s.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			errs = append(errs, sh.Err)
			continue
		}
		resp, ok := sh.Resp.(*kmsg.ListOffsetsResponse)
		if !ok {
			continue
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, err))
					continue
				}
				out[tp{t.Topic, p.Partition}] = p.Offset
			}
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("kafkabus: listing offsets: %w", errors.Join(errs...))
	}
	return out, nil
}
