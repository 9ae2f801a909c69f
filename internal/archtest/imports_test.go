package archtest

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/credshare/credshare"

// corePackages may import only the standard library, github.com/google/uuid
// and each other, so that a plugin author or a host using one adapter does
// not inherit every adapter's dependencies.
var corePackages = []string{"credential", "credential/retry", "eventbus", "store", "badge", "badge/rules", "vc", "status"}

// coreExceptions are the other module packages a core package may import,
// each with why. The status checker fetches lists through the guarded
// client (issue 16, item 1) and caches them in the bounded cache it shares
// with vc/did; both are held light by TestGuardedPackagesStayLight.
var coreExceptions = map[string]map[string]string{
	"status": {
		module + "/vc/netguard":         "the status checker's list fetches go through the guarded client",
		module + "/internal/clockcache": "the list cache, shared with vc/did (standard library only)",
	},
	"vc": {
		module + "/vc/internal/jsonenc": "the measured hot path that writes json.Marshal's bytes without reflection (standard library only)",
	},
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("cannot find the module root from %s: %v", dir, err)
	}
	return dir
}

func allowed(core, imp string) bool {
	if _, ok := coreExceptions[core][imp]; ok {
		return true
	}
	if imp == "github.com/google/uuid" {
		return true
	}
	for _, c := range corePackages {
		if imp == module+"/"+c {
			return true
		}
	}
	// The standard library: no dot in the first path element.
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func TestCorePackagesImportOnlyStdlibUUIDAndEachOther(t *testing.T) {
	root := repoRoot(t)
	ctx := build.Default
	ctx.CgoEnabled = false
	for _, c := range corePackages {
		dir := filepath.Join(root, c)
		if _, err := os.Stat(dir); err != nil {
			t.Logf("%s: not present yet", c)
			continue
		}
		pkg, err := ctx.ImportDir(dir, build.ImportComment)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		for _, imp := range pkg.Imports {
			if !allowed(c, imp) {
				t.Errorf("core package %s imports %s; core packages may import only the standard library, github.com/google/uuid and other core packages (put it in a sub-package)", c, imp)
			}
		}
	}
}

func TestAllowed(t *testing.T) {
	for imp, want := range map[string]bool{
		"context":                     true,
		"encoding/json":               true,
		"github.com/google/uuid":      true,
		module + "/store":             true,
		module + "/store/sqlitestore": false,
		"github.com/hamba/avro/v2":    false,
		"go.yaml.in/yaml/v3":          false,
		"golang.org/x/crypto/ed25519": false,
		module + "/vc/netguard":       false,
	} {
		if got := allowed("vc", imp); got != want {
			t.Errorf("allowed(%q) = %v, want %v", imp, got, want)
		}
	}
}

func TestCoreExceptionsAreExact(t *testing.T) {
	if !allowed("status", module+"/vc/netguard") || !allowed("status", module+"/internal/clockcache") {
		t.Error("status may import vc/netguard and internal/clockcache")
	}
	for _, c := range corePackages {
		if c != "status" && allowed(c, module+"/vc/netguard") {
			t.Errorf("%s may import vc/netguard: the exception is for status only", c)
		}
	}
	if allowed("status", module+"/vc/did") || allowed("status", "code.dny.dev/ssrf") {
		t.Error("the status exception opens more than vc/netguard")
	}
}

// TestGuardedPackagesStayLight holds vc/netguard, which the core package
// status and vc/did import, to the standard library and its address
// registry (code.dny.dev/ssrf), and vc/did and status to that plus the
// core packages: a library user who verifies credentials does not inherit
// heavy dependencies through the guarded client.
func TestGuardedPackagesStayLight(t *testing.T) {
	light := map[string]bool{
		"code.dny.dev/ssrf": true, "github.com/google/uuid": true, module + "/vc/netguard": true,
		module + "/internal/clockcache": true, module + "/vc/internal/jsonenc": true,
	}
	for _, c := range corePackages {
		light[module+"/"+c] = true
	}
	for _, pkg := range []string{"vc/netguard", "internal/clockcache", "vc/internal/jsonenc", "vc/did", "status"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./"+pkg)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep != module+"/"+pkg && !light[dep] {
				t.Errorf("%s depends on %s; keep it to the standard library, code.dny.dev/ssrf and the core packages", pkg, dep)
			}
		}
	}
}

// TestEveryPackageHasADocComment guards against detached or missing package
// comments: every non-main package in the module must have one.
func TestEveryPackageHasADocComment(t *testing.T) {
	root := repoRoot(t)
	ctx := build.Default
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		pkg, err := ctx.ImportDir(path, build.ImportComment)
		if err != nil {
			return nil // no Go files, or only test files
		}
		if len(pkg.GoFiles) == 0 {
			return nil // only tests: nothing for go doc to show
		}
		if pkg.Name != "main" && strings.TrimSpace(pkg.Doc) == "" {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("package %s (%s) has no package doc comment", pkg.Name, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
