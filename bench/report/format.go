package main

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// num writes v with thousands separators and about three significant
// digits: 1,234,567 · 12,345 · 123 · 12.3 · 1.23 · 0.123.
func num(v float64) string {
	// Round to three significant digits first, so 99.98 reads 100, not 100.0.
	if r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64); err == nil && math.Abs(v) < 100 {
		v = r
	}
	a := math.Abs(v)
	switch {
	case a >= 100 || v == math.Trunc(v):
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a == 0:
		return "0"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ratio writes a ratio with two significant decimals below 10.
func ratio(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}

// dur writes nanoseconds as a duration with three significant digits.
func dur(ns float64) string {
	// Thresholds a hair below the unit, so 999,990 ns reads 1.00 ms, not 1,000 µs.
	d := time.Duration(ns * 1.0005)
	switch {
	case d >= time.Second:
		return num(ns/1e9) + " s"
	case d >= time.Millisecond:
		return num(ns/1e6) + " ms"
	case d >= time.Microsecond:
		return num(ns/1e3) + " µs"
	default:
		return num(ns) + " ns"
	}
}

// figure writes one value of unit: durations for ns/op, else the number
// and the label ("1,234 sign/s").
func figure(v float64, unit, label string) string {
	if unit == "ns/op" {
		return dur(v)
	}
	if label == "" {
		label = unit
	}
	return num(v) + " " + label
}
