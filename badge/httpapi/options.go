package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/credshare/credshare/badge"
)

// Option sets one field of a Config. They are the options of every
// provider built on this package — badge/credly and badge/accredible
// take them as their own (credly.Option is Option), and a plugin's
// constructor can too — so a host configures any provider's HTTP client
// with the same words: httpapi.WithTimeout(5*time.Second) works with
// credly.New, accredible.NewProvider and a plugin alike. Each option
// checks its argument; Config.With reports the first refusal.
type Option func(*Config) error

// With returns c with opts applied in order (nil options are skipped),
// or the first option's error. New still validates the result as a whole.
func (c Config) With(opts ...Option) (Config, error) {
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithBaseURL sets the API root: an absolute https URL, or plain http to a
// loopback host (a test server).
func WithBaseURL(u string) Option {
	return func(c *Config) error {
		v, err := ValidateBaseURL(u)
		c.BaseURL = v
		return err
	}
}

// WithHTTPClient sets the HTTP client (its transport, proxy, TLS settings).
// The client is copied, not modified. Without it the API uses a vc/netguard
// client that reaches the base URL's host only.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Config) error {
		c.HTTPClient = hc
		return check(hc != nil, "nil *http.Client")
	}
}

// WithTimeout bounds each attempt (default 10s).
func WithTimeout(d time.Duration) Option {
	return func(c *Config) error {
		c.Timeout = d
		return check(d > 0, "timeout must be positive")
	}
}

// WithRetry sets the most attempts per call (default 4) and the bounds of
// the exponential backoff with jitter between them (defaults 250ms, 5s).
// attempts = 1 disables retries.
func WithRetry(attempts int, minWait, maxWait time.Duration) Option {
	return func(c *Config) error {
		c.MaxAttempts, c.MinBackoff, c.MaxBackoff = attempts, minWait, maxWait
		return check(attempts >= 1 && minWait > 0 && maxWait >= minWait, "WithRetry wants attempts >= 1 and 0 < minWait <= maxWait")
	}
}

// WithMaxRetryAfter sets the longest Retry-After a call waits for by
// itself (default 5s); 0 means never wait. A longer one ends the call with
// an error whose RetryAfter tells the caller (the outbox dispatcher) when
// to try again.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *Config) error {
		c.MaxRetryAfter = d
		if d == 0 {
			c.MaxRetryAfter = -1
		}
		return check(d >= 0, "max Retry-After must not be negative")
	}
}

// WithLogger sets the logger for retries (debug level). Tokens and request
// bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Config) error {
		c.Logger = l
		return nil
	}
}

// WithTracerProvider records an OpenTelemetry client span (SpanRequest)
// for every HTTP request: method, URL path (no query, no token), status
// code. nil (the default) records none; the global provider is never used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *Config) error {
		c.TracerProvider = tp
		return nil
	}
}

// WithLimits declares the rate the API allows. The provider reports it
// through badge.RateLimited, and when l.Rate > 0 every attempt (first tries
// and retries, across goroutines) is paced to l.Rate per second with bursts
// of l.Burst; a 429 slows the schedule by one interval and the refused call
// waits its Retry-After. Each provider documents its default.
func WithLimits(l badge.Limits) Option {
	return func(c *Config) error {
		c.Limits = l
		return check(l.Rate >= 0 && l.Burst >= 0 && l.Concurrency >= 0, "limits must not be negative")
	}
}

// WithClock sets Config.Now, the clock for the dates a provider writes
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Config) error {
		c.Now = now
		return check(now != nil, "nil clock")
	}
}

func check(ok bool, msg string) error {
	if ok {
		return nil
	}
	return errors.New(msg)
}

// Build applies opts to defaults and makes the API, prefixing any error
// with the provider id: the whole of a provider constructor's option
// handling. It returns the final Config too, for the settings the
// provider itself reads (Limits, Now).
func Build(defaults Config, opts ...Option) (Config, *API, error) {
	c, err := defaults.With(opts...)
	if err == nil {
		var api *API
		if api, err = New(c); err == nil {
			if c.Now == nil {
				c.Now = time.Now
			}
			return c, api, nil
		}
	}
	return c, nil, fmt.Errorf("%s: %w", defaults.Provider, err)
}
