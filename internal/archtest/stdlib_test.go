package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// stdlibOnly lists the packages whose non-test files depend on the
// standard library alone, each with why: a host that only bakes badge
// images (a web front end, a mail service) imports them without the
// credential model, the JSON-LD processor or any adapter.
var stdlibOnly = map[string]string{
	"vc/bake": "bakes and unbakes Open Badges 3.0 credentials in PNG and SVG images",
}

// TestStdlibOnlyPackages holds the packages of stdlibOnly to the standard
// library, transitively (go list -deps).
func TestStdlibOnlyPackages(t *testing.T) {
	for pkg := range stdlibOnly {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./"+pkg)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep != module+"/"+pkg {
				t.Errorf("%s depends on %s; it must depend on the standard library only (%s)", pkg, dep, stdlibOnly[pkg])
			}
		}
	}
}
