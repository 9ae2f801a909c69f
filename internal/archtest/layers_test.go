package archtest

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// layers lists, for the packages above the core, the packages of this
// module their non-test files may import. Neither is core (both use the
// OpenTelemetry API; the dispatcher uses golang.org/x/time/rate), so they
// are held here instead:
//   - store/outbox is a generic runner of store.Outbox items: it knows the
//     store, never the pipeline or what an item means;
//   - credential/pipeline assembles the core packages and registers its
//     handlers with the dispatcher; it imports no adapter (no bus, store
//     or provider implementation: the host chooses those);
//   - badge/httpapi is the provider authors' HTTP plumbing (it imports
//     resty, backoff and the OpenTelemetry API): it knows the provider API,
//     the account records and the guarded client, never an adapter, so a
//     plugin importing it gets nothing else of this module;
//   - store/txcache is a per-transaction read cache over store.Repos: it
//     knows the store and the award model only, and the pipeline reads
//     through it inside a batch.
var layers = map[string][]string{
	"store/txcache":       {"credential", "store"},
	"badge/httpapi":       {"badge", "store", "vc/netguard"},
	"store/outbox":        {"credential", "credential/retry", "store"},
	"credential/pipeline": append(slices.Clone(corePackages), "store/outbox", "store/txcache"),
}

// topOnly lists the packages only programs (cmd/..., examples/...) and
// internal test plumbing may import from non-test files: the pipeline is
// the top of the library.
var topOnly = []string{"credential/pipeline"}

func moduleImports(pkg *build.Package) []string {
	var out []string
	for _, imp := range pkg.Imports {
		if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	root := repoRoot(t)
	ctx := build.Default
	ctx.CgoEnabled = false
	for p, may := range layers {
		pkg, err := ctx.ImportDir(filepath.Join(root, p), build.ImportComment)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range moduleImports(pkg) {
			if !slices.Contains(may, imp) {
				t.Errorf("%s imports %s; it may import only %v from this module", p, imp, may)
			}
		}
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel == "cmd" || rel == "examples" || rel == "internal" {
			return filepath.SkipDir
		}
		pkg, err := ctx.ImportDir(path, build.ImportComment)
		if err != nil {
			return nil
		}
		for _, imp := range moduleImports(pkg) {
			if slices.Contains(topOnly, imp) {
				t.Errorf("library package %s imports %s, which only programs (cmd/..., examples/...) may import", rel, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProviderAPIDoesNotImportRules: badge is the provider API a plugin
// author implements; badge/rules (the rules engine) builds on it, never the
// other way round. The provider adapters need the API only, so a plugin
// and a host that only issues badges do not compile the engine.
func TestProviderAPIDoesNotImportRules(t *testing.T) {
	root := repoRoot(t)
	for _, p := range []string{"badge", "badge/credly", "badge/accredible", "badge/obv3", "badge/badgetest"} {
		cmd := exec.Command("go", "list", "-deps", "./"+p)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == module+"/badge/rules" || strings.HasPrefix(dep, module+"/badge/rules/") {
				t.Errorf("%s depends on %s; the provider API and its adapters must not depend on the rules engine", p, dep)
			}
		}
	}
}

// TestRootHoldsDocOnly: the module's root package is the design card's
// top level, documentation only (go doc lists no symbols).
func TestRootHoldsDocOnly(t *testing.T) {
	pkg, err := build.Default.ImportDir(repoRoot(t), build.ImportComment)
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Concat(pkg.GoFiles, pkg.TestGoFiles, pkg.XTestGoFiles, pkg.IgnoredGoFiles)
	if !reflect.DeepEqual(files, []string{"doc.go"}) {
		t.Errorf("the root package holds %v; it must hold doc.go only", files)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(pkg.Dir, "doc.go"), nil, parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	full, err := parser.ParseFile(token.NewFileSet(), filepath.Join(pkg.Dir, "doc.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Decls) != 0 || f.Name.Name != "credshare" {
		t.Errorf("the root package (%s) declares %d things; it holds documentation only", f.Name.Name, len(full.Decls))
	}
}
