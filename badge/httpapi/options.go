package httpapi

import (
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// The setters below validate and apply the options every provider client
// offers; the providers' exported With… options call them, so the rules
// live in one place.

// SetBaseURL sets the API root: an absolute https URL, or http to a
// loopback host (a test server).
func (c *Config) SetBaseURL(u string) error {
	v, err := ValidateBaseURL(u)
	if err != nil {
		return err
	}
	c.BaseURL = v
	return nil
}

// SetHTTPClient sets the HTTP client; it is copied, not modified.
func (c *Config) SetHTTPClient(hc *http.Client) error {
	if hc == nil {
		return errors.New("nil *http.Client")
	}
	c.HTTPClient = hc
	return nil
}

// SetTimeout bounds each attempt.
func (c *Config) SetTimeout(d time.Duration) error {
	if d <= 0 {
		return errors.New("timeout must be positive")
	}
	c.Timeout = d
	return nil
}

// SetRetry sets the most attempts per call and the bounds of the
// exponential backoff with jitter between them.
func (c *Config) SetRetry(attempts int, minWait, maxWait time.Duration) error {
	if attempts < 1 || minWait <= 0 || maxWait < minWait {
		return errors.New("WithRetry wants attempts >= 1 and 0 < minWait <= maxWait")
	}
	c.MaxAttempts, c.MinBackoff, c.MaxBackoff = attempts, minWait, maxWait
	return nil
}

// SetMaxRetryAfter sets the longest Retry-After a call waits for by
// itself; 0 means never wait (the wait is returned in the error).
func (c *Config) SetMaxRetryAfter(d time.Duration) error {
	if d < 0 {
		return errors.New("max Retry-After must not be negative")
	}
	c.MaxRetryAfter = max(d, time.Nanosecond)
	return nil
}

// SetPacing paces every attempt to rate per second with bursts of burst
// (rate 0 turns pacing off).
func (c *Config) SetPacing(rate float64, burst, concurrency int) error {
	if rate < 0 || burst < 0 || concurrency < 0 {
		return errors.New("limits must not be negative")
	}
	c.Rate, c.Burst = rate, burst
	return nil
}

// SetTracerProvider sets the provider of the request spans; nil means none.
func (c *Config) SetTracerProvider(tp trace.TracerProvider) error {
	c.TracerProvider = tp
	return nil
}
