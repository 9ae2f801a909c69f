package verifypage

import (
	"strconv"
	"strings"
)

// maxRanges bounds the media ranges read from Accept headers.
const maxRanges = 32

// PrefersJSON reports whether Accept header values (RFC 9110 media ranges
// with optional q weights) rank application/json above text/html. Each
// type takes the weight of the most specific range matching it (type/sub
// over type/* over */*); ties, an absent header and anything unreadable
// give HTML. Only the first 32 ranges are read.
func PrefersJSON(accept []string) bool {
	var ranges []mediaRange
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			if len(ranges) == maxRanges {
				break
			}
			if r, ok := parseRange(part); ok {
				ranges = append(ranges, r)
			}
		}
	}
	return weight(ranges, "application", "json") > weight(ranges, "text", "html")
}

type mediaRange struct {
	typ, sub string
	q        float64
}

func parseRange(s string) (mediaRange, bool) {
	mt, params, _ := strings.Cut(s, ";")
	typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
	if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
		return mediaRange{}, false
	}
	r := mediaRange{typ: typ, sub: sub, q: 1}
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 || q != q {
			return mediaRange{}, false
		}
		r.q = q
	}
	return r, true
}

// weight is the q of the most specific range matching typ/sub, 0 if none.
func weight(ranges []mediaRange, typ, sub string) float64 {
	best, spec := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.sub == sub:
			s = 2
		case r.typ == typ && r.sub == "*":
			s = 1
		case r.typ == "*":
			s = 0
		}
		if s > spec || (s == spec && r.q > best) {
			if s >= 0 {
				best, spec = r.q, s
			}
		}
	}
	return best
}
