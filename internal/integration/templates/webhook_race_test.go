package templates_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/badge/credly"
	"github.com/credshare/credshare/badge/credly/credlyfake"
	"github.com/credshare/credshare/badge/httpapi"
	"github.com/credshare/credshare/badge/rules"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/sqlitestore"
)

const (
	org   = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	token = "tok_live_7d1c4b8e0a9f4f2e"
)

// TestTemplateWebhooksKeepRulesStoredMeanwhile: goroutines deliver Credly
// template webhooks (created, changed, deleted) while another goroutine
// loads a rules file for the same templates over and over (the rules path,
// rules.PutTemplates), on every store. The rules are never lost — every
// load's rule set gets the next rules version, no webhook adds a version of
// its own, and each template ends with the last load's rules — and the
// provider's fields end as the last delivery set them. Before webhooks
// stored the provider's fields with a compare-and-set
// (badge.PutProviderFields), a delivery that read a template just before a
// load stored its rules wrote the rules it had read back over them
// (MariaDB, where a webhook's transaction sees what other transactions
// commit; memstore and SQLite serialise transactions, so it could not
// happen there).
func TestTemplateWebhooksKeepRulesStoredMeanwhile(t *testing.T) {
	t.Run("memstore", func(t *testing.T) {
		st := memstore.New()
		t.Cleanup(func() { _ = st.Close() })
		webhookRulesRace(t, st)
	})
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "credshare.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		webhookRulesRace(t, st)
	})
	t.Run("mariadb", func(t *testing.T) {
		webhookRulesRace(t, mysqltest.Open(t)) // skips without CREDSHARE_MYSQL_DSN
	})
}

// Sizes of the race: owned templates (one delivering goroutine each), the
// goroutines sharing the hot template, the deliveries each makes at least,
// and the rules file loads.
const (
	owned      = 4
	hotWorkers = 4
	minDeliver = 12
	loads      = 25
)

// delivered is what a delivery said of a template.
type delivered struct {
	Name, Description, ImageURL, State string
}

type raceEnv struct {
	t    *testing.T
	st   store.Store
	srv  *credlyfake.Server
	h    http.Handler
	logs *lockedBuffer
	// redeliveries counts 503 answers redelivered, as Credly does.
	redeliveries atomic.Int64
}

func webhookRulesRace(t *testing.T, st store.Store) {
	ctx := context.Background()
	e := newRaceEnv(t, st)

	// The templates exist at Credly and in the store (created webhooks),
	// without rules: version 1, no rule set.
	ids := make([]string, owned+1) // ids[owned] is the hot template
	for i := range ids {
		tpl, ev := e.srv.TemplateCreated(org, credlyfake.Template{Name: fmt.Sprintf("template %d", i), State: "active"})
		ids[i] = tpl.ID
		e.deliver(ev)
	}
	if t.Failed() {
		return
	}

	var (
		wg         sync.WaitGroup
		loadsDone  atomic.Bool
		versions   = make([][]int, len(ids)) // versions[i][l]: load l's version of template i
		lastOwned  = make([]delivered, owned)
		hotMu      sync.Mutex
		hotByName  = map[string]delivered{}
		loadErr    error
		deliveries atomic.Int64
	)
	wg.Add(1)
	go func() { // the rules path: a rules file loaded again and again
		defer wg.Done()
		defer loadsDone.Store(true)
		for l := range loads {
			out, err := rules.PutTemplates(ctx, st.Config(), rulesFile(ids, l))
			if err != nil {
				loadErr = err
				return
			}
			for i, tpl := range out {
				versions[i] = append(versions[i], tpl.RulesVersion)
			}
		}
	}()
	for g := range owned {
		wg.Add(1)
		go func() { // one template's deliveries, in order
			defer wg.Done()
			gone := false
			for i := 0; i < minDeliver || !loadsDone.Load(); i++ {
				d := delivered{Name: fmt.Sprintf("t%d change %d", g, i), Description: fmt.Sprintf("description %d", i),
					ImageURL: fmt.Sprintf("https://images.example.org/t%d-%d.png", g, i), State: []string{"active", "draft", "archived"}[i%3]}
				switch {
				case gone: // back at Credly under the same id
					_, ev := e.srv.TemplateCreated(org, credlyfake.Template{ID: ids[g], Name: d.Name, Description: d.Description, ImageURL: d.ImageURL, State: d.State})
					e.deliver(ev)
					gone = false
				case i%5 == 4:
					e.deliver(e.srv.UpdateTemplate(org, ids[g], nil, true))
					gone = true
				default:
					e.deliver(e.srv.UpdateTemplate(org, ids[g], func(t *credlyfake.Template) {
						t.Name, t.Description, t.ImageURL, t.State = d.Name, d.Description, d.ImageURL, d.State
					}, false))
				}
				deliveries.Add(1)
			}
			// The last delivery comes after the last load (which wrote
			// the rules file's name and state).
			d := delivered{Name: fmt.Sprintf("t%d final", g), Description: "final", ImageURL: fmt.Sprintf("https://images.example.org/t%d.png", g),
				State: []string{"active", "draft", "archived"}[g%3]}
			if gone {
				_, ev := e.srv.TemplateCreated(org, credlyfake.Template{ID: ids[g], Name: d.Name, Description: d.Description, ImageURL: d.ImageURL, State: d.State})
				e.deliver(ev)
			} else {
				e.deliver(e.srv.UpdateTemplate(org, ids[g], func(t *credlyfake.Template) {
					t.Name, t.Description, t.ImageURL, t.State = d.Name, d.Description, d.ImageURL, d.State
				}, false))
			}
			deliveries.Add(1)
			lastOwned[g] = d
		}()
	}
	for w := range hotWorkers {
		wg.Add(1)
		go func() { // several goroutines changing one template at once
			defer wg.Done()
			for i := 0; i < minDeliver || !loadsDone.Load(); i++ {
				d := delivered{Name: fmt.Sprintf("hot w%d change %d", w, i), Description: fmt.Sprintf("w%d description %d", w, i),
					ImageURL: fmt.Sprintf("https://images.example.org/hot-%d-%d.png", w, i), State: []string{"active", "draft"}[(w+i)%2]}
				hotMu.Lock()
				hotByName[d.Name] = d
				hotMu.Unlock()
				e.deliver(e.srv.UpdateTemplate(org, ids[owned], func(t *credlyfake.Template) {
					t.Name, t.Description, t.ImageURL, t.State = d.Name, d.Description, d.ImageURL, d.State
				}, false))
				deliveries.Add(1)
			}
		}()
	}
	wg.Wait()
	if loadErr != nil {
		t.Fatalf("loading the rules file: %v", loadErr)
	}
	t.Logf("%d deliveries (%d redelivered after a 503) raced %d rules file loads of %d templates", deliveries.Load(), e.redeliveries.Load(), loads, len(ids))

	for i, id := range ids {
		got, err := st.Config().FindTemplate(ctx, credly.ProviderID, org, id)
		if err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
		// Rules: load l stored version l+2 (version 1 is the created
		// webhook's, without rules), nobody else added a version, and
		// every version holds its load's rule set.
		for l, v := range versions[i] {
			if v != l+2 {
				t.Errorf("template %d: load %d stored rules version %d, want %d: a webhook stored a rule set in between (versions %v)", i, l, v, l+2, versions[i])
				break
			}
		}
		if want := loads + 1; got.RulesVersion != want {
			t.Errorf("template %d: rules version %d at the end, want %d (the last load's)", i, got.RulesVersion, want)
		}
		if want := ruleSet(t, rulesFile(ids, loads-1)[i]); !sameJSON(got.Rules, want) {
			t.Errorf("template %d: rules %s at the end, want the last load's %s", i, got.Rules, want)
		}
		for v := 2; v <= got.RulesVersion; v++ {
			rs, err := st.Config().RulesAt(ctx, got.UUID, v)
			if err != nil {
				t.Errorf("template %d: rules version %d: %v", i, v, err)
				break
			}
			if want := ruleSet(t, rulesFile(ids, v-2)[i]); !sameJSON(rs, want) {
				t.Errorf("template %d: rules version %d is %s, want load %d's %s", i, v, rs, v-2, want)
				break
			}
		}
		// Provider fields: the last delivery's.
		have := delivered{got.Name, got.Description, got.ImageURL, got.State}
		if i < owned {
			want := lastOwned[i]
			want.State = storedState(want.State)
			if have != want {
				t.Errorf("template %d: provider fields %+v at the end, want the last delivery's %+v", i, have, want)
			}
			continue
		}
		// The hot template: which of the concurrent deliveries committed
		// last is not known, but all its fields are that one's.
		want, ok := hotByName[got.Name]
		want.State = storedState(want.State)
		if !ok || have != want {
			t.Errorf("hot template: provider fields %+v at the end, want all four from one delivery (%+v)", have, want)
		}
	}
	if t.Failed() {
		t.Logf("webhook log:\n%s", e.logs.String())
	}
}

func newRaceEnv(t *testing.T, st store.Store) *raceEnv {
	t.Helper()
	ctx := context.Background()
	srv := credlyfake.New(t)
	srv.AddOrg(org, token)
	if err := st.Config().PutAccount(ctx, store.ProviderAccount{ID: org, Provider: credly.ProviderID, Secret: token, Active: true}); err != nil {
		t.Fatal(err)
	}
	p, err := credly.NewProvider(st.Config(), httpapi.WithBaseURL(srv.URL()),
		httpapi.WithRetry(3, time.Millisecond, 5*time.Millisecond), httpapi.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	h, err := credly.NewWebhookHandler(p, credly.WebhookConfig{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &raceEnv{t: t, st: st, srv: srv, h: h, logs: logs}
}

// deliver posts the notification of event id, again after a 503 (as Credly
// redelivers), and fails the test unless it is answered 200 within a few
// tries.
func (e *raceEnv) deliver(id string) {
	if id == "" {
		e.t.Error("the Credly fake recorded no event")
		return
	}
	body := e.srv.Notification(org, id)
	for try := range 5 {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/badges/credly/webhook/", bytes.NewReader(body)))
		switch {
		case rec.Code == http.StatusOK:
			return
		case rec.Code == http.StatusServiceUnavailable && try < 4:
			e.redeliveries.Add(1)
			continue
		}
		e.t.Errorf("delivery of event %s answered %d (%q)", id, rec.Code, rec.Body.String())
		return
	}
}

// rulesFile is the rules file of load l: every template active, with a
// requirement naming load l's course.
func rulesFile(ids []string, l int) []rules.Template {
	ts := make([]rules.Template, len(ids))
	for i, id := range ids {
		ts[i] = rules.Template{
			UUID: badge.TemplateUUID(credly.ProviderID, org, id), Name: fmt.Sprintf("rules file name %d", i),
			Provider: credly.ProviderID, AccountID: org, ExternalID: id, State: rules.StateActive,
			Set: rules.Set{Requirements: []rules.Requirement{{
				ID: "pass", EventType: eventbus.TypeCoursePassingStatusUpdated,
				Rules: []rules.DataRule{
					{Path: "course.course_key", Operator: rules.OpEq, Value: fmt.Sprintf("course-v1:X+T%d+L%d", i, l)},
					{Path: "is_passing", Operator: rules.OpEq, Value: "true"},
				},
			}}},
		}
	}
	return ts
}

func ruleSet(t *testing.T, tpl rules.Template) json.RawMessage {
	t.Helper()
	b, err := tpl.Set.RulesJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// storedState is the store state a Credly template state becomes.
func storedState(s string) string {
	switch s {
	case "active":
		return store.TemplateActive
	case "draft":
		return store.TemplateDraft
	}
	return store.TemplateArchived
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
