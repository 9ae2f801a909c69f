package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// metricsHandler serves the OpenTelemetry metrics collected by reader in
// the Prometheus text exposition format (version 0.0.4): counters get the
// _total suffix, units in seconds and bytes their usual suffixes, dots
// become underscores.
func metricsHandler(reader *sdkmetric.ManualReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(r.Context(), &rm); err != nil {
			http.Error(w, "collecting metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		writePrometheus(bw, rm)
		bw.Flush()
	})
}

type promFamily struct {
	name, help, typ string
	// lines are series (one line each, or a histogram's block), sorted
	// before writing.
	lines []string
}

func writePrometheus(w io.Writer, rm metricdata.ResourceMetrics) {
	fams := map[string]*promFamily{}
	family := func(name, help, typ string) *promFamily {
		f, ok := fams[name]
		if !ok {
			f = &promFamily{name: name, help: help, typ: typ}
			fams[name] = f
		}
		return f
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			base := promName(m.Name, m.Unit)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				addSum(family, base, m.Description, d.IsMonotonic, d.DataPoints, func(v int64) float64 { return float64(v) })
			case metricdata.Sum[float64]:
				addSum(family, base, m.Description, d.IsMonotonic, d.DataPoints, func(v float64) float64 { return v })
			case metricdata.Gauge[int64]:
				f := family(base, m.Description, "gauge")
				for _, p := range d.DataPoints {
					f.lines = append(f.lines, sample(base, p.Attributes, nil, float64(p.Value)))
				}
			case metricdata.Gauge[float64]:
				f := family(base, m.Description, "gauge")
				for _, p := range d.DataPoints {
					f.lines = append(f.lines, sample(base, p.Attributes, nil, p.Value))
				}
			case metricdata.Histogram[float64]:
				addHistogram(family(base, m.Description, "histogram"), base, d.DataPoints, func(v float64) float64 { return v })
			case metricdata.Histogram[int64]:
				addHistogram(family(base, m.Description, "histogram"), base, d.DataPoints, func(v int64) float64 { return float64(v) })
			}
		}
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f := fams[n]
		if f.help != "" {
			fmt.Fprintf(w, "# HELP %s %s\n", f.name, escapeHelp(f.help))
		}
		fmt.Fprintf(w, "# TYPE %s %s\n", f.name, f.typ)
		slices.Sort(f.lines)
		for _, l := range f.lines {
			io.WriteString(w, l)
		}
	}
}

func addSum[N int64 | float64](family func(string, string, string) *promFamily, base, help string, monotonic bool, pts []metricdata.DataPoint[N], conv func(N) float64) {
	name, typ := base, "gauge"
	if monotonic {
		typ = "counter"
		if !strings.HasSuffix(name, "_total") {
			name += "_total"
		}
	}
	f := family(name, help, typ)
	for _, p := range pts {
		f.lines = append(f.lines, sample(name, p.Attributes, nil, conv(p.Value)))
	}
}

// addHistogram adds one block per series: its buckets in ascending order
// of le, then _sum and _count.
func addHistogram[N int64 | float64](f *promFamily, base string, pts []metricdata.HistogramDataPoint[N], conv func(N) float64) {
	for _, p := range pts {
		var b strings.Builder
		var cum uint64
		for i, bound := range p.Bounds {
			cum += p.BucketCounts[i]
			b.WriteString(sample(base+"_bucket", p.Attributes, []string{"le", formatFloat(bound)}, float64(cum)))
		}
		b.WriteString(sample(base+"_bucket", p.Attributes, []string{"le", "+Inf"}, float64(p.Count)))
		b.WriteString(sample(base+"_sum", p.Attributes, nil, conv(p.Sum)))
		b.WriteString(sample(base+"_count", p.Attributes, nil, float64(p.Count)))
		f.lines = append(f.lines, b.String())
	}
}

func sample(name string, attrs attribute.Set, extra []string, v float64) string {
	var b strings.Builder
	b.WriteString(name)
	var labels []string
	for _, kv := range attrs.ToSlice() {
		labels = append(labels, sanitize(string(kv.Key))+`="`+escapeLabel(kv.Value.String())+`"`)
	}
	if len(extra) == 2 {
		labels = append(labels, extra[0]+`="`+extra[1]+`"`)
	}
	if len(labels) > 0 {
		b.WriteString("{" + strings.Join(labels, ",") + "}")
	}
	b.WriteString(" " + formatFloat(v) + "\n")
	return b.String()
}

func promName(name, unit string) string {
	n := sanitize(name)
	suffix := map[string]string{"s": "_seconds", "ms": "_milliseconds", "By": "_bytes"}[unit]
	if suffix != "" && !strings.HasSuffix(n, suffix) {
		n += suffix
	}
	return n
}

func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
