package eventbustest

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"go.opentelemetry.io/otel/metric/noop"
)

// reader is the suite's metrics recorder: a metric.Meter that keeps the
// cumulative sums of the int64 counters a source creates on it and, when
// collected, runs the callbacks of its int64 observable gauges. Any other
// instrument is a no-op, so a source that records the contract's metrics
// with another instrument kind fails the suite's counts.
//
// It stands in for the OpenTelemetry SDK's ManualReader on purpose: every
// adapter's tests import this package, which lives in credshare's core
// module, and the SDK would otherwise be a requirement of every service
// that imports the core. The adapters' own tests still run on the SDK
// where they export metrics (cmd/credshare, the examples).
type reader struct {
	meter *recordingMeter
}

func newReader() reader { return reader{meter: &recordingMeter{}} }

// collect returns the counters' sums and the gauges' current values.
func (r reader) collect(t *testing.T) []point {
	t.Helper()
	pts, err := r.meter.collect(context.Background())
	if err != nil {
		t.Fatalf("collecting metrics: %v", err)
	}
	return pts
}

type recordingMeter struct {
	noop.Meter

	mu        sync.Mutex
	sums      []point // one per instrument name and attribute set
	gauges    []*gauge
	callbacks map[*registration]struct{}
}

func (m *recordingMeter) Int64Counter(name string, _ ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return &counter{m: m, name: name}, nil
}

func (m *recordingMeter) Int64ObservableGauge(name string, opts ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	g := &gauge{name: name, callbacks: metric.NewInt64ObservableGaugeConfig(opts...).Callbacks()}
	m.mu.Lock()
	m.gauges = append(m.gauges, g)
	m.mu.Unlock()
	return g, nil
}

func (m *recordingMeter) RegisterCallback(f metric.Callback, _ ...metric.Observable) (metric.Registration, error) {
	r := &registration{m: m, f: f}
	m.mu.Lock()
	if m.callbacks == nil {
		m.callbacks = make(map[*registration]struct{})
	}
	m.callbacks[r] = struct{}{}
	m.mu.Unlock()
	return r, nil
}

func (m *recordingMeter) add(name string, attrs attribute.Set, v int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.sums {
		if m.sums[i].name == name && m.sums[i].attrs.Equals(&attrs) {
			m.sums[i].value += v
			return
		}
	}
	m.sums = append(m.sums, point{name: name, attrs: attrs, value: v})
}

func (m *recordingMeter) collect(ctx context.Context) ([]point, error) {
	m.mu.Lock()
	out := append([]point(nil), m.sums...)
	gauges := append([]*gauge(nil), m.gauges...)
	regs := make([]*registration, 0, len(m.callbacks))
	for r := range m.callbacks {
		regs = append(regs, r)
	}
	m.mu.Unlock()
	obs := &observer{}
	for _, g := range gauges {
		for _, cb := range g.callbacks {
			if err := cb(ctx, int64Observer{o: obs, name: g.name}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range regs {
		if err := r.f(ctx, obs); err != nil {
			return nil, err
		}
	}
	return append(out, obs.pts...), nil
}

type counter struct {
	noop.Int64Counter
	m    *recordingMeter
	name string
}

func (c *counter) Add(_ context.Context, v int64, opts ...metric.AddOption) {
	c.m.add(c.name, metric.NewAddConfig(opts).Attributes(), v)
}

type gauge struct {
	noop.Int64ObservableGauge
	name      string
	callbacks []metric.Int64Callback
}

type registration struct {
	embedded.Registration
	m *recordingMeter
	f metric.Callback
}

func (r *registration) Unregister() error {
	r.m.mu.Lock()
	delete(r.m.callbacks, r)
	r.m.mu.Unlock()
	return nil
}

// observer keeps the last value observed per instrument and attribute set.
type observer struct {
	embedded.Observer
	pts []point
}

func (o *observer) observe(name string, attrs attribute.Set, v int64) {
	for i := range o.pts {
		if o.pts[i].name == name && o.pts[i].attrs.Equals(&attrs) {
			o.pts[i].value = v
			return
		}
	}
	o.pts = append(o.pts, point{name: name, attrs: attrs, value: v})
}

func (o *observer) ObserveInt64(inst metric.Int64Observable, v int64, opts ...metric.ObserveOption) {
	if g, ok := inst.(*gauge); ok {
		o.observe(g.name, metric.NewObserveConfig(opts).Attributes(), v)
	}
}

func (o *observer) ObserveFloat64(metric.Float64Observable, float64, ...metric.ObserveOption) {}

type int64Observer struct {
	embedded.Int64Observer
	o    *observer
	name string
}

func (io int64Observer) Observe(v int64, opts ...metric.ObserveOption) {
	io.o.observe(io.name, metric.NewObserveConfig(opts).Attributes(), v)
}
