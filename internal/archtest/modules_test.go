package archtest

import (
	"encoding/json"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// coreRequirements are the modules the core module (the repository root's
// go.mod) may require directly, each with the core packages that need it.
// The heavy adapters, the command, the examples and the integration tests
// are modules of their own, so a service importing only the core inherits
// exactly these (and what they require) in its module graph.
var coreRequirements = map[string]string{
	"code.dny.dev/ssrf":               "vc/netguard: the dial-time address policy",
	"github.com/cenkalti/backoff/v4":  "badge/httpapi, eventbus/backoffretry: retry schedules",
	"github.com/go-jose/go-jose/v4":   "vc/jwt, vc/did: JOSE and JWK",
	"github.com/go-resty/resty/v2":    "badge/httpapi: the providers' HTTP client",
	"github.com/google/uuid":          "everywhere: award, template and credential ids",
	"github.com/piprate/json-gold":    "vc/ld: JSON-LD expansion to RDF",
	"github.com/skip2/go-qrcode":      "vc/wallet/qr: offer QR codes",
	"go.opentelemetry.io/otel":        "attributes and propagation",
	"go.opentelemetry.io/otel/metric": "metrics API (the SDK is the program's choice)",
	"go.opentelemetry.io/otel/trace":  "tracing API",
	"go.yaml.in/yaml/v3":              "badge/rules/rulesyaml",
	"golang.org/x/time":               "badge/httpapi: rate pacing",
}

// heavyModules must never enter the core module's requirements, not even
// as indirect ones: they belong to the adapter modules and programs.
var heavyModules = []string{
	"github.com/twmb/franz-go", "modernc.org/", "github.com/redis/go-redis", "github.com/alicebob/miniredis",
	"github.com/go-sql-driver/mysql", "github.com/hamba/avro", "github.com/spf13/cobra",
	"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "github.com/prometheus/",
	"github.com/stretchr/testify", "github.com/jarcoal/httpmock",
}

type goMod struct {
	Require []struct {
		Path     string
		Indirect bool
	}
}

func readGoMod(t *testing.T, dir string) goMod {
	t.Helper()
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json in %s: %v", dir, err)
	}
	var m goMod
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCoreModuleRequirements checks the core module's requirement list:
// its direct requirements are exactly coreRequirements, and no heavy
// module is among its requirements at all. scripts/test.sh checks that
// every go.mod is tidy, so this list is what the core's packages and
// their tests import.
func TestCoreModuleRequirements(t *testing.T) {
	m := readGoMod(t, repoRoot(t))
	var direct []string
	for _, r := range m.Require {
		for _, h := range heavyModules {
			if strings.HasPrefix(r.Path, h) {
				t.Errorf("the core module requires %s (indirect: %v); keep it out of the core module", r.Path, r.Indirect)
			}
		}
		if !r.Indirect {
			direct = append(direct, r.Path)
		}
	}
	for _, p := range direct {
		if _, ok := coreRequirements[p]; !ok {
			t.Errorf("the core module requires %s directly; add it to coreRequirements with the reason, or move its importer to an adapter module", p)
		}
	}
	for p := range coreRequirements {
		if !slices.Contains(direct, p) {
			t.Errorf("coreRequirements lists %s, which the core module no longer requires", p)
		}
	}
}

// TestEveryModuleInTheWorkspace checks that go.work uses every go.mod of
// the repository (except the interop modules, which pin other versions
// and run with GOWORK=off), so that scripts/test.sh, which runs the
// workspace's modules, tests them all.
func TestEveryModuleInTheWorkspace(t *testing.T) {
	root := repoRoot(t)
	// The file is named, so that GOWORK=off (scripts/test.sh) does not hide it.
	cmd := exec.Command("go", "work", "edit", "-json", filepath.Join(root, "go.work"))
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go work edit -json: %v", err)
	}
	var w struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &w); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, u := range w.Use {
		used[filepath.Clean(u.DiskPath)] = true
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (rel == "interop" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" && !used[filepath.Dir(rel)] {
			t.Errorf("%s is not in go.work", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
