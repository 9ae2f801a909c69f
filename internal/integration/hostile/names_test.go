package hostile_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/ob2"
	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet"
)

// hostileNames look like SQL, markup, script or template directives.
var hostileNames = []string{
	`Robert'); DROP TABLE cs_learners;--`,
	`" OR 1=1 -- ' OR ''='`,
	`1; SELECT SLEEP(10); --`,
	`<script>alert(1)</script><img src=x onerror=alert(2)>`,
	`"><svg onload=alert(3)>`,
	`{{.Secret}} ${7*7} %s%n \u003c`,
	`Ada ` + "`rm -rf /`" + ` Lovelace \ / ; --`,
}

// site is an issuer on 127.0.0.1 over a real store: the native OBv3
// provider with a revocation list published at /status/, the verification
// page at /credentials/ and the Open Badges 2.0 hosted documents at /ob2/.
type site struct {
	st   store.Store
	srv  *httptest.Server
	p    *obv3.Provider
	ob2  *ob2.Handler
	next int64
}

func newSite(t *testing.T, st store.Store) *site {
	t.Helper()
	s := &site{st: st}
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	priv, didKey, vm, err := did.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := vc.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := issuer.New(issuer.Config{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	base := s.srv.URL + "/status"
	lists, err := status.New(status.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	listSigner, err := statusproof.NewSigner(key, statusproof.SignerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	pub, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: base, Signers: []status.ListSigner{listSigner},
		BatchWindow: time.Nanosecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/status/", pub)
	checker, err := statusproof.NewChecker(nil, status.WithNetPolicy(netguard.Localhost()), status.WithMaxCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Config{Status: checker})
	if err != nil {
		t.Fatal(err)
	}
	profile := vc.Profile{ID: didKey, Type: vc.Types{"Profile"}, Name: "Example Academy", URL: "https://academy.example.org"}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: profile, Signer: signer,
		Achievement: wallet.StoreAchievements("Example Academy", nil), Status: lists.Entry, IncludeName: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.p, err = obv3.New(obv3.Config{Store: st, Issuer: vci, IssuerID: didKey, Status: lists, Revoker: lists,
		IDKey: []byte("0123456789abcdef0123456789abcdef-hostile-ids")}); err != nil {
		t.Fatal(err)
	}
	page, err := verifypage.New(verifypage.Config{Store: st, Verifier: ver, Status: checker,
		BaseURL: s.srv.URL + "/credentials", CacheTTL: -1, Logger: log, Public: obv3.PublicRecord})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/credentials/", http.StripPrefix("/credentials", page))
	if s.ob2, err = ob2.New(ob2.Config{Store: st, BaseURL: s.srv.URL + "/ob2", SaltKey: []byte("0123456789abcdef-hostile-salt"),
		Issuer: ob2.Issuer{Name: "Example Academy", URL: "https://academy.example.org", Image: "https://academy.example.org/logo.png"}, Log: log}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/ob2/", s.ob2)
	return s
}

func (s *site) get(t *testing.T, url string) string {
	t.Helper()
	resp, err := s.srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestHostileNamesRoundTripAndRenderEscaped stores SQL-, markup- and
// script-looking names — as a template's name and description, a
// learner's username and full name, and award evidence — in SQLite and
// MariaDB: each reads back byte for byte, no table is dropped, and the
// credential issued from them shows them on the verification page as
// escaped text (no markup of theirs in the HTML), in the page's JSON and
// in the Open Badges 2.0 BadgeClass as JSON strings equal to the input
// with < and > escaped.
func TestHostileNamesRoundTripAndRenderEscaped(t *testing.T) {
	for bname, open := range backends {
		t.Run(bname, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			s := newSite(t, b.st)
			tablesBefore := len(b.dump(t))
			for _, name := range hostileNames {
				s.next++
				tpl, err := b.st.Config().PutTemplate(ctx, store.Template{UUID: uuid.New(), Name: name, Description: name,
					ImageURL: "https://academy.example.org/b.png", Provider: obv3.ID, State: store.TemplateActive})
				if err != nil {
					t.Fatalf("%q: PutTemplate: %v", name, err)
				}
				l := credential.Learner{UserID: s.next, Username: name, Email: "ada@example.org", FullName: name, IsActive: true}
				if _, _, err := b.st.Learners().Upsert(ctx, l); err != nil {
					t.Fatalf("%q: Upsert: %v", name, err)
				}
				a, err := credential.NewAward(s.next, credential.Badge(tpl.UUID.String()), credential.Cause{EventID: name, EventTime: time.Now(), Reason: name})
				if err != nil {
					t.Fatal(err)
				}
				a.Evidence = map[string]string{"course_name": name}
				if a, _, err = b.st.Awards().Put(ctx, a); err != nil {
					t.Fatalf("%q: award: %v", name, err)
				}
				// Round trip, byte for byte.
				gt, err := b.st.Config().GetTemplate(ctx, tpl.UUID)
				if err != nil || gt.Name != name || gt.Description != name {
					t.Errorf("template read back %q / %q, %v; want %q", gt.Name, gt.Description, err, name)
				}
				gl, err := b.st.Learners().Get(ctx, s.next)
				if err != nil || gl.Username != name || gl.FullName != name {
					t.Errorf("learner read back %q / %q, %v; want %q", gl.Username, gl.FullName, err, name)
				}
				ga, err := b.st.Awards().GetByUUID(ctx, a.UUID)
				if err != nil || ga.Evidence["course_name"] != name || ga.Awarded.EventID != name || ga.Awarded.Reason != name {
					t.Errorf("award read back %+v, %v; want %q", ga, err, name)
				}

				// The verification page of the credential issued from them.
				key := "issue:" + a.UUID.String()
				if _, err := s.p.Issue(ctx, badge.IssueRequest{IdempotencyKey: key, AwardUUID: a.UUID}); err != nil {
					t.Fatalf("%q: issue: %v", name, err)
				}
				id := s.p.RecordID(key)
				page := s.get(t, s.srv.URL+"/credentials/"+id.String())
				if !strings.Contains(page, html.EscapeString(name)) || !strings.Contains(page, `data-state="valid"`) {
					t.Errorf("%q: page does not show it escaped (or is not valid):\n%s", name, page)
				}
				for _, raw := range []string{"<script", "<img src=x", "<svg", "onerror=alert(2)>", `"><svg`, "onload=alert(3)>"} {
					if strings.Contains(page, raw) {
						t.Errorf("%q: page holds %q", name, raw)
					}
				}
				js := s.get(t, s.srv.URL+"/credentials/"+id.String()+".json")
				var v verifypage.View
				if err := json.Unmarshal([]byte(js), &v); err != nil {
					t.Fatal(err)
				}
				if v.Achievement == nil || v.Achievement.Name != name || v.Recipient == nil || v.Recipient.Name != name {
					t.Errorf("%q: JSON view %+v %+v", name, v.Achievement, v.Recipient)
				}
				if strings.ContainsAny(js, "<>") {
					t.Errorf("%q: JSON view holds a raw < or >", name)
				}

				// The Open Badges 2.0 BadgeClass.
				bc := s.get(t, s.ob2.BadgeClassURL(credential.Badge(tpl.UUID.String())))
				var doc map[string]any
				if err := json.Unmarshal([]byte(bc), &doc); err != nil {
					t.Fatal(err)
				}
				if doc["name"] != name || doc["description"] != name {
					t.Errorf("%q: BadgeClass name %q, description %q", name, doc["name"], doc["description"])
				}
				if strings.ContainsAny(bc, "<>") {
					t.Errorf("%q: BadgeClass holds a raw < or >", name)
				}
			}
			if n := len(b.dump(t)); n != tablesBefore {
				t.Errorf("%d tables after, %d before", n, tablesBefore)
			}
		})
	}
}
