package badge_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
	"github.com/google/uuid"
)

// TestPutProviderFieldsGivesUpAfterBoundedRetries: when another writer
// stores new rules after every read, each write is a conflict; after 8
// attempts the conflict is returned, nothing of the provider's is written
// and the other writer's last rules are kept.
func TestPutProviderFieldsGivesUpAfterBoundedRetries(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	id := badge.TemplateUUID("credly", "acc", "t")
	base := store.Template{UUID: id, Name: "Old", Provider: "credly", AccountID: "acc", ExternalID: "t", State: store.TemplateActive}
	if _, err := st.Config().PutTemplate(ctx, base); err != nil {
		t.Fatal(err)
	}
	reads := 0
	var last []byte
	find := func(ctx context.Context) (store.Template, error) {
		got, err := st.Config().GetTemplate(ctx, id)
		reads++
		w := got
		last = fmt.Appendf(nil, `{"requirements":[{"id":"r%d"}]}`, reads)
		w.Rules = last
		if _, perr := st.Config().PutTemplate(ctx, w); perr != nil {
			return got, perr
		}
		return got, err
	}
	_, wrote, err := badge.PutProviderFields(ctx, st.Config(), find, func(cur store.Template, _ bool) (store.Template, bool) {
		cur.Name = "New"
		return cur, true
	})
	var rvc *store.RulesVersionConflict
	if !errors.Is(err, store.ErrConflict) || !errors.As(err, &rvc) || wrote {
		t.Fatalf("PutProviderFields: wrote %v, err %v; want a *store.RulesVersionConflict", wrote, err)
	}
	if reads != 8 {
		t.Errorf("%d reads, want 8 (the bound)", reads)
	}
	got, err := st.Config().GetTemplate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Old" || string(got.Rules) != string(last) || got.RulesVersion != 9 {
		t.Errorf("stored %q with rules %s (version %d), want the other writer's: %q, %s, version 9", got.Name, got.Rules, got.RulesVersion, "Old", last)
	}
}

// TestPutProviderFieldsDeclined: an edit that declines writes nothing.
func TestPutProviderFieldsDeclined(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	id := badge.TemplateUUID("credly", "acc", "t")
	out, wrote, err := badge.PutProviderFields(ctx, st.Config(),
		func(ctx context.Context) (store.Template, error) { return st.Config().GetTemplate(ctx, id) },
		func(cur store.Template, found bool) (store.Template, bool) { return cur, found })
	if err != nil || wrote || out.UUID != uuid.Nil {
		t.Fatalf("PutProviderFields = %+v, %v, %v; want nothing written", out, wrote, err)
	}
	if _, err := st.Config().GetTemplate(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTemplate after a declined edit: %v, want ErrNotFound", err)
	}
}
