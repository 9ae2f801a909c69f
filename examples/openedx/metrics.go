package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// newMetrics returns a MeterProvider whose instruments are exposed by the
// returned handler in the Prometheus exposition format, through the
// OpenTelemetry Prometheus exporter and client_golang's handler: names,
// _total and unit suffixes, histograms and # HELP lines are theirs. The
// registry is the program's own (no global one), so two apps in one
// process — as in the tests — do not share series; the Go runtime and
// process collectors are registered beside it.
func newMetrics() (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return mp, h, nil
}
