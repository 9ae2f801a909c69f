package badge_test

import (
	"context"
	"fmt"

	"github.com/credshare/credshare/badge"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/memstore"
)

// A provider renames a template that has rules: only the provider's
// fields change, the rules and their version stay.
func ExamplePutProviderFields() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	id := badge.TemplateUUID("credly", "org-1", "t1")
	if _, err := st.Config().PutTemplate(ctx, store.Template{UUID: id, Name: "Python Basics", Provider: "credly",
		AccountID: "org-1", ExternalID: "t1", State: store.TemplateActive, Rules: []byte(`{"requirements":[{"id":"pass"}]}`)}); err != nil {
		fmt.Println(err)
		return
	}
	find := func(ctx context.Context) (store.Template, error) {
		return st.Config().FindTemplate(ctx, "credly", "org-1", "t1")
	}
	out, wrote, err := badge.PutProviderFields(ctx, st.Config(), find, func(cur store.Template, found bool) (store.Template, bool) {
		if !found || cur.Name == "Python Fundamentals" {
			return cur, false // nothing to do
		}
		cur.Name = "Python Fundamentals"
		cur.Rules = nil // not the provider's: ignored
		return cur, true
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(wrote, out.Name, string(out.Rules), out.RulesVersion)
	// Output:
	// true Python Fundamentals {"requirements":[{"id":"pass"}]} 1
}
