package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// guardPackage is the one place allowed to build HTTP clients and
// transports: every outbound fetch goes through its client (issue 16,
// item 1).
const guardPackage = "vc/netguard"

// pendingOutboundFixes are files that still build their own client and
// are being moved to vc/netguard on another branch. The list may only
// shrink: an entry whose file no longer breaks the rule fails the test, so
// it is removed as soon as the fix lands.
var pendingOutboundFixes = map[string]string{}

// bypassSelectors are the members of net/http that reach the network
// without vc/netguard's policy.
var bypassSelectors = map[string]string{
	"DefaultClient":    "http.DefaultClient",
	"DefaultTransport": "http.DefaultTransport",
	"Get":              "http.Get (the default client)",
	"Head":             "http.Head (the default client)",
	"Post":             "http.Post (the default client)",
	"PostForm":         "http.PostForm (the default client)",
}

// builtTypes are the net/http types a file must not construct.
var builtTypes = map[string]bool{"Client": true, "Transport": true}

// outboundViolations parses one Go file and returns where it uses
// net/http's default client or transport, or builds an http.Client or
// http.Transport (composite literal, pointer to one, new(), or a
// zero-value declaration such as var c http.Client or a struct field of
// that type, which is a default client once used). Copies of a given client
// (c := *given, var c http.Client = *given) are not reported.
func outboundViolations(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	var out []string
	report := func(n ast.Node, what string) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), what))
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "net/http" {
			continue
		}
		switch {
		case imp.Name == nil:
			names["http"] = true
		case imp.Name.Name == ".":
			report(imp, `a dot import of net/http (its default client would be unqualified)`)
		case imp.Name.Name != "_":
			names[imp.Name.Name] = true
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	// A variable named like the import would make selectors on it
	// ambiguous without type information: the file must not do that.
	for _, id := range shadowingDecls(f, names) {
		report(id, "declares "+id.Name+", the name of the net/http import (rename it)")
	}
	isHTTP := func(e ast.Expr) (string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || !names[id.Name] {
			return "", false
		}
		return sel.Sel.Name, true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if m, ok := isHTTP(n); ok && bypassSelectors[m] != "" {
				report(n, "uses "+bypassSelectors[m])
			}
		case *ast.CompositeLit:
			if m, ok := isHTTP(n.Type); ok && builtTypes[m] {
				report(n, "builds an http."+m)
			}
		case *ast.ValueSpec:
			if m, ok := isHTTP(n.Type); ok && builtTypes[m] && len(n.Values) == 0 {
				report(n, "declares a zero-value http."+m+" (a default one once used)")
			}
		case *ast.Field:
			if m, ok := isHTTP(n.Type); ok && builtTypes[m] {
				report(n, "holds an http."+m+" by value (its zero value is a default one)")
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "new" && len(n.Args) == 1 {
				if m, ok := isHTTP(n.Args[0]); ok && builtTypes[m] {
					report(n, "builds an http."+m+" with new")
				}
			}
		}
		return true
	})
	return out, nil
}

// shadowingDecls returns the identifiers the file declares (variables,
// parameters, results, receivers) with one of names.
func shadowingDecls(f *ast.File, names map[string]bool) []*ast.Ident {
	var out []*ast.Ident
	mark := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if names[id.Name] {
				out = append(out, id)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			mark(n.Names...)
		case *ast.Field:
			mark(n.Names...)
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						mark(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						mark(id)
					}
				}
			}
		}
		return true
	})
	return out
}

// TestOutboundHTTPGoesThroughNetguard fails when a non-test Go file
// outside vc/netguard uses http.DefaultClient, http.DefaultTransport,
// http.Get/Head/Post/PostForm, or builds an http.Client or http.Transport:
// every fetch must use a client made by vc/netguard (a program may wrap
// that client's transport, which still applies the policy).
func TestOutboundHTTPGoesThroughNetguard(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	found := map[string][]string{}
	files := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			if rel == guardPackage {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		files++
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v, err := outboundViolations(fset, rel, src)
		if err != nil {
			return err
		}
		if len(v) > 0 {
			found[rel] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked %d non-test Go files outside %s", files, guardPackage)
	for _, rel := range slices.Sorted(func(yield func(string) bool) {
		for k := range found {
			if !yield(k) {
				return
			}
		}
	}) {
		if why, ok := pendingOutboundFixes[rel]; ok {
			t.Logf("pending (%s): %s", why, strings.Join(found[rel], "; "))
			continue
		}
		for _, v := range found[rel] {
			t.Errorf("%s — outbound HTTP must use a client made by vc/netguard (netguard.New, Default, MustNew)", v)
		}
	}
	for rel, why := range pendingOutboundFixes {
		if _, ok := found[rel]; !ok {
			t.Errorf("%s no longer builds its own HTTP client (%s): remove it from pendingOutboundFixes", rel, why)
		}
	}
}

// TestOutboundViolationsFindsEachForm checks the checker on small sources.
func TestOutboundViolationsFindsEachForm(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // substrings, one per expected report, in order
	}{
		{"default client", `package p; import "net/http"; func f() { http.DefaultClient.Do(nil) }`, []string{"http.DefaultClient"}},
		{"default transport", `package p; import "net/http"; var t = http.DefaultTransport`, []string{"http.DefaultTransport"}},
		{"get head post", `package p; import "net/http"; func f() { http.Get(""); http.Head(""); http.Post("", "", nil); http.PostForm("", nil) }`,
			[]string{"http.Get", "http.Head", "http.Post", "http.PostForm"}},
		{"client literal", `package p; import "net/http"; var c = http.Client{}`, []string{"builds an http.Client"}},
		{"client pointer", `package p; import "net/http"; func f() *http.Client { return &http.Client{Timeout: 1} }`, []string{"builds an http.Client"}},
		{"new client", `package p; import "net/http"; var c = new(http.Client)`, []string{"http.Client with new"}},
		{"transport literal", `package p; import "net/http"; var t = &http.Transport{}`, []string{"builds an http.Transport"}},
		{"aliased import", `package p; import nethttp "net/http"; var c = &nethttp.Client{}; var d = nethttp.DefaultClient`,
			[]string{"builds an http.Client", "http.DefaultClient"}},
		{"dot import", `package p; import . "net/http"; var c = DefaultClient`, []string{"dot import"}},
		{"nested literal", `package p; import "net/http"; var cs = []*http.Client{{}}`, nil}, // element type elided: not seen, rare
		{"copy of a given client", `package p; import "net/http"; func f(g *http.Client) *http.Client { c := *g; return &c }`, nil},
		{"zero-value declaration", `package p; import "net/http"; func f() { var c http.Client; c.Get("") }`, []string{"zero-value http.Client"}},
		{"declared copy", `package p; import "net/http"; func f(g *http.Client) { var c http.Client = *g; _ = c }`, nil},
		{"field by value", `package p; import "net/http"; type s struct{ c http.Client; t *http.Transport }`, []string{"holds an http.Client by value"}},
		{"shadowing variable", `package p; import "net/http"; func f() { http := struct{ DefaultClient int }{}; _ = http.DefaultClient }`,
			[]string{"declares http", "http.DefaultClient"}},
		{"other packages", `package p; import "example.org/http"; var c = http.DefaultClient; var d = &http.Client{}`, nil},
		{"handlers are fine", `package p; import "net/http"; var s = &http.Server{}; var m = http.NewServeMux(); var r, _ = http.NewRequest("GET", "/", nil)`, nil},
	} {
		got, err := outboundViolations(token.NewFileSet(), c.name+".go", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %q, want %d reports %q", c.name, got, len(c.want), c.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], c.want[i]) {
				t.Errorf("%s: report %d = %q, want it to mention %q", c.name, i, got[i], c.want[i])
			}
		}
	}
}
