package wallet_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/credshare/credshare/vc/wallet"
)

// syncBuf is a log destination safe for concurrent handlers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// documentedID reports whether s has the documented form of a request id
// a caller may choose: 1 to 64 characters of A-Z a-z 0-9 . _ -.
func documentedID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == ""
}

// registryWithLog is a registry with no wallets and no learner
// authentication: its init endpoint refuses every request (and logs it).
func registryWithLog(t testing.TB, logs *syncBuf) http.Handler {
	t.Helper()
	reg, err := wallet.NewRegistry(nil, wallet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	return reg.Handler(nil)
}

// TestRequestIDs: a valid X-Request-ID is echoed and logged as sent; an
// invalid one (too long, spaces, quotes, non-ASCII, empty) is replaced by a
// generated id, which is echoed and logged instead, and never the caller's
// text.
func TestRequestIDs(t *testing.T) {
	logs := &syncBuf{}
	h := registryWithLog(t, logs)
	send := func(id string, set bool) (string, int) {
		r := httptest.NewRequest(http.MethodPost, "/credentials/init/", strings.NewReader(`{}`))
		if set {
			r.Header.Set(wallet.RequestIDHeader, id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header().Get(wallet.RequestIDHeader), w.Code
	}
	for _, id := range []string{"abc", "req-2026.05_01", strings.Repeat("a", 64), "0"} {
		got, code := send(id, true)
		if got != id || code != http.StatusUnauthorized {
			t.Fatalf("X-Request-ID %q: echoed %q (%d)", id, got, code)
		}
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Fatalf("the refusal's log line lacks request id %q:\n%s", id, logs)
		}
	}
	seen := map[string]bool{}
	for _, id := range []string{strings.Repeat("a", 65), "a b", `x"},"level":"ERROR`, "naïve", "a/b", "a\tb", "", "<script>"} {
		for _, set := range []bool{true, false} {
			got, _ := send(id, set)
			if got == id || !documentedID(got) || seen[got] {
				t.Fatalf("X-Request-ID %q: echoed %q, want a fresh generated id", id, got)
			}
			seen[got] = true
			if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
				t.Fatalf("the log lacks the generated id %q:\n%s", got, logs)
			}
		}
	}
	// The public endpoint echoes the id too.
	r := httptest.NewRequest(http.MethodGet, "/storages/", nil)
	r.Header.Set(wallet.RequestIDHeader, "list-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Header().Get(wallet.RequestIDHeader) != "list-1" {
		t.Fatalf("storages: %d, X-Request-ID %q", w.Code, w.Header().Get(wallet.RequestIDHeader))
	}
}

// FuzzValidRequestID: whatever a caller sends as X-Request-ID, the id the
// response carries has the documented form, and it is the caller's exactly
// when the caller's has that form.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"abc", "", " ", strings.Repeat("z", 64), strings.Repeat("z", 65), "a\r\nb", "é", "a.b_c-d", "\x00"} {
		f.Add(s)
	}
	h := registryWithLog(f, &syncBuf{})
	f.Fuzz(func(t *testing.T, id string) {
		r := httptest.NewRequest(http.MethodGet, "/storages/", nil)
		r.Header[http.CanonicalHeaderKey(wallet.RequestIDHeader)] = []string{id} // as received, unchecked
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get(wallet.RequestIDHeader)
		if !documentedID(got) {
			t.Fatalf("X-Request-ID %q: echoed %q, which is not of the documented form", id, got)
		}
		if (got == id) != documentedID(id) {
			t.Fatalf("X-Request-ID %q: echoed %q", id, got)
		}
	})
}
