package status_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestCoreImportsStayLight holds the design's line: the status package
// imports only the standard library, uuid, the other core packages,
// vc/netguard and internal/clockcache.
func TestCoreImportsStayLight(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/google/uuid":                    true,
		"github.com/credshare/credshare/credential": true,
		"github.com/credshare/credshare/store":      true,
		"github.com/credshare/credshare/vc":         true,
		// The guarded client of list fetches (internal/archtest
		// TestGuardedPackagesStayLight keeps it light).
		"github.com/credshare/credshare/vc/netguard": true,
		// The bounded list cache shared with vc/did (standard library only).
		"github.com/credshare/credshare/internal/clockcache": true,
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && !allowed[imp] {
			t.Errorf("status imports %s", imp)
		}
	}
}
