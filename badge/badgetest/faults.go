package badgetest

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is one injected misbehaviour of a fake provider server, applied to
// one request.
type Fault struct {
	// Status, when non-zero, answers the request with this status and Body
	// without calling the real handler.
	Status int
	// Body is the response body for Status (default: a small JSON error).
	Body string
	// RetryAfter, when non-empty, is sent as the Retry-After header.
	RetryAfter string
	// Delay holds the response back this long before the handler runs
	// (use it to exceed the client's timeout). The handler still runs, as
	// a real server would finish the work after the client gave up.
	Delay time.Duration
	// Malformed lets the handler run (so its effect happens) and then
	// replaces its response body with text that is not JSON.
	Malformed bool
}

// Faults wraps a fake provider's http.Handler and injects faults: queued
// one-shot faults (bursts of 5xx, 429 with Retry-After, slow or malformed
// responses), a fixed latency, and a token-bucket rate limit that answers
// 429 with Retry-After when exceeded, as a throttling API does. A Faults is
// safe for concurrent use; its zero value injects nothing.
type Faults struct {
	mu      sync.Mutex
	queue   []Fault
	latency time.Duration

	rate      float64 // tokens per second; 0 = unlimited
	burst     float64
	tokens    float64
	last      time.Time
	throttled int
	requests  int
}

// Queue appends faults; each applies to one subsequent request, in order.
func (f *Faults) Queue(faults ...Fault) {
	f.mu.Lock()
	f.queue = append(f.queue, faults...)
	f.mu.Unlock()
}

// Burst queues n responses with the given status (e.g. a burst of 500s).
func (f *Faults) Burst(n, status int) {
	for range n {
		f.Queue(Fault{Status: status})
	}
}

// Reset drops queued faults and removes latency and rate limit.
func (f *Faults) Reset() {
	f.mu.Lock()
	f.queue, f.latency, f.rate = nil, 0, 0
	f.mu.Unlock()
}

// SetLatency delays every response by d (before the handler runs).
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// SetRateLimit admits at most rps requests per second with the given burst;
// requests above it get 429 with a Retry-After (in whole seconds, at least
// 1, as HTTP requires) and are not handled. rps <= 0 removes the limit.
func (f *Faults) SetRateLimit(rps float64, burst int) {
	f.mu.Lock()
	f.rate, f.burst = rps, float64(max(burst, 1))
	f.tokens, f.last = f.burst, time.Time{}
	f.mu.Unlock()
}

// Throttled returns how many requests the rate limit refused.
func (f *Faults) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// Requests returns how many requests reached the wrapper.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Pending returns how many queued faults are left.
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// take returns the next fault, the latency, and whether the rate limit
// refused the request (with the wait until a token is free).
func (f *Faults) take(now time.Time) (fault Fault, ok bool, latency time.Duration, limited bool, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	latency = f.latency
	if f.rate > 0 {
		if !f.last.IsZero() {
			f.tokens = math.Min(f.burst, f.tokens+now.Sub(f.last).Seconds()*f.rate)
		}
		f.last = now
		if f.tokens < 1 {
			f.throttled++
			return Fault{}, false, latency, true, time.Duration((1 - f.tokens) / f.rate * float64(time.Second))
		}
		f.tokens--
	}
	if len(f.queue) > 0 {
		fault, f.queue = f.queue[0], f.queue[1:]
		return fault, true, latency, false, 0
	}
	return Fault{}, false, latency, false, 0
}

// Wrap returns h with the faults applied.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault, ok, latency, limited, wait := f.take(time.Now())
		if r.Body != nil && (latency > 0 || fault.Delay > 0) {
			// Read the body first: only then does net/http notice a client
			// that hangs up while we wait.
			b, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		if latency > 0 {
			sleep(r, latency)
		}
		if limited {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			writeJSONError(w, http.StatusTooManyRequests, `{"data":{"message":"Too many requests"}}`)
			return
		}
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		if fault.Delay > 0 {
			sleep(r, fault.Delay)
		}
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		switch {
		case fault.Status != 0:
			body := fault.Body
			if body == "" {
				body = `{"data":{"message":"` + http.StatusText(fault.Status) + `"}}`
			}
			writeJSONError(w, fault.Status, body)
		case fault.Malformed:
			rec := &recorder{header: http.Header{}}
			h.ServeHTTP(rec, r)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(max(rec.status, http.StatusOK))
			_, _ = w.Write([]byte("<html>502 upstream hiccup {not json"))
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// sleep waits d, or less if the client went away (the server would not
// notice at once, but there is no point keeping a test waiting).
func sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func writeJSONError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
