package status_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/vc"
)

// TestCheckerRefusesAGiganticSignedList: a status list credential signed
// by the right issuer whose encodedList is 87 KB but inflates to 64 MiB
// (a gzip bomb, or simply a gigantic list) is refused with ErrTooLarge —
// inflation stops at the checker's bound (DefaultMaxListBytes, 16 MiB, or
// WithMaxListBytes) — and the entry's state is unknown, never valid.
func TestCheckerRefusesAGiganticSignedList(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	e := f.entry(t, 0, vc.V2)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		_, _ = zw.Write(zero)
	}
	_ = zw.Close()
	bomb := "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.pub.ServeHTTP(rec, r)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Error(err)
			return
		}
		delete(doc, "proof")
		doc["credentialSubject"].(map[string]any)["encodedList"] = bomb
		raw, _ := json.Marshal(doc)
		signed, err := f.iss.Lists.SignList(context.Background(), raw)
		if err != nil {
			t.Error(err)
		}
		_, _ = w.Write(signed)
	})
	f.override.Store(&h)
	for _, c := range []struct {
		name string
		opts []status.CheckerOption
	}{{"default bound", nil}, {"WithMaxListBytes 1 MiB", []status.CheckerOption{status.WithMaxListBytes(1 << 20)}}} {
		r := f.checker(t, c.opts...).Check(ctx, f.iss.DID, e)
		if r.State != status.StateUnknown || !errors.Is(r.Err, status.ErrTooLarge) {
			t.Errorf("%s: state %s, err %v; want unknown with ErrTooLarge", c.name, r.State, r.Err)
		}
	}
	t.Logf("encodedList of %d bytes inflating to 64 MiB", len(bomb))
}
