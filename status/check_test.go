package status_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

// checkFixture is a Publisher behind a TLS server and a Checker on it.
type checkFixture struct {
	*pubFixture
	srv      *httptest.Server
	fetches  atomic.Int64
	override atomic.Pointer[http.HandlerFunc]
	award    uuid.UUID
}

func newCheckFixture(t testing.TB) *checkFixture {
	t.Helper()
	f := &checkFixture{pubFixture: &pubFixture{st: newMem(t), clock: newClock(), iss: newIssuer(t)}, award: uuid.New()}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		if h := f.override.Load(); h != nil {
			(*h)(w, r)
			return
		}
		f.pub.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.svc = newService(t, f.srv.URL+"/status", status.Config{Suspension: true})
	f.refs = issue(t, f.st, f.svc, f.iss.DID, f.award)
	p, err := status.NewPublisher(status.PublisherConfig{
		Store: f.st, BaseURL: f.srv.URL + "/status", Now: f.clock.Now, Signers: []status.ListSigner{f.iss.Lists},
		BatchWindow: time.Nanosecond, // publish every change at once
	})
	if err != nil {
		t.Fatal(err)
	}
	f.pub = p
	return f
}

func (f *checkFixture) checker(t testing.TB, opts ...status.CheckerOption) *status.Checker {
	t.Helper()
	opts = append(append(localNet(f.srv), status.WithClock(f.clock.Now)), opts...)
	c, err := statusproof.NewChecker(nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *checkFixture) entry(t *testing.T, i int, v vc.Version) vc.StatusEntry {
	t.Helper()
	e, err := f.svc.Entry(f.refs[i], v)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCheckerReadsValidRevokedAndSuspended(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	c := f.checker(t, status.WithMaxCacheTTL(0))
	for _, v := range []vc.Version{vc.V2, vc.V1} {
		for i := range 2 {
			if r := c.Check(ctx, f.iss.DID, f.entry(t, i, v)); r.State != status.StateValid {
				t.Fatalf("v%d entry %d: %+v", v, i, r)
			}
		}
	}
	if _, err := f.svc.SuspendAward(ctx, f.st, f.award); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second) // past the publisher's batch window
	if r := c.Check(ctx, f.iss.DID, f.entry(t, 1, vc.V2)); r.State != status.StateSuspended || r.Value != 1 {
		t.Fatalf("suspended: %+v", r)
	}
	if err := f.svc.RevokeAward(ctx, f.st, awardOf(f.award)); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
	for _, v := range []vc.Version{vc.V2, vc.V1} {
		r := c.Check(ctx, f.iss.DID, f.entry(t, 0, v))
		if r.State != status.StateRevoked || !strings.Contains(r.Reason, "revoked") {
			t.Fatalf("v%d revoked: %+v", v, r)
		}
		sr, err := c.CheckStatus(ctx, f.iss.DID, f.entry(t, 0, v))
		if err != nil || !sr.Set || sr.Purpose != "revocation" {
			t.Fatalf("CheckStatus: %+v %v", sr, err)
		}
	}
}

func TestCheckerCachesWithinCacheControl(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	c := f.checker(t)
	e := f.entry(t, 0, vc.V2)
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateValid || r.Cached {
		t.Fatalf("%+v", r)
	}
	for range 10 {
		if r := c.Check(ctx, f.iss.DID, e); !r.Cached {
			t.Fatal("not served from the cache")
		}
	}
	if n := f.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}
	// A revocation shows once the cache entry (max-age 300 s) expires.
	if err := f.svc.RevokeAward(ctx, f.st, awardOf(f.award)); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(status.DefaultMaxAge - time.Second)
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateValid {
		t.Fatalf("%+v", r)
	}
	f.clock.Add(2 * time.Second)
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateRevoked || r.Cached {
		t.Fatalf("after max-age: %+v", r)
	}
	// no-store and max-age=0 turn caching off.
	for _, cc := range []string{"no-store", "max-age=0", "no-cache"} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			f.pub.ServeHTTP(rec, r)
			w.Header().Set("Cache-Control", cc)
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
		f.override.Store(&h)
		c := f.checker(t)
		before := f.fetches.Load()
		c.Check(ctx, f.iss.DID, e)
		c.Check(ctx, f.iss.DID, e)
		if f.fetches.Load()-before != 2 {
			t.Fatalf("%s: cached", cc)
		}
	}
}

func TestCheckerReportsUnknownWithTheReason(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	e := f.entry(t, 0, vc.V2)
	serve := func(h http.HandlerFunc) { f.override.Store(&h) }
	mutate := func(fn func(doc map[string]any)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			f.pub.ServeHTTP(rec, r)
			var doc map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &doc)
			fn(doc)
			_ = json.NewEncoder(w).Encode(doc)
		}
	}
	other := newIssuer(t)
	cases := []struct {
		name   string
		setup  func()
		issuer string
		entry  func() vc.StatusEntry
		want   error
	}{
		{"other issuer", nil, other.DID, nil, status.ErrMismatch},
		{"purpose", nil, "", func() vc.StatusEntry { x := e; x.StatusPurpose = "suspension"; return x }, status.ErrMismatch},
		{"type", nil, "", func() vc.StatusEntry { x := e; x.Type = "StatusList2021Entry"; return x }, status.ErrMismatch},
		{"index", nil, "", func() vc.StatusEntry { x := e; x.StatusListIndex = "99999999"; return x }, status.ErrMismatch},
		{"bad index", nil, "", func() vc.StatusEntry { x := e; x.StatusListIndex = "-1"; return x }, status.ErrMalformed},
		{"http URL", nil, "", func() vc.StatusEntry {
			x := e
			x.StatusListCredential = strings.Replace(x.StatusListCredential, "https:", "http:", 1)
			return x
		}, status.ErrMalformed},
		{"unknown entry type", nil, "", func() vc.StatusEntry { x := e; x.Type = "RevocationList2020Status"; return x }, status.ErrMalformed},
		{"404", func() { serve(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }) }, "", nil, status.ErrFetch},
		{"redirect to http", func() {
			serve(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://127.0.0.1:1/x", http.StatusFound)
			})
		}, "", nil, status.ErrFetch},
		{"too large", func() {
			serve(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(strings.Repeat(" ", 2<<20))) })
		}, "", nil, status.ErrTooLarge},
		{"tampered", func() {
			serve(mutate(func(doc map[string]any) {
				b, _ := status.NewBitstring(status.MinEntries, 1)
				enc, _ := b.Encode()
				doc["credentialSubject"].(map[string]any)["encodedList"] = enc + "A"
			}))
		}, "", nil, status.ErrUnsigned},
		{"unsigned", func() { serve(mutate(func(doc map[string]any) { delete(doc, "proof") })) }, "", nil, status.ErrUnsigned},
		{"moved", func() {
			serve(mutate(func(doc map[string]any) { doc["id"] = "https://elsewhere.example/list" }))
		}, "", nil, status.ErrMismatch},
		{"signed by another issuer", func() {
			serve(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				f.pub.ServeHTTP(rec, r)
				var doc map[string]any
				_ = json.Unmarshal(rec.Body.Bytes(), &doc)
				delete(doc, "proof")
				doc["issuer"] = other.DID
				raw, _ := json.Marshal(doc)
				signed, err := other.Lists.SignList(context.Background(), raw)
				if err != nil {
					t.Error(err)
				}
				_, _ = w.Write(signed)
			})
		}, "", nil, status.ErrMismatch},
	}
	for _, c := range cases {
		f.override.Store(nil)
		if c.setup != nil {
			c.setup()
		}
		iss, en := f.iss.DID, e
		if c.issuer != "" {
			iss = c.issuer
		}
		if c.entry != nil {
			en = c.entry()
		}
		r := f.checker(t).Check(ctx, iss, en)
		if r.State != status.StateUnknown || !errors.Is(r.Err, c.want) || r.Reason == "" {
			t.Errorf("%s: state %s, err %v; want unknown with %v", c.name, r.State, r.Err, c.want)
		}
		if _, err := f.checker(t).CheckStatus(ctx, iss, en); err == nil {
			t.Errorf("%s: CheckStatus gave no error", c.name)
		}
	}
}

func TestCheckerRefusesAnExpiredList(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	c := f.checker(t, status.WithMaxCacheTTL(48*time.Hour))
	e := f.entry(t, 0, vc.V2)
	body := f.get(t, strings.TrimPrefix(e.StatusListCredential, f.srv.URL)).Body.Bytes()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }) // no Cache-Control
	f.override.Store(&h)
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateValid {
		t.Fatalf("%+v", r)
	}
	f.clock.Add(status.DefaultValidity + time.Second)
	r := c.Check(ctx, f.iss.DID, e)
	if r.State != status.StateUnknown || !errors.Is(r.Err, status.ErrExpired) {
		t.Fatalf("expired list: %+v (cached %v)", r, r.Cached)
	}
}

func TestCheckerOptionsValidate(t *testing.T) {
	if _, err := status.NewChecker(nil); !errors.Is(err, status.ErrInvalid) {
		t.Fatal("nil verifier")
	}
	if _, err := statusproof.NewChecker(nil, status.WithMaxCacheTTL(-1)); !errors.Is(err, status.ErrInvalid) {
		t.Fatal("negative TTL")
	}
}

func awardOf(id uuid.UUID) credential.Award { return credential.Award{UUID: id} }

func TestCheckerReadsMessageLists(t *testing.T) {
	ctx := context.Background()
	f := newCheckFixture(t)
	svc := newService(t, f.srv.URL+"/status", status.Config{Messages: &status.MessageConfig{StatusSize: 2, Messages: []status.StatusMessage{
		{Value: 0, Message: "valid"}, {Value: 1, Message: "under review"}, {Value: 2, Message: "corrected"}, {Value: 3, Message: "withdrawn"},
	}}})
	award := uuid.New()
	refs := issue(t, f.st, svc, f.iss.DID, award)
	if len(refs) != 2 || refs[1].Purpose != status.PurposeMessage {
		t.Fatalf("refs = %+v", refs)
	}
	e, err := svc.Entry(refs[1], vc.V2)
	if err != nil {
		t.Fatal(err)
	}
	c := f.checker(t, status.WithMaxCacheTTL(0))
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateValid || r.Value != 0 || r.Message != "valid" {
		t.Fatalf("%+v", r)
	}
	if _, err := svc.SetAwardMessage(ctx, f.st, award, 2); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
	if r := c.Check(ctx, f.iss.DID, e); r.State != status.StateValid || r.Value != 2 || r.Message != "corrected" {
		t.Fatalf("%+v", r)
	}
	// A message list has no StatusList2021 form.
	if w := f.get(t, "/status/"+refs[1].ListID+"/2021"); w.Code != 404 {
		t.Fatalf("2021 form of a message list: %d", w.Code)
	}
}
