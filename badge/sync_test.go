package badge_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/google/uuid"
)

// listing is a TemplateLister over a fixed slice, failing after failAfter
// templates when failAfter >= 0.
type listing struct {
	items     []badge.RemoteTemplate
	failAfter int
}

func (l listing) ListTemplates(_ context.Context, _ string) iter.Seq2[badge.RemoteTemplate, error] {
	return func(yield func(badge.RemoteTemplate, error) bool) {
		for i, it := range l.items {
			if l.failAfter >= 0 && i == l.failAfter {
				yield(badge.RemoteTemplate{}, errors.New("page 3: connection reset"))
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}

func tpl(id, name string) badge.RemoteTemplate {
	return badge.RemoteTemplate{AccountID: "acc", ExternalID: id, Name: name, State: store.TemplateActive}
}

func TestSyncTemplates(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	cfg := st.Config()
	opts := badge.SyncOptions{Provider: "credly", AccountID: "acc"}

	rep, err := badge.SyncTemplates(ctx, cfg, listing{items: []badge.RemoteTemplate{tpl("1", "One"), tpl("2", "Two"), tpl("3", "Three")}, failAfter: -1}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(badge.SyncCreate) != 3 || rep.Seen != 3 {
		t.Fatalf("first sync: %s", rep)
	}
	one, err := cfg.FindTemplate(ctx, "credly", "acc", "1")
	if err != nil {
		t.Fatal(err)
	}
	one.Rules = json.RawMessage(`{"requirements":[{"id":"r"}]}`)
	one.Repeatable = true
	if one, err = cfg.PutTemplate(ctx, one); err != nil {
		t.Fatal(err)
	}

	// "1" vanishes, "2" is renamed, "4" is new; a dry run reports it all
	// and writes nothing.
	next := listing{items: []badge.RemoteTemplate{tpl("2", "Two!"), tpl("3", "Three"), tpl("4", "Four")}, failAfter: -1}
	dry := opts
	dry.DryRun = true
	rep, err = badge.SyncTemplates(ctx, cfg, next, dry)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(badge.SyncCreate) != 1 || rep.Count(badge.SyncUpdate) != 1 || rep.Count(badge.SyncDeactivate) != 1 || rep.Unchanged != 1 {
		t.Fatalf("dry run: %s", rep)
	}
	if got := rep.Changes[1]; got.Action != badge.SyncUpdate || got.Template.Name != "Two!" || len(got.Fields) != 1 || got.Fields[0] != "name" {
		t.Errorf("update change = %+v", got)
	}
	all, _ := cfg.ListTemplates(ctx, store.TemplateFilter{Provider: "credly"})
	if len(all) != 3 {
		t.Fatalf("dry run wrote: %d templates", len(all))
	}

	// A listing that fails part-way deactivates nothing.
	rep, err = badge.SyncTemplates(ctx, cfg, listing{items: next.items, failAfter: 1}, opts)
	if err == nil || rep.Count(badge.SyncDeactivate) != 0 {
		t.Fatalf("failed listing: err=%v report=%s", err, rep)
	}

	rep, err = badge.SyncTemplates(ctx, cfg, next, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.GetTemplate(ctx, one.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.TemplateArchived || string(got.Rules) != string(one.Rules) || !got.Repeatable || got.RulesVersion != one.RulesVersion {
		t.Errorf("vanished template = %+v, want archived with rules kept", got)
	}
	// Coming back re-activates it, still with its rules.
	rep, err = badge.SyncTemplates(ctx, cfg, listing{items: append(next.items, tpl("1", "One")), failAfter: -1}, opts)
	if err != nil || rep.Count(badge.SyncUpdate) != 1 {
		t.Fatalf("return: err=%v %s", err, rep)
	}
	got, _ = cfg.GetTemplate(ctx, one.UUID)
	if got.State != store.TemplateActive || string(got.Rules) != string(one.Rules) {
		t.Errorf("returned template = %+v", got)
	}
}

func TestSyncTemplatesValidates(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	_, err := badge.SyncTemplates(context.Background(), st.Config(), listing{failAfter: -1}, badge.SyncOptions{Provider: "credly"})
	if !errors.Is(err, badge.ErrInvalid) {
		t.Errorf("missing account: %v", err)
	}
}

func TestTemplateUUIDStable(t *testing.T) {
	a := badge.TemplateUUID("credly", "org", "t1")
	if a != badge.TemplateUUID("credly", "org", "t1") || a == badge.TemplateUUID("credly", "org2", "t1") || a == badge.TemplateUUID("accredible", "org", "t1") {
		t.Error("TemplateUUID not a stable function of provider, account and id")
	}
}

// racingListing stores rules for each template it lists, just before
// listing it, as a replica loading its rules file at the same moment does.
type racingListing struct {
	listing
	cfg   store.Config
	rules json.RawMessage
}

func (l racingListing) ListTemplates(ctx context.Context, acc string) iter.Seq2[badge.RemoteTemplate, error] {
	return func(yield func(badge.RemoteTemplate, error) bool) {
		for _, it := range l.items {
			t, err := l.cfg.GetTemplate(ctx, badge.TemplateUUID("credly", acc, it.ExternalID))
			if errors.Is(err, store.ErrNotFound) {
				t = store.Template{UUID: badge.TemplateUUID("credly", acc, it.ExternalID), Name: "from the rules file",
					Provider: "credly", AccountID: acc, ExternalID: it.ExternalID, State: store.TemplateActive}
			} else if err != nil {
				yield(badge.RemoteTemplate{}, err)
				return
			}
			t.Rules = l.rules
			if _, err := l.cfg.PutTemplate(ctx, t); err != nil {
				yield(badge.RemoteTemplate{}, err)
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}

// TestSyncKeepsRulesStoredMeanwhile: rules stored by another process after
// the sync listed the stored templates survive the sync, both for a
// template the sync updates and for one it would have created (the
// reliability suite's concurrent-start loss).
func TestSyncKeepsRulesStoredMeanwhile(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	// "old" exists without rules; "new" does not exist when the sync lists.
	if _, err := badge.SyncTemplates(ctx, st.Config(), listing{items: []badge.RemoteTemplate{tpl("old", "Old")}, failAfter: -1},
		badge.SyncOptions{Provider: "credly", AccountID: "acc"}); err != nil {
		t.Fatal(err)
	}
	rules := json.RawMessage(`{"requirements":[{"id":"r","event_type":"x"}]}`)
	l := racingListing{listing: listing{items: []badge.RemoteTemplate{tpl("old", "Old renamed"), tpl("new", "New")}, failAfter: -1},
		cfg: st.Config(), rules: rules}
	if _, err := badge.SyncTemplates(ctx, st.Config(), l, badge.SyncOptions{Provider: "credly", AccountID: "acc"}); err != nil {
		t.Fatal(err)
	}
	for ext, name := range map[string]string{"old": "Old renamed", "new": "New"} {
		got, err := st.Config().GetTemplate(ctx, badge.TemplateUUID("credly", "acc", ext))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Rules) != string(rules) {
			t.Errorf("%s: rules %s after the sync, want the ones stored meanwhile", ext, got.Rules)
		}
		if got.Name != name {
			t.Errorf("%s: name %q, want the provider's %q", ext, got.Name, name)
		}
	}
}

// interleavingConfig is a real store's Config that, the first time the
// sync reads a given template, stores rules for it through the same store
// right after the read — another writer between the sync's read and its
// write, which the compare-and-set must notice.
type interleavingConfig struct {
	store.Config
	rules json.RawMessage
	once  map[uuid.UUID]bool
	reads map[uuid.UUID]int
}

func (c *interleavingConfig) GetTemplate(ctx context.Context, id uuid.UUID) (store.Template, error) {
	got, err := c.Config.GetTemplate(ctx, id)
	c.reads[id]++
	if c.once[id] {
		return got, err
	}
	c.once[id] = true
	w := got
	if errors.Is(err, store.ErrNotFound) {
		w = store.Template{UUID: id, Name: "from the rules file", Provider: "credly", AccountID: "acc",
			ExternalID: "new", State: store.TemplateActive}
	}
	w.Rules = c.rules
	if _, perr := c.Config.PutTemplate(ctx, w); perr != nil {
		return got, perr
	}
	return got, err
}

// TestSyncRetriesOnRulesVersionConflict: rules stored between the sync's
// read of a template and its write make the write a conflict; the sync
// reads again and writes the provider's fields onto those rules — for a
// template it updates and for one it creates. The former read-then-write
// stored the rules it had read (none) over them.
func TestSyncRetriesOnRulesVersionConflict(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	if _, err := badge.SyncTemplates(ctx, st.Config(), listing{items: []badge.RemoteTemplate{tpl("old", "Old")}, failAfter: -1},
		badge.SyncOptions{Provider: "credly", AccountID: "acc"}); err != nil {
		t.Fatal(err)
	}
	rules := json.RawMessage(`{"requirements":[{"id":"r","event_type":"x"}]}`)
	cfg := &interleavingConfig{Config: st.Config(), rules: rules, once: map[uuid.UUID]bool{}, reads: map[uuid.UUID]int{}}
	rep, err := badge.SyncTemplates(ctx, cfg, listing{items: []badge.RemoteTemplate{tpl("old", "Old renamed"), tpl("new", "New")}, failAfter: -1},
		badge.SyncOptions{Provider: "credly", AccountID: "acc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ext, name string
		version   int // "new" was created, with the rules, by the other writer
	}{{"old", "Old renamed", 2}, {"new", "New", 1}} {
		ext, name := c.ext, c.name
		id := badge.TemplateUUID("credly", "acc", ext)
		got, err := st.Config().GetTemplate(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Rules) != string(rules) || got.RulesVersion != c.version {
			t.Errorf("%s: rules %s (version %d) after the sync, want the ones stored between its read and write, version %d", ext, got.Rules, got.RulesVersion, c.version)
		}
		if got.Name != name {
			t.Errorf("%s: name %q, want the provider's %q", ext, got.Name, name)
		}
		if cfg.reads[id] != 2 {
			t.Errorf("%s: read %d times, want 2 (the read, and the one after the conflict)", ext, cfg.reads[id])
		}
	}
	if len(rep.Changes) != 2 {
		t.Errorf("changes %+v, want an update and a create", rep.Changes)
	}
}
