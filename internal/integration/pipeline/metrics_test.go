package pipeline_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/credshare/credshare/credential/pipeline"
	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store/memstore"
)

func TestPipelineRecordsMetrics(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	st := memstore.New()
	p, _ := newPipeline(t, st, pipeline.Config{Meter: meter})
	u := user(7, "ada@example.org")
	ev := certEvent(eventbus.TypeCertificateCreated, "m1", u, "course-v1:a+b+c", t0)
	for range 2 { // applied, then duplicate
		if err := p.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Handle(ctx, certEvent(eventbus.TypeCertificateCreated, "", u, "course-v1:a+b+c", t0)); !retry.IsPermanent(err) {
		t.Fatalf("no id: %v", err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					key := m.Name
					if v, ok := dp.Attributes.Value("outcome"); ok {
						key += "/" + v.AsString()
					}
					if v, ok := dp.Attributes.Value("transition"); ok {
						key += "/" + v.AsString()
					}
					got[key] += dp.Value
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					if v, ok := dp.Attributes.Value("state"); ok {
						got[m.Name+"/"+v.AsString()] = dp.Value
					}
				}
			}
		}
	}
	for k, want := range map[string]int64{
		"credshare.events/applied":            1,
		"credshare.events/duplicate":          1,
		"credshare.events/invalid":            1,
		"credshare.award.transitions/granted": 1,
		"credshare.outbox.depth/pending":      0,
		"credshare.outbox.depth/dead":         0,
	} {
		if got[k] != want {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], want, got)
		}
	}
	if _, ok := got["credshare.outbox.depth/pending"]; !ok {
		t.Errorf("outbox depth gauge not observed: %v", got)
	}
}
