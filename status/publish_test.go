package status_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc/did"
	"github.com/google/uuid"
)

type pubFixture struct {
	st    store.Store
	svc   *status.Service
	pub   *status.Publisher
	clock *clock
	iss   issuerKey
	refs  []store.StatusRef
}

func newPubFixture(t *testing.T, cfg status.PublisherConfig) *pubFixture {
	t.Helper()
	f := &pubFixture{st: newMem(t), clock: newClock(), iss: newIssuer(t)}
	f.svc = newService(t, base, status.Config{Suspension: true})
	f.refs = issue(t, f.st, f.svc, f.iss.DID, uuid.New())
	cfg.Store, cfg.BaseURL, cfg.Now = f.st, base, f.clock.Now
	cfg.Signers = []status.ListSigner{f.iss.Lists}
	p, err := status.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.pub = p
	return f
}

func (f *pubFixture) get(_ testing.TB, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "https://creds.example.edu"+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.pub.ServeHTTP(w, req)
	return w
}

func maxAge(t *testing.T, w *httptest.ResponseRecorder) time.Duration {
	t.Helper()
	cc := w.Header().Get("Cache-Control")
	_, v, ok := strings.Cut(cc, "max-age=")
	if !ok {
		t.Fatalf("Cache-Control %q has no max-age", cc)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(n) * time.Second
}

func TestPublisherServesSignedListsInBothFormats(t *testing.T) {
	f := newPubFixture(t, status.PublisherConfig{})
	id := f.refs[0].ListID
	verifier := statusproof.Verifier{Resolver: did.NewResolver()}
	for _, c := range []struct {
		path, typ, ctype string
	}{
		{"/status/" + id, "BitstringStatusListCredential", "application/vc+ld+json"},
		{"/status/" + id + "/2021", "StatusList2021Credential", "application/ld+json"},
	} {
		w := f.get(t, c.path)
		if w.Code != 200 || w.Header().Get("Content-Type") != c.ctype {
			t.Fatalf("%s: %d %s %s", c.path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["id"] != "https://creds.example.edu"+c.path || !strings.Contains(w.Body.String(), c.typ) || doc["issuer"] != f.iss.DID {
			t.Fatalf("%s: document %s", c.path, w.Body)
		}
		signers, err := verifier.VerifyProof(context.Background(), w.Body.Bytes())
		if err != nil || len(signers) != 1 || signers[0] != f.iss.DID {
			t.Fatalf("%s: proof: %v %v", c.path, signers, err)
		}
		if ma := maxAge(t, w); ma <= 0 || ma > status.DefaultMaxAge {
			t.Fatalf("max-age %v", ma)
		}
	}
}

func TestPublisherAnswersBadRequestsWith4xx(t *testing.T) {
	f := newPubFixture(t, status.PublisherConfig{})
	for path, want := range map[string]int{
		"/status/unknownlist":                    404,
		"/status/unknownlist/2021":               404,
		"/other/" + f.refs[0].ListID:             404,
		"/status/":                               400,
		"/status/a/b/c":                          400,
		"/status/" + f.refs[0].ListID + "/2022":  400,
		"/status/%25zz":                          400,
		"/status/..%2f..%2fetc":                  400,
		"/status/" + strings.Repeat("a", 65):     400,
		"/status/a%00b":                          400,
		"/status/" + f.refs[0].ListID + "?x=<y>": 200,
		"/status/" + f.refs[0].ListID + "/2021/": 400,
	} {
		w := f.get(t, path)
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
	}
	req := httptest.NewRequest(http.MethodPost, base+"/"+f.refs[0].ListID, nil)
	w := httptest.NewRecorder()
	f.pub.ServeHTTP(w, req)
	if w.Code != 405 {
		t.Fatalf("POST = %d", w.Code)
	}
	// A list of an issuer the publisher cannot sign for is not served.
	other := issue(t, f.st, f.svc, "did:key:zSomeoneElse", uuid.New())
	if w := f.get(t, "/status/"+other[0].ListID); w.Code != 404 {
		t.Fatalf("foreign list = %d", w.Code)
	}
}

func TestPublisherETagAndNotModified(t *testing.T) {
	f := newPubFixture(t, status.PublisherConfig{})
	path := "/status/" + f.refs[0].ListID
	w := f.get(t, path)
	etag := w.Header().Get("ETag")
	if etag == "" || etag[0] != '"' {
		t.Fatalf("ETag %q", etag)
	}
	for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag, "*"} {
		if w := f.get(t, path, "If-None-Match", inm); w.Code != 304 || w.Body.Len() != 0 || w.Header().Get("Cache-Control") == "" {
			t.Fatalf("If-None-Match %s: %d", inm, w.Code)
		}
	}
	if w := f.get(t, path, "If-None-Match", `"other"`); w.Code != 200 {
		t.Fatalf("other etag: %d", w.Code)
	}
	req := httptest.NewRequest(http.MethodHead, "https://creds.example.edu"+path, nil)
	hw := httptest.NewRecorder()
	f.pub.ServeHTTP(hw, req)
	if hw.Code != 200 || hw.Body.Len() != 0 || hw.Header().Get("ETag") != etag {
		t.Fatalf("HEAD: %d %d", hw.Code, hw.Body.Len())
	}
}

func TestPublisherBatchesChangesIntoOneSignature(t *testing.T) {
	ctx := context.Background()
	f := newPubFixture(t, status.PublisherConfig{BatchWindow: time.Second})
	ref := f.refs[0]
	path := "/status/" + ref.ListID
	first := f.get(t, path)
	if f.pub.Signatures() != 1 {
		t.Fatalf("signatures = %d", f.pub.Signatures())
	}
	// 1,000 revocations within the window.
	for i := range 1000 {
		if _, err := f.st.StatusLists().SetStatus(ctx, ref.ListID, (ref.Index+i)%status.MinEntries, 1); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		if w := f.get(t, path); w.Header().Get("ETag") != first.Header().Get("ETag") {
			t.Fatal("re-signed inside the batch window")
		}
	}
	f.clock.Add(time.Second)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = f.get(t, path)
		}()
	}
	wg.Wait()
	w := f.get(t, path)
	if f.pub.Signatures() != 2 {
		t.Fatalf("signatures = %d after 1,000 changes, want 2", f.pub.Signatures())
	}
	if w.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Fatal("the changes were not published")
	}
	var doc struct {
		CredentialSubject struct{ EncodedList string } `json:"credentialSubject"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	b, err := status.DecodeBitstring(doc.CredentialSubject.EncodedList, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Count() != 1000 {
		t.Fatalf("%d bits set, want 1000", b.Count())
	}
	// Unchanged lists are not re-signed when the window passes.
	f.clock.Add(time.Minute)
	_ = f.get(t, path)
	if f.pub.Signatures() != 2 {
		t.Fatalf("signatures = %d for an unchanged list", f.pub.Signatures())
	}
}

func TestPublisherResignsBeforeValidUntilAndCapsMaxAge(t *testing.T) {
	f := newPubFixture(t, status.PublisherConfig{Validity: time.Hour, RefreshBefore: 10 * time.Minute, MaxAge: 2 * time.Hour})
	path := "/status/" + f.refs[0].ListID
	w := f.get(t, path)
	if ma := maxAge(t, w); ma > time.Hour {
		t.Fatalf("max-age %v outlives the document's validity", ma)
	}
	f.clock.Add(45 * time.Minute)
	w = f.get(t, path)
	if f.pub.Signatures() != 1 || maxAge(t, w) > 15*time.Minute {
		t.Fatalf("signatures %d, max-age %v", f.pub.Signatures(), maxAge(t, w))
	}
	f.clock.Add(6 * time.Minute) // 9 minutes left: under RefreshBefore
	w = f.get(t, path)
	if f.pub.Signatures() != 2 || maxAge(t, w) != time.Hour {
		t.Fatalf("signatures %d, max-age %v", f.pub.Signatures(), maxAge(t, w))
	}
	var doc struct{ ValidFrom, ValidUntil time.Time }
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	if !doc.ValidFrom.Equal(f.clock.Now()) || doc.ValidUntil.Sub(doc.ValidFrom) != time.Hour {
		t.Fatalf("validity %v – %v", doc.ValidFrom, doc.ValidUntil)
	}
}

func TestNewPublisherValidates(t *testing.T) {
	st := newMem(t)
	iss := newIssuer(t)
	for name, cfg := range map[string]status.PublisherConfig{
		"no store":   {BaseURL: base, Signers: []status.ListSigner{iss.Lists}},
		"no signers": {Store: st, BaseURL: base},
		"bad base":   {Store: st, BaseURL: "ftp://x", Signers: []status.ListSigner{iss.Lists}},
		"two":        {Store: st, BaseURL: base, Signers: []status.ListSigner{iss.Lists, iss.Lists}},
		"short":      {Store: st, BaseURL: base, Signers: []status.ListSigner{iss.Lists}, Validity: time.Second},
	} {
		if _, err := status.NewPublisher(cfg); !errors.Is(err, status.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPublisherUnderConcurrentChangesAndStoreFailure(t *testing.T) {
	ctx := context.Background()
	f := newPubFixture(t, status.PublisherConfig{BatchWindow: time.Millisecond})
	paths := []string{"/status/" + f.refs[0].ListID, "/status/" + f.refs[1].ListID + "/2021"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = f.st.StatusLists().SetStatus(ctx, f.refs[i%2].ListID, i%status.MinEntries, 1)
			f.clock.Add(time.Millisecond)
		}
	}()
	var bad atomic.Int64
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if w := f.get(t, paths[g%2]); w.Code != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d requests failed", bad.Load())
	}
	// A store that fails answers 503 with Retry-After, never 500.
	_ = f.st.Close()
	f.clock.Add(time.Minute)
	w := f.get(t, paths[0])
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("closed store: %d", w.Code)
	}
}
